"""Metrics: FID, PPL and LS formulas on fixed inputs; end-to-end runs with stand-in networks; bad input."""

import copyreg
import glob
import gzip
import hashlib
import os
import pickle
import re
import struct

import numpy as np
import PIL.Image
import pytest
import scipy.linalg
import tensorflow.compat.v1 as tf

import config
import dnnlib
import dnnlib.tflib as tflib
from conftest import DATA_DIR, run_python
from metrics import frechet_inception_distance as fid
from metrics import linear_separability as ls
from metrics import metric_base
from metrics import perceptual_path_length as ppl
from tests import standin_networks
from training import misc

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
    args = metrics_args(workspace, "--metrics", "fid50k", "--num-images", "16", "--metric-arg", "feature_network=%s" % (workspace / "inception.pkl"),
                        "--trust-pickles")  # the stand-in is not a registered architecture: its code runs
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
                         minibatch_per_gpu=8, perceptual_network=str(workspace / "lpips.pkl"), trust_pickles=True)
        metric._evaluate(Gs, num_gpus=1)
        value = metric._results[0].value
        assert np.isfinite(value) and value > 0
    pytest.importorskip("sklearn")
    metric = ls.LS(name="ls", num_samples=40, num_keep=20, attrib_indices=range(2), minibatch_per_gpu=8,
                   classifiers=[str(workspace / "classifier.pkl"), "tests.standin_networks.make_classifier_standin"], trust_pickles=True)
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

# ----------------------------------------------------------------------------
# The metric registry.


def test_registry():
    names = metric_base.list_metrics()
    assert names[:4] == ["fid50k", "fid10k", "kid50k", "kid10k"] and "dummy" in names and "ls" in names
    copy = metric_base.get_metric("fid50k")
    copy.num_images = 5
    assert metric_base.fid50k.num_images == 50000 and metric_base.get_metric("fid50k").num_images == 50000
    with pytest.raises(dnnlib.util.UserError, match=r"Unknown metric 'fid1k'; choose from fid50k, fid10k, .*dummy"):
        metric_base.get_metric("fid1k")

# ----------------------------------------------------------------------------
# Auxiliary networks: fetched before work starts, trusted only when they may be.


class _HostileCode:
    """Pickles as a call of exec(): loading it with plain pickle creates the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (exec, ("open(%r, 'w').close()" % str(self.marker),))


def write_hostile_pickles(directory, marker):
    """Two pickles that create `marker` when their code runs: a bare exec(), and a working stand-in network whose source does it."""
    with open(directory / "hostile-exec.pkl", "wb") as f:
        pickle.dump(_HostileCode(marker), f, protocol=4)
    with tf.Graph().as_default(), tflib.create_session().as_default():
        state = standin_networks.make_inception_standin().__getstate__()
    state["build_module_src"] = "open(%r, 'w').close()\n" % str(marker) + state["build_module_src"]
    with open(directory / "hostile-network.pkl", "wb") as f:  # references only the Network class, like any network pickle
        pickler = pickle.Pickler(f, protocol=4)
        pickler.dispatch_table = dict(copyreg.dispatch_table)
        pickler.dispatch_table[tflib.Network] = lambda net: (copyreg.__newobj__, (tflib.Network,), state)
        pickler.dump(object.__new__(tflib.Network))


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty cache dir and no downloads: open_url fails as without network."""
    monkeypatch.setattr(config, "cache_dir", str(tmp_path / "cache"))

    def no_network(url, *args, **kwargs):
        raise dnnlib.util.DownloadError("Cannot download %s (cannot connect; no network?)." % url)
    monkeypatch.setattr(dnnlib.util, "open_url", no_network)
    return tmp_path


def test_prepare_metrics_names_missing_file(offline):
    with pytest.raises(dnnlib.util.UserError) as info:
        metric_base.prepare_metrics([metric_base.fid10k])
    message = str(info.value)
    assert "\n" not in message and "inception_v3_features.pkl" in message
    assert os.path.join(str(offline / "cache"), "") in message and "--metrics none" in message and "feature_network=fmnist" in message


