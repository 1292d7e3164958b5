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
    mean_term = float(np.sum(np.square(mu_fake - mu_real)))
    root = scipy.linalg.sqrtm(sigma_fake @ sigma_real)
    return float(np.real(mean_term + np.trace(sigma_fake) + np.trace(sigma_real) - 2 * np.trace(root)))


def _statistics(features):
    return np.mean(features, axis=0), np.cov(features, rowvar=False)


class FID(metric_base.MetricBase):
    def __init__(self, num_images, minibatch_per_gpu, feature_network=INCEPTION_URL, **kwargs):
        """feature_network: NVIDIA's Inception pickle by default; any URL, pickle or 'module.function' giving [N, D] features of uint8-valued NCHW images."""
        super().__init__(**kwargs)
        self.num_images, self.minibatch_per_gpu = num_images, minibatch_per_gpu
        self.feature_network = feature_network

    def _real_statistics(self, inception, minibatch_size, num_gpus):
        """(mu, sigma) of the reals, from the cache when an earlier run computed them with the same settings."""
        extra = {} if self.feature_network == INCEPTION_URL else dict(feature_network=self.feature_network)
        cache_file = self._get_cache_file_for_reals(num_images=self.num_images, **extra)
        os.makedirs(os.path.dirname(cache_file) or ".", exist_ok=True)
        if os.path.isfile(cache_file):
            return misc.load_pkl(cache_file)
        features = np.empty([self.num_images, inception.output_shape[1]], dtype=np.float32)
        progress = metric_base.Progress("%s reals" % self.name, self.num_images)
        for (begin, end), images in zip(metric_base.minibatch_ranges(self.num_images, minibatch_size), self._iterate_reals(batch_size=minibatch_size)):
            features[begin:end] = inception.run(images[:end - begin], num_gpus=num_gpus, assume_frozen=True)
            progress.update(end)
        stats = _statistics(features)
        misc.save_pkl(stats, cache_file)
        return stats

    def _evaluate(self, Gs, num_gpus):
        minibatch_size = self.minibatch_per_gpu * num_gpus
        inception = metric_base.load_aux_network(self.feature_network, "The FID feature network (inception_v3_features.pkl)")
        mu_real, sigma_real = self._real_statistics(inception, minibatch_size, num_gpus)

        def fake_features(_gpu):
            generator, extractor = Gs.clone(), inception.clone()
            z = tf.random.normal([self.minibatch_per_gpu] + generator.input_shape[1:])
            fakes = generator.get_output_for(z, None, is_validation=True, randomize_noise=True)
            return extractor.get_output_for(tflib.convert_images_to_uint8(fakes))
        feature_expr = metric_base.per_gpu(num_gpus, fake_features)

        features = np.empty([self.num_images, inception.output_shape[1]], dtype=np.float32)
        progress = metric_base.Progress("%s fakes" % self.name, self.num_images)
        for begin, end in metric_base.minibatch_ranges(self.num_images, minibatch_size):
            features[begin:end] = np.concatenate(tflib.run(feature_expr), axis=0)[:end - begin]
            progress.update(end)
        mu_fake, sigma_fake = _statistics(features)
        self._report_result(frechet_distance(mu_fake, sigma_fake, mu_real, sigma_real))
