"""Frechet Inception Distance (Heusel et al. 2017) between generated and real images."""

import os

import numpy as np
import scipy.linalg
import tensorflow.compat.v1 as tf

import dnnlib.tflib as tflib
from metrics import metric_base
from training import misc

INCEPTION_URL = "https://drive.google.com/uc?id=1MzTY44rLToO5APn8TZmfR7_ENSe5aZUn"  # inception_v3_features.pkl


def frechet_distance(mu_fake, sigma_fake, mu_real, sigma_real):
    """|mu_f - mu_r|^2 + tr(S_f + S_r - 2 sqrt(S_f S_r)); imaginary parts of the square root are discarded."""
    m = np.square(mu_fake - mu_real).sum()
    s = scipy.linalg.sqrtm(np.dot(sigma_fake, sigma_real))
    dist = m + np.trace(sigma_fake + sigma_real - 2 * s)
    return float(np.real(dist))


class FID(metric_base.MetricBase):
    def __init__(self, num_images, minibatch_per_gpu, feature_network=INCEPTION_URL, **kwargs):
        """feature_network: NVIDIA's Inception pickle by default; any URL, pickle or 'module.function' giving [N, D] features of uint8-valued NCHW images."""
        super().__init__(**kwargs)
        self.num_images = num_images
        self.minibatch_per_gpu = minibatch_per_gpu
        self.feature_network = feature_network

    def _evaluate(self, Gs, num_gpus):
        minibatch_size = num_gpus * self.minibatch_per_gpu
        inception = metric_base.load_aux_network(self.feature_network, "The FID feature network (inception_v3_features.pkl)")
        activations = np.empty([self.num_images, inception.output_shape[1]], dtype=np.float32)

        # Statistics of the reals, cached per dataset and settings.
        extra = {} if self.feature_network == INCEPTION_URL else dict(feature_network=self.feature_network)
        cache_file = self._get_cache_file_for_reals(num_images=self.num_images, **extra)
        os.makedirs(os.path.dirname(cache_file) or ".", exist_ok=True)
        if os.path.isfile(cache_file):
            mu_real, sigma_real = misc.load_pkl(cache_file)
        else:
            progress = metric_base.Progress("%s reals" % self.name, self.num_images)
            for idx, images in enumerate(self._iterate_reals(minibatch_size=minibatch_size)):
                begin = idx * minibatch_size
                end = min(begin + minibatch_size, self.num_images)
                activations[begin:end] = inception.run(images[:end - begin], num_gpus=num_gpus, assume_frozen=True)
                progress.update(end)
                if end == self.num_images:
                    break
            mu_real = np.mean(activations, axis=0)
            sigma_real = np.cov(activations, rowvar=False)
            misc.save_pkl((mu_real, sigma_real), cache_file)

        # Features of the fakes, one graph per GPU.
        result_expr = []
        for gpu_idx in range(num_gpus):
            with tf.device("/gpu:%d" % gpu_idx):
                Gs_clone = Gs.clone()
                inception_clone = inception.clone()
                latents = tf.random_normal([self.minibatch_per_gpu] + Gs_clone.input_shape[1:])
                images = Gs_clone.get_output_for(latents, None, is_validation=True, randomize_noise=True)
                images = tflib.convert_images_to_uint8(images)
                result_expr.append(inception_clone.get_output_for(images))
        progress = metric_base.Progress("%s fakes" % self.name, self.num_images)
        for begin in range(0, self.num_images, minibatch_size):
            end = min(begin + minibatch_size, self.num_images)
            activations[begin:end] = np.concatenate(tflib.run(result_expr), axis=0)[:end - begin]
            progress.update(end)
        mu_fake = np.mean(activations, axis=0)
        sigma_fake = np.cov(activations, rowvar=False)
        self._report_result(frechet_distance(mu_fake, sigma_fake, mu_real, sigma_real))