@pytest.mark.parametrize("url", [fid.INCEPTION_URL, metric_base.NVIDIA_CDN + "inception_v3_features.pkl"])
def test_prepare_metrics_cached_official_file(offline, url):
    os.makedirs(offline / "cache")
    with open(offline / "cache" / ("%s_inception_v3_features.pkl" % hashlib.md5(url.encode()).hexdigest()), "wb") as f:
        f.write(b"not read: a cached official file only has to exist")
    metric_base.prepare_metrics([metric_base.fid10k, metric_base.kid50k, dict(metric_base.fid50k, feature_network=url)])


def test_prepare_metrics_other_specs(offline):
    metric_base.prepare_metrics([dict(metric_base.fid10k, feature_network="fmnist"), metric_base.dummy,
                                 dict(metric_base.ppl_wend, perceptual_network="tests.standin_networks.make_lpips_standin")])
    with pytest.raises(dnnlib.util.UserError, match="neither a named network"):
        metric_base.prepare_metrics([dict(metric_base.kid10k, feature_network=str(offline / "missing.pkl"))])
    with pytest.raises(dnnlib.util.UserError, match="Metric 'ppl_wend'"):
        metric_base.prepare_metrics([dict(metric_base.ppl_wend, feature_network="fmnist")])


def test_only_bad_metric_arguments_become_user_errors():
    """A metric's own TypeError stays a bug with its traceback; a caller's wrong arguments are one line."""
    with pytest.raises(dnnlib.util.UserError, match="Metric 'fid10k': unexpected keyword argument 'num_image'"):
        metric_base.create_metric(dict(metric_base.fid10k, num_image=5))
    with pytest.raises(TypeError, match="has no len"):
        metric_base.create_metric(dict(name="buggy", func_name="tests.toy_metrics.MetricWithABug"))
    for setting, expected in [(dict(num_images=-5), "num_images must be a whole number from 2 to 100000000, not -5"),
                              (dict(num_images=1e999), "num_images must be a whole number from 2 to 100000000, not inf"),
                              (dict(num_images=True), "num_images must be a whole number from 2 to 100000000, not True"),
                              (dict(num_images=10 ** 20), "num_images must be a whole number from 2 to 100000000, not 100000000000000000000"),
                              (dict(minibatch_per_gpu=0), "minibatch_per_gpu must be"), (dict(minibatch_per_gpu=2 ** 63), "minibatch_per_gpu must be"),
                              (dict(num_subsets=10 ** 12), "num_subsets must be")]:
        with pytest.raises(dnnlib.util.UserError, match="Metric 'kid10k': %s" % expected):
            metric_base.create_metric(dict(metric_base.kid10k, **setting))
    for setting in [dict(num_subsets=0), dict(max_subset_size=-1)]:
        with pytest.raises(dnnlib.util.UserError, match="Metric 'kid10k': %s must be" % next(iter(setting))):
            metric_base.create_metric(dict(metric_base.kid10k, **setting))
    with pytest.raises(dnnlib.util.UserError, match=r"Metric 'ls': num_keep \(300000\) must not exceed num_samples \(200000\)"):
        metric_base.create_metric(dict(metric_base.ls, num_keep=300000))
    assert metric_base._settings_problem(dict(num_images=np.int64(8), num_keep=1, num_samples=2)) == ""  # NumPy ints, LS of 2 images
    for epsilon in (0, 1e-30, 1e-200, 2.0, float("nan")):  # 1/epsilon**2 of 1e-200 divided by zero; 1e-30 gave NaN
        with pytest.raises(dnnlib.util.UserError, match="Metric 'ppl_zfull': epsilon must be a number from 1e-08 to 1, not "):
            metric_base.create_metric(dict(metric_base.ppl_zfull, epsilon=epsilon))
    assert metric_base._settings_problem(dict(epsilon=1e-4)) == metric_base._settings_problem(dict(epsilon=1e-8)) == ""
    assert {"feature_network", "num_images", "name"} <= metric_base.accepted_args(metric_base.fid10k)
    assert not {"self", "kwargs"} & metric_base.accepted_args(metric_base.fid10k)  # no --metric-arg kwargs=...


