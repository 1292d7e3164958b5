"""Perceptual path length (StyleGAN paper, section 4.1): LPIPS distance of nearby images along interpolation paths."""

import numpy as np
import tensorflow.compat.v1 as tf

import dnnlib.tflib as tflib
from metrics import metric_base

LPIPS_URL = "https://drive.google.com/uc?id=1N2-m9qszOeVC9Tq77WxsLnuWwOedQiD2"  # vgg16_zhang_perceptual.pkl
metric_base.register_official_network(LPIPS_URL, "vgg16_zhang_perceptual.pkl")


def normalize(v):
    """v scaled to unit length along the last axis."""
    return v * tf.math.rsqrt(tf.reduce_sum(v * v, axis=-1, keepdims=True))


def slerp(a, b, t):
    """Spherical interpolation between the directions of a and b; the result has unit length."""
    a = normalize(a)
    b = normalize(b)
    cos_ab = tf.reduce_sum(b * a, axis=-1, keepdims=True)
    angle = t * tf.math.acos(cos_ab)
    ortho = normalize(b - cos_ab * a)  # the direction towards b, orthogonal to a
    return normalize(a * tf.math.cos(angle) + ortho * tf.math.sin(angle))


def crop_face(images):
    """The central face region used for every dataset: rows 3/8..7/8, columns 2/8..6/8 of NCHW images."""
    c = int(images.shape[2] // 8)
    return images[:, :, c * 3: c * 7, c * 2: c * 6]


def downsample_to_256(images):
    """Box-average NCHW images larger than 256 pixels high down to 256."""
    factor = int(images.shape[2] // 256)
    if factor <= 1:
        return images
    _, c, h, w = [int(d) for d in images.shape]
    images = tf.reshape(images, [-1, c, h // factor, factor, w // factor, factor])
    return tf.reduce_mean(images, axis=[3, 5])


def filter_distances(distances):
    """Drop the outliers below the 1st and above the 99th percentile."""
    lo = np.percentile(distances, 1, method="lower")
    hi = np.percentile(distances, 99, method="higher")
    return np.extract(np.logical_and(lo <= distances, distances <= hi), distances)


class PPL(metric_base.MetricBase):
    def __init__(self, num_samples, epsilon, space, sampling, minibatch_per_gpu, perceptual_network=LPIPS_URL, **kwargs):
        """perceptual_network: NVIDIA's LPIPS pickle by default; any URL, pickle or 'module.function' mapping two image batches to [N] distances."""
        assert space in ["z", "w"]
        assert sampling in ["full", "end"]
        super().__init__(**kwargs)
        self.num_samples = num_samples
        self.epsilon = epsilon
        self.space = space
        self.sampling = sampling
        self.minibatch_per_gpu, self.perceptual_network = minibatch_per_gpu, perceptual_network

    def aux_networks(self):
        return [(self.perceptual_network, "The PPL perceptual network", None, 2)]

    def _interpolated_dlatents(self, Gs_clone, labels):
        """[2N, layers, C] dlatents at t and t + epsilon for N random paths, interleaved; both ends of a path share a label."""
        ends = tf.random.normal([2 * self.minibatch_per_gpu] + Gs_clone.input_shape[1:])  # path endpoints: rows (0,1), (2,3), ...
        if labels is not None:
            labels = tf.reshape(tf.tile(labels[:, np.newaxis], [1, 2, 1]), [2 * self.minibatch_per_gpu, -1])
        t_max = 1.0 if self.sampling == "full" else 0.0
        t = tf.random.uniform([self.minibatch_per_gpu], 0.0, t_max)
        mapping = Gs_clone.components.mapping

        def interleave(at_t, at_t_eps, like):
            return tf.reshape(tf.stack([at_t, at_t_eps], axis=1), tf.shape(like))

        if self.space == "w":
            w = mapping.get_output_for(ends, labels, is_validation=True)
            w_from, w_to, tw = w[0::2], w[1::2], t[:, np.newaxis, np.newaxis]
            return interleave(tflib.lerp(w_from, w_to, tw), tflib.lerp(w_from, w_to, tw + self.epsilon), w)
        z_from, z_to, tz = ends[0::2], ends[1::2], t[:, np.newaxis]
        z = interleave(slerp(z_from, z_to, tz), slerp(z_from, z_to, tz + self.epsilon), ends)
        return mapping.get_output_for(z, labels, is_validation=True)

    def _evaluate(self, Gs, num_gpus):
        lpips = metric_base.load_aux_network(self.perceptual_network, "The PPL perceptual network", self.trust_pickles, num_inputs=2)
        labels = self._label_feeder(Gs)

        def scaled_distances(_gpu):
            generator = Gs.clone()
            synthesis = generator.components.synthesis
            dlatents = self._interpolated_dlatents(generator, labels.placeholder(self.minibatch_per_gpu))
            redraw_noise = [var.initializer for name, var in synthesis.vars.items() if name.startswith("noise")]
            with tf.control_dependencies(redraw_noise):  # fresh noise once per run, shared by the minibatch
                images = synthesis.get_output_for(dlatents, is_validation=True, randomize_noise=False)
            images = (downsample_to_256(crop_face(images)) + 1) * (255 / 2)
            return lpips.get_output_for(images[0::2], images[1::2]) * (1 / self.epsilon ** 2)
        distance_expr = metric_base.per_gpu(num_gpus, scaled_distances)

        batches = metric_base.collect(self.name, distance_expr, self.num_samples, self.minibatch_per_gpu * num_gpus, feed=labels.feed)
        self._report_result(np.mean(filter_distances(np.concatenate(batches))))
