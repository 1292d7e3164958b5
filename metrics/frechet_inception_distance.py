"""Frechet Inception Distance (Heusel et al. 2017) between generated and real images."""

import os
import warnings

import numpy as np
import scipy.linalg

from metrics import metric_base
from training import misc

INCEPTION_URL = "https://drive.google.com/uc?id=1MzTY44rLToO5APn8TZmfR7_ENSe5aZUn"  # inception_v3_features.pkl
metric_base.register_official_network(INCEPTION_URL, "inception_v3_features.pkl")

OFFLINE_FEATURE_HINT = ("feature_network=fmnist (run_metrics.py's --metric-arg; in train.py, the metric's settings as --config=fashion32 "
                        "has them; offline; for 32x32 Fashion-MNIST-like images, not comparable with Inception FID)")


def frechet_distance(mu_fake, sigma_fake, mu_real, sigma_real):
    """|mu_f - mu_r|^2 + tr(S_f + S_r - 2 sqrt(S_f S_r)); imaginary parts of the square root are discarded."""
    mean_term = float(np.sum(np.square(mu_fake - mu_real)))
    with warnings.catch_warnings():  # singular covariances (e.g. features that are always 0): no notice, as the original's disp=False
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        root = scipy.linalg.sqrtm(sigma_fake @ sigma_real)
    return float(np.real(mean_term + np.trace(sigma_fake) + np.trace(sigma_real) - 2 * np.trace(root)))


def statistics(features):
    """(mean, covariance) of [N, D] features."""
    return np.mean(features, axis=0), np.cov(features, rowvar=False)


class FeatureMetric(metric_base.MetricBase):
    """A metric comparing feature-network features of real and generated images (FID, KID)."""

    def __init__(self, num_images, minibatch_per_gpu, feature_network=INCEPTION_URL, **kwargs):
        """feature_network: NVIDIA's Inception pickle by default; a named network ('fmnist'), URL, pickle or 'module.function'
        giving [N, D] features of uint8-valued NCHW images."""
        super().__init__(**kwargs)
        self.num_images, self.minibatch_per_gpu = num_images, minibatch_per_gpu
        self.feature_network = feature_network

    def aux_networks(self):
        return [(self.feature_network, "The %s feature network" % self.name, OFFLINE_FEATURE_HINT, 1)]

    def uses_dataset(self):
        return True

    def _load_feature_network(self):
        return metric_base.load_aux_network(self.feature_network, "The %s feature network" % self.name, self.trust_pickles, num_inputs=1)

    def _cache_args(self):
        """What else names the cache of real statistics: nothing for Inception (the original's names), else the network."""
        if self.feature_network == INCEPTION_URL:
            return {}
        digest = metric_base.aux_network_digest(self.feature_network)
        return dict(feature_network=self.feature_network, **({"feature_network_md5": digest} if digest else {}))

    def _cached_reals(self, compute):
        """compute() of the reals, through the cache when an earlier run computed it with the same settings."""
        cache_file = self._get_cache_file_for_reals(num_images=self.num_images, **self._cache_args())
        os.makedirs(os.path.dirname(cache_file) or ".", exist_ok=True)
        if os.path.isfile(cache_file):
            return misc.load_pkl(cache_file)
        value = compute()
        misc.save_pkl(value, cache_file)
        return value

    def _features(self, Gs, num_gpus):
        """(real features or their cached summary, fake features) through one code path for FID and KID."""
        feature_net = self._load_feature_network()
        minibatch_size = self.minibatch_per_gpu * num_gpus
        reals = self._cached_reals(lambda: self._summarize_reals(self._real_features(feature_net, self.num_images, minibatch_size, num_gpus)))
        fakes = self._fake_features(Gs, feature_net, self.num_images, self.minibatch_per_gpu, num_gpus)
        return reals, fakes

    def _summarize_reals(self, features):
        """What is cached of the real features (FID: mean and covariance)."""
        return features


class FID(FeatureMetric):
    def _summarize_reals(self, features):
        return statistics(features)

    def _evaluate(self, Gs, num_gpus):
        (mu_real, sigma_real), fake_features = self._features(Gs, num_gpus)
        mu_fake, sigma_fake = statistics(fake_features)
        self._report_result(frechet_distance(mu_fake, sigma_fake, mu_real, sigma_real))