def test_untrusted_pickles_never_run(offline):
    marker = offline / "marker"
    write_hostile_pickles(offline, marker)
    for name in ["hostile-exec.pkl", "hostile-network.pkl"]:
        spec = str(offline / name)
        with pytest.raises(dnnlib.util.UserError, match="--trust-pickles") as info:
            metric_base.prepare_metrics([dict(metric_base.fid10k, feature_network=spec)])
        assert "\n" not in str(info.value)
        with tf.Graph().as_default(), tflib.create_session().as_default():
            with pytest.raises(dnnlib.util.UserError, match="--trust-pickles"):
                metric_base.load_aux_network(spec, "The feature network")
    assert not marker.exists()

    spec = str(offline / "hostile-network.pkl")  # trusted by the user: checked without running, then runs when loaded
    metric_base.prepare_metrics([dict(metric_base.fid10k, feature_network=spec)], trust_pickles=True)
    assert not marker.exists()
    with tf.Graph().as_default(), tflib.create_session().as_default():
        net = metric_base.load_aux_network(spec, "The feature network")
    assert marker.exists() and net.output_shape == [None, 6]


def test_bundled_feature_network(session):
    net = metric_base.load_aux_network("fmnist", "The feature network")
    assert net.output_shape == [None, 256] and net.static_kwargs.num_channels == 1
    with open(metric_base.NAMED_NETWORKS["fmnist"], "rb") as f:
        assert isinstance(tflib.loader.loads_network_pkl(f.read(), safe=True), tflib.Network)  # a registered architecture
    gray = np.random.RandomState(0).randint(0, 256, [4, 1, 32, 32]).astype(np.float32)
    features = net.run(gray)
    assert features.shape == (4, 256) and np.all(features >= 0) and np.any(features > 0)
    np.testing.assert_allclose(net.run(np.repeat(gray, 3, axis=1)), features, rtol=1e-4, atol=1e-4)  # RGB averaged to gray
    assert net.run(np.zeros([2, 1, 64, 64], np.float32)).shape == (2, 256)  # other sizes are resized
    logits = net.get_output_for(tf.constant(gray), output="logits")
    assert tflib.run(logits).shape == (4, 10)

# ----------------------------------------------------------------------------
# Running metrics: failures, labels, snapshot options.


def test_metric_group_survives_failing_metric(capsys):
    tflib.init_tf()
    group = metric_base.MetricGroup([dict(func_name="tests.standin_networks.make_failing_metric", name="boom"), metric_base.dummy])
    group.run(os.path.join(DATA_DIR, "sgan32.pkl"), dataset_args=dict(tfrecord_dir="unused"), mirror_augment=False)
    out = capsys.readouterr().out
    assert "Metric boom failed: RuntimeError: the evaluation broke\n" in out
    assert re.search(r"^sgan32 +time \S+ +dummy 0\.0000", out, re.M)
    assert group.get_result_str().startswith("sgan32                         time -")


def test_non_network_pickle_is_refused(tmp_path):
    tflib.init_tf()
    path = tmp_path / "list.pkl"
    with open(path, "wb") as f:
        pickle.dump([1, 2, 3], f)
    with pytest.raises(dnnlib.util.UserError, match=r"does not hold a \(G, D, Gs\) tuple"):
        metric_base.DummyMetric(name="dummy").run(str(path), dataset_args={}, mirror_augment=False)


def test_labels_drawn_from_dataset(session, tmp_path, monkeypatch):
    monkeypatch.setattr(config, "data_dir", str(tmp_path))
    os.makedirs(tmp_path / "cond")
    rows = np.zeros([50, 10], np.float32)
    rows[:40, 3] = rows[40:, 7] = 1
    with open(tmp_path / "cond" / "cond-rxx.labels", "wb") as f:
        np.save(f, rows)
    metric = metric_base.DummyMetric(name="dummy")
    metric._dataset_args = dict(tfrecord_dir="cond")

    class Conditional:
        input_shapes = [[None, 8], [None, 10]]
    feeder = metric._label_feeder(Conditional)
    labels_in = feeder.placeholder(1000)
    fed = feeder.feed()[labels_in]
    assert fed.shape == (1000, 10) and set(np.argmax(fed, axis=1)) == {3, 7}
    assert 0.75 < np.mean(fed[:, 3]) < 0.85  # the dataset's label distribution, not zeros

    class Unconditional:
        input_shapes = [[None, 8], [None, 0]]
    assert metric._label_feeder(Unconditional).placeholder(4) is None
    os.remove(tmp_path / "cond" / "cond-rxx.labels")
    with pytest.raises(dnnlib.util.UserError, match="class-conditional"):
        metric._label_feeder(Conditional)


