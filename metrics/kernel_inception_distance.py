"""Kernel Inception Distance (Binkowski et al. 2018): an unbiased MMD^2 estimate between feature distributions.

Kernel k(x, y) = (x.y / d + 1)^3 on d-dimensional features; the estimate is
averaged over random subsets as stylegan2-ada's kid50k_full defines it
(100 subsets of at most 1000 samples). Reported as is, not scaled by 10^3.
"""

import numpy as np

from metrics.frechet_inception_distance import FeatureMetric


def kernel_inception_distance(real_features, fake_features, num_subsets=100, max_subset_size=1000, rnd=None):
    """Mean over num_subsets of the unbiased MMD^2 between m fakes and m reals, drawn without replacement.

    m = min(#reals, #fakes, max_subset_size); rnd: a np.random.RandomState (default: NumPy's global RNG).
    """
    rnd = np.random if rnd is None else rnd
    real_features = np.asarray(real_features, dtype=np.float64)
    fake_features = np.asarray(fake_features, dtype=np.float64)
    n = real_features.shape[1]
    m = min(len(real_features), len(fake_features), max_subset_size)
    if m < 2:
        raise ValueError("KID needs at least 2 real and 2 generated samples")
    total = 0.0
    for _ in range(num_subsets):
        x = fake_features[rnd.choice(len(fake_features), m, replace=False)]
        y = real_features[rnd.choice(len(real_features), m, replace=False)]
        within = (x @ x.T / n + 1) ** 3 + (y @ y.T / n + 1) ** 3
        between = (x @ y.T / n + 1) ** 3
        total += (within.sum() - np.diag(within).sum()) / (m - 1) - between.sum() * 2 / m
    return float(total / num_subsets / m)


class KID(FeatureMetric):
    def __init__(self, num_images, minibatch_per_gpu, num_subsets=100, max_subset_size=1000, **kwargs):
        """num_images reals and fakes, features from the same network as FID (NVIDIA's Inception by default)."""
        super().__init__(num_images=num_images, minibatch_per_gpu=minibatch_per_gpu, **kwargs)
        self.num_subsets, self.max_subset_size = num_subsets, max_subset_size

    def _evaluate(self, Gs, num_gpus):
        real_features, fake_features = self._features(Gs, num_gpus)  # the real features themselves are cached
        kid = kernel_inception_distance(real_features, fake_features, self.num_subsets, self.max_subset_size)
        self._report_result(kid, fmt="%-10.6f")
