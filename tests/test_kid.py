"""KID: the subset estimator against a direct double loop, and against the closed form for Gaussian features."""

import numpy as np
import pytest

from metrics import metric_base
from metrics.kernel_inception_distance import KID, kernel_inception_distance


def cubic_kernel(x, y):
    return (np.dot(x, y) / len(x) + 1.0) ** 3


def mmd2_unbiased_loop(x, y):
    """Unbiased MMD^2 (Gretton et al. 2012, eq. 3) by explicit sums over all pairs."""
    m = len(x)
    within_x = sum(cubic_kernel(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    within_y = sum(cubic_kernel(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    between = sum(cubic_kernel(x[i], y[j]) for i in range(m) for j in range(m))
    return (within_x + within_y) / (m * (m - 1)) - 2.0 * between / (m * m)


def expected_kernel(a, b, d):
    """E[(x.y/d + 1)^3] for independent x ~ N(a, I_d), y ~ N(b, I_d), from the moments of x.y."""
    ab, aa, bb = np.dot(a, b), np.dot(a, a), np.dot(b, b)
    m1 = ab
    m2 = ab ** 2 + aa + bb + d
    m3 = ab ** 3 + 3 * ab * (aa + bb + d + 2)
    return m3 / d ** 3 + 3 * m2 / d ** 2 + 3 * m1 / d + 1


def test_matches_double_loop():
    rnd = np.random.RandomState(0)
    fakes = rnd.randn(40, 5)
    reals = rnd.randn(40, 5) * 1.3 + 0.4
    # One subset of all samples: a permutation, which leaves the estimate unchanged.
    kid = kernel_inception_distance(reals, fakes, num_subsets=1, max_subset_size=1000, rnd=np.random.RandomState(1))
    assert np.isclose(kid, mmd2_unbiased_loop(fakes, reals), rtol=1e-10, atol=1e-12)


def test_subsets_average_double_loops():
    rnd = np.random.RandomState(2)
    fakes, reals = rnd.randn(30, 4), rnd.randn(50, 4) + 0.2
    chooser = np.random.RandomState(3)
    expected = []
    for _ in range(3):  # the same draws as the estimator: fakes first, then reals, without replacement
        x = fakes[chooser.choice(30, 10, replace=False)]
        y = reals[chooser.choice(50, 10, replace=False)]
        expected.append(mmd2_unbiased_loop(x, y))
    kid = kernel_inception_distance(reals, fakes, num_subsets=3, max_subset_size=10, rnd=np.random.RandomState(3))
    assert np.isclose(kid, np.mean(expected), rtol=1e-10)


def test_identical_distributions_near_zero():
    rnd = np.random.RandomState(4)
    d = 16
    values = [kernel_inception_distance(rnd.randn(1000, d), rnd.randn(1000, d), num_subsets=10, max_subset_size=500, rnd=rnd)
              for _ in range(5)]
    # Unbiased: the mean over draws is 0 within its standard error, and each draw is tiny against a real shift (below).
    assert abs(np.mean(values)) < 4 * np.std(values) / np.sqrt(len(values)) + 1e-6
    assert max(abs(v) for v in values) < 0.01


@pytest.mark.parametrize("shift", [0.3, 0.6])
def test_shifted_gaussians_closed_form(shift):
    d = 8
    a, b = np.zeros(d), np.full(d, shift)
    exact = expected_kernel(a, a, d) + expected_kernel(b, b, d) - 2 * expected_kernel(a, b, d)
    rnd = np.random.RandomState(5)
    reals, fakes = rnd.randn(20000, d) + a, rnd.randn(20000, d) + b
    kid = kernel_inception_distance(reals, fakes, num_subsets=100, max_subset_size=1000, rnd=rnd)
    # 100 subsets of 1000 pairs: the sampling error is a few percent of these values (checked over seeds).
    assert abs(kid - exact) < 0.1 * exact, (kid, exact)


def test_too_few_samples():
    with pytest.raises(ValueError):
        kernel_inception_distance(np.zeros([1, 3]), np.zeros([5, 3]))


def test_registry_and_defaults():
    assert {"kid50k", "kid10k", "fid10k"} <= set(metric_base.list_metrics())
    kid = metric_base.get_metric("kid50k")
    assert (kid.num_images, kid.num_subsets, kid.max_subset_size) == (50000, 100, 1000)
    metric = metric_base.create_metric(dict(kid, feature_network="fmnist"))
    assert isinstance(metric, KID) and metric.aux_networks()[0][0] == "fmnist" and metric.uses_dataset()
