"""Metrics: FID, PPL and LS formulas on fixed inputs; end-to-end runs with stand-in networks; bad input."""

import glob
import os
import pickle
import re

import numpy as np
import PIL.Image
import pytest
import scipy.linalg
import tensorflow.compat.v1 as tf

import config
import dnnlib.tflib as tflib
from conftest import DATA_DIR, run_python
from metrics import frechet_inception_distance as fid
from metrics import linear_separability as ls
from metrics import metric_base
from metrics import perceptual_path_length as ppl
from tests import standin_networks

# ----------------------------------------------------------------------------
# Formulas.


def random_stats(seed, dim=16, n=200, shift=0.0):
    x = np.random.RandomState(seed).randn(n, dim) + shift
    return x.mean(axis=0), np.cov(x, rowvar=False)


def test_fid_formula():
    mu1, s1 = random_stats(0)
    mu2, s2 = random_stats(1, shift=0.3)
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * np.real(scipy.linalg.sqrtm(s1 @ s2)))
    assert abs(fid.frechet_distance(mu1, s1, mu2, s2) - expected) <= 1e-6 * abs(expected)
    assert abs(fid.frechet_distance(mu1, s1, mu1, s1)) < 1e-6
    sigma = np.diag(np.linspace(0.5, 2.0, 16))
    shift = np.full(16, 0.25)
    assert np.isclose(fid.frechet_distance(np.zeros(16), sigma, shift, sigma), np.sum(shift ** 2), rtol=1e-6)  # same covariance: |d mu|^2


def test_slerp_and_crop(session):
    a = np.array([[1.0, 0.0, 0.0]], np.float32)
    b = np.array([[0.0, 2.0, 0.0]], np.float32)
    for t in (0.0, 0.25, 0.5, 1.0):
        out = tflib.run(ppl.slerp(tf.constant(a), tf.constant(b), tf.constant([[t]], tf.float32)))
        np.testing.assert_allclose(out, [[np.cos(t * np.pi / 2), np.sin(t * np.pi / 2), 0.0]], atol=1e-6)
    images = np.arange(2 * 1 * 16 * 16, dtype=np.float32).reshape(2, 1, 16, 16)
    cropped = tflib.run(ppl.crop_face(tf.constant(images)))
    np.testing.assert_array_equal(cropped, images[:, :, 6:14, 4:12])
    big = np.random.RandomState(0).rand(1, 1, 512, 512).astype(np.float32)
    np.testing.assert_allclose(tflib.run(ppl.downsample_to_256(tf.constant(big))), big.reshape(1, 1, 256, 2, 256, 2).mean(axis=(3, 5)), rtol=1e-5)


def test_percentile_filter():
    d = np.concatenate([np.arange(1000, dtype=np.float64), [1e9, -1e9]])
    kept = ppl.filter_distances(d)
    lo, hi = np.sort(d)[int(0.01 * 1001)], np.sort(d)[int(np.ceil(0.99 * 1001))]  # 'lower' and 'higher' percentiles
    np.testing.assert_array_equal(kept, d[(d >= lo) & (d <= hi)])
    assert kept.min() == 9 and kept.max() == 990


def test_conditional_entropy():
    assert ls.conditional_entropy([[0.5, 0.0], [0.0, 0.5]]) == 0.0  # X determines Y
    assert np.isclose(ls.conditional_entropy([[0.25, 0.25], [0.25, 0.25]]), 1.0)  # independent fair coins
    p = np.array([[0.4, 0.1], [0.2, 0.3]])
    h_xy = -np.sum(p * np.log2(p))
    h_x = -np.sum(p.sum(1) * np.log2(p.sum(1)))
    assert np.isclose(ls.conditional_entropy(p), h_xy - h_x, atol=1e-6)
    outputs, targets = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    assert ls.joint_table(outputs, targets) == [[0.25, 0.25], [0.0, 0.5]]


def test_cache_file_name_matches_original(monkeypatch):
    monkeypatch.setattr(config, "cache_dir", "cache")
    metric = fid.FID(name="fid50k", num_images=50000, minibatch_per_gpu=8)
    metric._dataset_args = {"tfrecord_dir": "ffhq", "shuffle_mb": 0}
    metric._mirror_augment = True
    assert metric._get_cache_file_for_reals(num_images=50000) == os.path.join("cache", "cbfdccf1313850bc70ca8fe5bd7c5dab-fid50k-ffhq.pkl")


def test_result_string_format():
    metric = metric_base.DummyMetric(name="fid50k")
    metric._network_pkl = "https://drive.google.com/uc?id=1MEGjdvVpUsu1jB4zrXZN7Y4kBBOzizDQ"
    metric._eval_time = 993
    metric._report_result(4.41594)
    assert metric.get_result_str() == "...VpUsu1jB4zrXZN7Y4kBBOzizDQ  time 16m 33s      fid50k 4.4159    "