def test_snapshot_options_before_config_txt(monkeypatch, tmp_path):
    tflib.init_tf()
    options = dict(dataset_args=dict(tfrecord_dir="from-json", shuffle_mb=4096), mirror_augment=True)
    monkeypatch.setattr(misc, "load_snapshot_options", lambda pkl: options)
    metric = metric_base.DummyMetric(name="dummy")
    metric.run(os.path.join(DATA_DIR, "sgan32.pkl"), run_dir=str(tmp_path), log_results=False)  # no config.txt there
    assert metric._dataset_args == dict(tfrecord_dir="from-json", shuffle_mb=0) and metric._mirror_augment is True

    monkeypatch.setattr(misc, "load_snapshot_options", lambda pkl: None)
    with open(tmp_path / "config.txt", "w") as f:
        f.write("dataset = {'tfrecord_dir': 'from-config'}\ntrain = {'mirror_augment': False}\n")
    metric.run(os.path.join(DATA_DIR, "sgan32.pkl"), run_dir=str(tmp_path), log_results=False)
    assert metric._dataset_args == dict(tfrecord_dir="from-config", shuffle_mb=0) and metric._mirror_augment is False


def test_run_metrics_on_a_snapshot_takes_its_dataset(monkeypatch, tmp_path):
    """--network with one of our snapshots and no --dataset: the dataset and mirroring it was trained with, from its .json;
    --dataset and --mirror-augment still decide; the .json's settings are checked (no class to call)."""
    import run_metrics
    pkl = str(tmp_path / "network-snapshot-000006.pkl")
    with open(os.path.join(DATA_DIR, "sgan32.pkl"), "rb") as src, open(pkl, "wb") as dst:
        dst.write(src.read())

    def tasks_for(*argv):
        monkeypatch.setattr("sys.argv", ["run_metrics.py", "--network", pkl, "--metrics", "dummy"] + list(argv))
        return run_metrics._parse_command_line(*run_metrics.default_tasks())[1]

    assert tasks_for()[0].dataset_args.tfrecord_dir == "ffhq"  # no .json: the original's default
    misc.save_progress(pkl, 6000, 60.0, dataset_args=dict(tfrecord_dir="mydataset", resolution=32), mirror_augment=True)
    task = tasks_for()[0]
    assert task.dataset_args == dict(tfrecord_dir="mydataset", resolution=32, shuffle_mb=0) and task.mirror_augment is True
    assert tasks_for("--mirror-augment", "0")[0].mirror_augment is False
    task = tasks_for("--dataset", "other")[0]
    assert task.dataset_args == dict(tfrecord_dir="other", shuffle_mb=0) and task.mirror_augment is False
    misc.save_progress(pkl, 6000, 60.0, dataset_args=dict(tfrecord_dir="x", class_name="subprocess.run"), mirror_augment=False)
    with pytest.raises(dnnlib.util.UserError, match="class_name"):
        tasks_for()
    result = run_python(["run_metrics.py", "--network", pkl, "--metrics", "dummy", "--result-dir", str(tmp_path / "results")])
    assert result.returncode == 1 and result.stderr.strip().count("\n") == 0 and result.stderr.startswith("Error: "), result.stderr
    assert "class_name" in result.stderr and not os.path.exists(tmp_path / "results")

# ----------------------------------------------------------------------------
# The command line: validation before the run dir, hostile pickles, FID and KID with the offline feature network.


