"""Perceptual path length (StyleGAN paper, section 4.1): LPIPS distance of nearby images along interpolation paths."""

import numpy as np
import tensorflow.compat.v1 as tf

import dnnlib.tflib as tflib
from metrics import metric_base

LPIPS_URL = "https://drive.google.com/uc?id=1N2-m9qszOeVC9Tq77WxsLnuWwOedQiD2"  # vgg16_zhang_perceptual.pkl


def normalize(v):
    return v / tf.sqrt(tf.reduce_sum(tf.square(v), axis=-1, keepdims=True))


def slerp(a, b, t):
    """Spherical interpolation between the directions of a and b; the result has unit length."""
    a = normalize(a)
    b = normalize(b)
    d = tf.reduce_sum(a * b, axis=-1, keepdims=True)
    p = t * tf.math.acos(d)
    c = normalize(b - d * a)
    return normalize(a * tf.math.cos(p) + c * tf.math.sin(p))


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
        self.minibatch_per_gpu = minibatch_per_gpu
        self.perceptual_network = perceptual_network

    def _interpolated_dlatents(self, Gs_clone):
        """[2N, layers, C] dlatents at t and t + epsilon for N random paths, interleaved."""
        lat_t01 = tf.random_normal([self.minibatch_per_gpu * 2] + Gs_clone.input_shape[1:])
        lerp_t = tf.random_uniform([self.minibatch_per_gpu], 0.0, 1.0 if self.sampling == "full" else 0.0)
        mapping = Gs_clone.components.mapping
        if self.space == "w":
            dlat_t01 = mapping.get_output_for(lat_t01, None, is_validation=True)
            dlat_t0, dlat_t1 = dlat_t01[0::2], dlat_t01[1::2]
            t = lerp_t[:, np.newaxis, np.newaxis]
            dlat_e01 = tf.stack([tflib.lerp(dlat_t0, dlat_t1, t), tflib.lerp(dlat_t0, dlat_t1, t + self.epsilon)], axis=1)
            return tf.reshape(dlat_e01, tf.shape(dlat_t01))
        lat_t0, lat_t1 = lat_t01[0::2], lat_t01[1::2]
        t = lerp_t[:, np.newaxis]
        lat_e01 = tf.stack([slerp(lat_t0, lat_t1, t), slerp(lat_t0, lat_t1, t + self.epsilon)], axis=1)
        lat_e01 = tf.reshape(lat_e01, tf.shape(lat_t01))
        return mapping.get_output_for(lat_e01, None, is_validation=True)

    def _evaluate(self, Gs, num_gpus):
        minibatch_size = num_gpus * self.minibatch_per_gpu
        distance_measure = metric_base.load_aux_network(self.perceptual_network, "The PPL perceptual network (vgg16_zhang_perceptual.pkl)")
        distance_expr = []
        for gpu_idx in range(num_gpus):
            with tf.device("/gpu:%d" % gpu_idx):
                Gs_clone = Gs.clone()
                noise_vars = [var for name, var in Gs_clone.components.synthesis.vars.items() if name.startswith("noise")]
                dlat_e01 = self._interpolated_dlatents(Gs_clone)
                with tf.control_dependencies([var.initializer for var in noise_vars]):  # fresh noise, shared by the minibatch
                    images = Gs_clone.components.synthesis.get_output_for(dlat_e01, is_validation=True, randomize_noise=False)
                images = downsample_to_256(crop_face(images))
                images = (images + 1) * (255 / 2)
                img_e0, img_e1 = images[0::2], images[1::2]
                distance_expr.append(distance_measure.get_output_for(img_e0, img_e1) * (1 / self.epsilon ** 2))

        all_distances = []
        progress = metric_base.Progress(self.name, self.num_samples)
        for begin in range(0, self.num_samples, minibatch_size):
            all_distances += tflib.run(distance_expr)
            progress.update(min(begin + minibatch_size, self.num_samples))
        all_distances = np.concatenate(all_distances, axis=0)
        self._report_result(np.mean(filter_distances(all_distances)))