# ----------------------------------------------------------------------------
# End to end on stand-in networks.


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A 32x32 RGB dataset, the stand-in networks pickled by our own code, and a cache dir."""
    root = tmp_path_factory.mktemp("metrics")
    rnd = np.random.RandomState(0)
    os.makedirs(root / "images")
    for i in range(12):
        PIL.Image.fromarray(rnd.randint(0, 256, size=[32, 32, 3]).astype(np.uint8)).save(root / "images" / ("%02d.png" % i))
    assert run_python(["dataset_tool.py", "create_from_images", str(root / "datasets" / "toy"), str(root / "images")]).returncode == 0
    with tf.Graph().as_default(), tflib.create_session().as_default():
        for name in ["inception", "lpips", "classifier"]:
            with open(root / ("%s.pkl" % name), "wb") as f:
                pickle.dump(getattr(standin_networks, "make_%s_standin" % name)(), f)
    return root


def metrics_args(workspace, *extra):
    return ["run_metrics.py", "--network", os.path.join(DATA_DIR, "sgan32.pkl"), "--dataset", "toy", "--data-dir", str(workspace / "datasets"),
            "--result-dir", str(workspace / "results")] + list(extra)


@pytest.mark.slow
def test_fid_end_to_end_and_cache(workspace):
    env = {"STYLEGAN_CACHE_DIR": str(workspace / "cache")}
    args = metrics_args(workspace, "--metrics", "fid50k", "--num-images", "16", "--metric-arg", "feature_network=%s" % (workspace / "inception.pkl"))
    first = run_python(args, env_extra=env)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    assert "fid50k reals 16 / 16" in first.stdout
    result = re.search(r"^sgan32 +time \S+(?: \S+)* +fid50k (\d+\.\d+) *$", first.stdout, re.M)
    assert result and float(result.group(1)) > 0
    caches = glob.glob(str(workspace / "cache" / "*-fid50k-toy.pkl"))
    assert len(caches) == 1

    second = run_python(args, env_extra=env)
    assert second.returncode == 0 and "fid50k reals" not in second.stdout and "fid50k fakes 16 / 16" in second.stdout
    assert len(glob.glob(str(workspace / "results" / "*-run_metrics.run_pickle-fid50k-1gpu"))) == 2


@pytest.mark.slow
def test_ppl_and_ls_end_to_end(session, workspace, tmp_path):
    with open(os.path.join(DATA_DIR, "sgan32.pkl"), "rb") as f:
        _G, _D, Gs = pickle.load(f)
    for space, sampling in [("z", "full"), ("w", "end")]:
        metric = ppl.PPL(name="ppl_%s%s" % (space, sampling), num_samples=24, epsilon=1e-4, space=space, sampling=sampling,
                         minibatch_per_gpu=8, perceptual_network=str(workspace / "lpips.pkl"))
        metric._evaluate(Gs, num_gpus=1)
        value = metric._results[0].value
        assert np.isfinite(value) and value > 0
    pytest.importorskip("sklearn")
    metric = ls.LS(name="ls", num_samples=40, num_keep=20, attrib_indices=range(2), minibatch_per_gpu=8,
                   classifiers=[str(workspace / "classifier.pkl"), "tests.standin_networks.make_classifier_standin"])
    metric._evaluate(Gs, num_gpus=1)
    z_score, w_score = [r.value for r in metric._results]
    assert 1.0 <= z_score <= 4.0 and 1.0 <= w_score <= 4.0  # 2^(sum of two entropies of at most 1 bit)
    assert [r.suffix for r in metric._results] == ["_z", "_w"]


@pytest.mark.parametrize("extra,message", [
    (["--network", "missing.pkl"], "neither a preset"),
    (["--dataset", "nope"], "Dataset 'nope' not found"),
    (["--metrics", "fid1k"], "Unknown metric 'fid1k'"),
    (["--metric-arg", "feature_network=http://127.0.0.1:9/inception_v3_features.pkl", "--num-images", "4"], "inception_v3_features.pkl"),
])
def test_bad_input(workspace, extra, message):
    args = metrics_args(workspace, "--metrics", "fid50k")
    if extra[0] == "--network":
        args[2] = extra[1]
        extra = []
    elif extra[0] == "--dataset":
        args[args.index("--dataset") + 1] = extra[1]
        extra = []
    result = run_python(args + extra, env_extra={"STYLEGAN_CACHE_DIR": str(workspace / "empty-cache")})
    assert result.returncode == 1
    errors = [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], result.stdout[-1500:] + result.stderr[-1500:]
    assert "Traceback" not in result.stderr