def write_idx_gz(path, array, magic):
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape) + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def fashion_workspace(tmp_path_factory):
    """A tiny labelled 32x32 grayscale dataset made like Fashion-MNIST's (create_mnist on idx files)."""
    root = tmp_path_factory.mktemp("fashion")
    rnd = np.random.RandomState(1)
    os.makedirs(root / "idx")
    write_idx_gz(root / "idx" / "train-images-idx3-ubyte.gz", rnd.randint(0, 256, [64, 28, 28]), 0x803)
    write_idx_gz(root / "idx" / "train-labels-idx1-ubyte.gz", np.arange(64) % 10, 0x801)
    result = run_python(["dataset_tool.py", "create_mnist", str(root / "datasets" / "tinyfm"), str(root / "idx")])
    assert result.returncode == 0, result.stderr[-2000:]
    return root


def fashion_args(root, *extra):
    return ["run_metrics.py", "--network", "demo", "--dataset", "tinyfm", "--data-dir", str(root / "datasets"),
            "--result-dir", str(root / "results")] + list(extra)


@pytest.mark.slow
def test_fid_and_kid_offline(fashion_workspace):
    env = {"STYLEGAN_CACHE_DIR": str(fashion_workspace / "cache")}
    result = run_python(fashion_args(fashion_workspace, "--metrics", "fid10k,kid10k", "--num-images", "48",
                                     "--metric-arg", "feature_network=fmnist"), env_extra=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    fid_value = re.search(r"^stylegan-fashion-mnist-32x32 +time \S+(?: \S+)* +fid10k (\d+\.\d+) *$", result.stdout, re.M)
    kid_value = re.search(r"^stylegan-fashion-mnist-32x32 +time \S+(?: \S+)* +kid10k (-?\d+\.\d+) *$", result.stdout, re.M)
    assert fid_value and float(fid_value.group(1)) > 0 and kid_value
    assert len(glob.glob(str(fashion_workspace / "cache" / "*-fid10k-tinyfm.pkl"))) == 1
    assert len(glob.glob(str(fashion_workspace / "cache" / "*-kid10k-tinyfm.pkl"))) == 1


@pytest.mark.parametrize("case", ["exec", "network", "trusted"])
def test_hostile_feature_network_on_command_line(fashion_workspace, tmp_path, case):
    marker = tmp_path / "marker"
    write_hostile_pickles(tmp_path, marker)
    name = "hostile-exec.pkl" if case == "exec" else "hostile-network.pkl"
    extra = ["--trust-pickles"] if case == "trusted" else []
    result = run_python(fashion_args(fashion_workspace, "--metrics", "fid10k", "--num-images", "8", "--result-dir", str(tmp_path / "results"),
                                     "--metric-arg", "feature_network=%s" % (tmp_path / name), *extra),
                        env_extra={"STYLEGAN_CACHE_DIR": str(tmp_path / "cache")})
    if case == "trusted":
        assert result.returncode == 0 and marker.exists(), result.stderr[-2000:]
        return
    assert result.returncode == 1 and not marker.exists()
    assert not os.path.exists(tmp_path / "results") or not os.listdir(tmp_path / "results")  # no run dir
    assert [line for line in result.stderr.splitlines() if line.startswith("Error:")] == [result.stderr.strip().splitlines()[-1]]
    assert "--trust-pickles" in result.stderr and "Traceback" not in result.stderr


def test_dummy_on_non_network_pickle_fails(tmp_path):
    with open(tmp_path / "data.pkl", "wb") as f:
        pickle.dump({"not": "a network"}, f)
    result = run_python(["run_metrics.py", "--network", str(tmp_path / "data.pkl"), "--metrics", "dummy", "--result-dir", str(tmp_path / "results")])
    assert result.returncode == 1 and "does not hold a (G, D, Gs) tuple" in result.stderr
    assert not os.path.exists(tmp_path / "results") or not os.listdir(tmp_path / "results")


def test_metric_arg_goes_to_metrics_that_take_it(workspace):
    result = run_python(metrics_args(workspace, "--metrics", "dummy", "--metric-arg", "feature_network=fmnist"))
    assert result.returncode == 1 and "--metric-arg feature_network: none of the metrics (dummy) takes it" in result.stderr


@pytest.mark.slow
def test_train_feature_network_script(fashion_workspace, tmp_path, session):
    output = tmp_path / "classifier.pkl"
    result = run_python(["-m", "metrics.train_feature_network", "--dataset", "tinyfm", "--data-dir", str(fashion_workspace / "datasets"),
                         "--epochs", "1", "--minibatch", "16", "--holdout", "0.25", "--output", str(output)])
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r"Test accuracy \d\.\d{4}; saved", result.stdout)
    net = tflib.load_network_pkl(str(output))  # safe loader: C_classifier is a registered architecture
    assert net.output_shape == [None, 256] and net.run(np.zeros([3, 1, 32, 32], np.float32)).shape == (3, 256)
    bad = run_python(["-m", "metrics.train_feature_network", "--dataset", "nope", "--data-dir", str(fashion_workspace / "datasets"),
                      "--output", str(output)])
    assert bad.returncode == 1 and bad.stderr.strip().splitlines()[-1].startswith("Error: Dataset")


def test_grayscale_feature_network_averages_rgb_images(session):
    """An RGB generator measured in a grayscale feature network (fmnist): the images' channel mean is what it sees."""
    net = tflib.Network("C_gray", func_name="training.networks_classifier.C_classifier", num_channels=1, resolution=8, fmaps=[4], feature_size=6)
    rgb = np.random.RandomState(0).uniform(0, 255, [2, 3, 8, 8]).astype(np.float32)
    np.testing.assert_allclose(net.run(rgb), net.run(rgb.mean(axis=1, keepdims=True)), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="takes 1 or 3 channels, not 2"):
        net.get_output_for(tf.zeros([1, 2, 8, 8]))


def test_auxiliary_networks_must_take_the_inputs_their_use_gives(offline, tmp_path):
    """A feature network as LPIPS (two image batches) fails before any run, in one line; so does a file that claims
    more bytes than any network pickle holds (a sparse file), before it is read."""
    with pytest.raises(dnnlib.util.UserError, match="The PPL perceptual network 'fmnist' takes 1 input; it is used here with 2"):
        metric_base.prepare_metrics([dict(metric_base.ppl_wend, perceptual_network="fmnist")])
    with pytest.raises(dnnlib.util.UserError, match="'tests.standin_networks.make_lpips_standin' takes 2 inputs; it is used here with 1"):
        metric_base.prepare_metrics([dict(metric_base.fid10k, feature_network="tests.standin_networks.make_lpips_standin")])
    with open(tmp_path / "sparse.pkl", "wb") as f:
        f.truncate(metric_base.MAX_AUX_PICKLE_BYTES + 1)
    with pytest.raises(dnnlib.util.UserError, match="sparse.pkl' is 2147483649 bytes, more than a network pickle holds"):
        metric_base.prepare_aux_network(str(tmp_path / "sparse.pkl"), "The feature network")


def test_feature_network_function_names_that_build_no_network(session):
    with pytest.raises(dnnlib.util.UserError, match="'numpy.zeros' cannot build a network without arguments"):
        metric_base.load_aux_network("numpy.zeros", "Feature network")
    with pytest.raises(dnnlib.util.UserError, match="'os.getcwd' returned a str, not a network"):
        metric_base.load_aux_network("os.getcwd", "Feature network")


def test_label_files_named_by_a_run_are_read_checked(tmp_path):
    """A label file named in a run's settings is read as a dataset's: pickled objects are refused, not a traceback."""
    path = tmp_path / "objects.npy"
    np.save(str(path), np.array([{"a": 1}], dtype=object), allow_pickle=True)
    metric = metric_base.create_metric(dict(metric_base.fid10k))
    metric._dataset_args = {"tfrecord_dir": str(tmp_path), "label_file": str(path)}
    with pytest.raises(dnnlib.util.UserError, match="Label file '.*objects.npy' holds object values, not numbers"):
        metric._label_feeder(dnnlib.EasyDict(input_shapes=[[None, 8], [None, 3]]))
