"""The training loop end to end: dataset -> train.py --config=tiny, abort and resume, towers on CPU."""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import PIL.Image
import pytest
import tensorflow.compat.v1 as tf

import dnnlib.tflib as tflib
from conftest import REPO_ROOT, run_python
from training import dataset, training_loop

TICK_LINE = re.compile(r"^tick (\d+) +kimg ([\d.]+) +lod ([\d.]+) +minibatch (\d+) +time .+ sec/tick [\d.]+ +sec/kimg [\d.]+ +maintenance [\d.-]+ +gpumem [\d.]+ $")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    images = root / "images"
    os.makedirs(images)
    rnd = np.random.RandomState(0)
    for i in range(24):
        PIL.Image.fromarray(rnd.randint(0, 256, size=[16, 16, 3]).astype(np.uint8)).save(images / ("%02d.png" % i))
    result = run_python(["dataset_tool.py", "create_from_images", str(root / "datasets" / "toy"), str(images)])
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def tick_lines(run_dir):
    lines = [line.rstrip("\n") for line in open(os.path.join(run_dir, "log.txt")) if line.startswith("tick ")]
    for line in lines:
        assert TICK_LINE.match(line), repr(line)
    return [TICK_LINE.match(line).groups() for line in lines]


def train_args(data_dir, results, *extra):
    return ["train.py", "--config=tiny", "--dataset=toy", "--data-dir", str(data_dir / "datasets"), "--result-dir", str(results)] + list(extra)


@pytest.mark.slow
def test_tiny_run_grows_and_writes_run_dir(data_dir, tmp_path):
    result = run_python(train_args(data_dir, tmp_path, "--total-kimg=3"), env_extra={"TF_CPP_MIN_LOG_LEVEL": "2"})  # dnnlib's default
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # No native error lines: e.g. oneDNN's about int32 ops on CPUs without AVX-512, which tf.tile's gradient caused.
    assert not re.findall(r"^[EF]\d{4} .*$", result.stderr, re.MULTILINE)
    run_dir = tmp_path / "00000-tiny-toy"
    ticks = tick_lines(run_dir)
    lods = [float(t[2]) for t in ticks]
    assert lods[0] == 2.0 and min(lods) <= 1.0  # 4x4 -> 8x8 for a 16x16 dataset
    for name in ["reals.png", "fakes000000.png", "network-final.pkl", "network-snapshot-000001.pkl", "config.txt", "_finished.txt"]:
        assert (run_dir / name).exists(), name
    assert glob.glob(str(run_dir / "events.out.tfevents.*"))
    tags = set()
    for event in tf.train.summary_iterator(glob.glob(str(run_dir / "events.out.tfevents.*"))[0]):
        for value in event.summary.value:
            tags.add(value.tag)
            if value.tag.startswith("Loss/"):
                assert np.isfinite(value.simple_value), value.tag
    assert {"Loss/scores/real", "Loss/r1_penalty", "Progress/lod", "TrainG/learning_rate", "Timing/sec_per_kimg"} <= tags
    assert "'tfrecord_dir': 'toy'" in (run_dir / "config.txt").read_text()


@pytest.mark.slow
def test_abort_then_resume_continues(data_dir, tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen([sys.executable] + train_args(data_dir, tmp_path, "--total-kimg=1000"), cwd=REPO_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run_dir = tmp_path / "00000-tiny-toy"
    deadline = time.time() + 600
    while not glob.glob(str(run_dir / "network-snapshot-*.pkl")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "the run ended before it could be aborted"
    (run_dir / "abort.txt").write_text("")
    assert proc.wait(timeout=600) == 0
    first_ticks = tick_lines(run_dir)
    stop_kimg = float(first_ticks[-1][1])
    assert stop_kimg < 1000 and (run_dir / "network-final.pkl").exists()
    snapshots = {p: os.path.getmtime(p) for p in glob.glob(str(run_dir / "network-*.pkl"))}

    result = run_python(train_args(data_dir, tmp_path, "--resume", str(run_dir), "--total-kimg=%g" % (stop_kimg + 2)))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    resumed = tmp_path / "00001-tiny-toy"
    log = (resumed / "log.txt").read_text()
    assert 'Resuming from "%s" at %.1f kimg' % (run_dir / "network-final.pkl", stop_kimg) in log
    ticks = tick_lines(resumed)
    assert float(ticks[0][1]) > stop_kimg
    assert float(ticks[0][2]) <= float(first_ticks[-1][2])  # lod continues from where it was, never back to 4x4
    assert (resumed / ("fakes%06d.png" % int(stop_kimg))).exists()
    assert {p: os.path.getmtime(p) for p in glob.glob(str(run_dir / "network-*.pkl"))} == snapshots


def make_G_and_D(kwargs):
    G = tflib.Network("G", func_name="training.networks_stylegan.G_style", latent_size=8, dlatent_size=8, mapping_layers=1, mapping_fmaps=8, **kwargs)
    D = tflib.Network("D", func_name="training.networks_stylegan.D_basic", mbstd_group_size=1, **kwargs)
    return G, D


def one_sgd_step(num_gpus, data_path, weights):
    """D's weights after one plain-SGD step on the same 8 reals, with the minibatch split over num_gpus towers."""
    with tf.Graph().as_default(), tflib.create_session({"rnd.tf_random_seed": 1}).as_default():
        training_set = dataset.TFRecordDataset(data_path, shuffle_mb=0)
        kwargs = dict(num_channels=3, resolution=16, fmap_base=32, fmap_max=8)
        with tf.device("/gpu:0"):  # where the training loop builds tower 0
            G, D = make_G_and_D(kwargs)
        tflib.set_vars({D.vars[name]: value for name, value in weights.items()})
        Gs = G.clone("Gs")
        opt_args = dict(tf_optimizer="tf.train.GradientDescentOptimizer")
        graph = training_loop.build_training_graph(
            G=G, D=D, Gs=Gs, training_set=training_set, num_gpus=num_gpus, G_opt_args=opt_args, D_opt_args=opt_args,
            G_loss_args=dict(func_name="tests.toy_losses.G_fixed"), D_loss_args=dict(func_name="tests.toy_losses.D_reals_only"))
        training_set.configure(8 // num_gpus, 0)
        inputs = graph.inputs
        tflib.run(graph.D_train_op, {inputs.lod_in: 0.0, inputs.lrate_in: 0.1, inputs.minibatch_in: 8})
        return {name: tflib.run(var) for name, var in D.trainables.items()}


def test_two_towers_match_one(session, data_dir):
    reference = tflib.Network("D", func_name="training.networks_stylegan.D_basic", num_channels=3, resolution=16, fmap_base=32, fmap_max=8, mbstd_group_size=1)
    start = {name: tflib.run(var) for name, var in reference.trainables.items()}
    path = str(data_dir / "datasets" / "toy")
    one = one_sgd_step(1, path, start)
    two = one_sgd_step(2, path, start)
    assert any(not np.allclose(one[name], start[name]) for name in one)
    for name in one:
        np.testing.assert_allclose(two[name], one[name], rtol=1e-4, atol=1e-6, err_msg=name)


# ----------------------------------------------------------------------------
# Failures during training: a broken metric, divergence, bad resume targets (train.py edited as a user would).

def edited_train_py(tmp_path, lines):
    """A copy of train.py with `lines` added after the preset blocks, as a user edits it (edit-and-run)."""
    source = open(os.path.join(REPO_ROOT, "train.py")).read()
    marker = "# ----------------------------------------------------------------------------\n# Command line (ours)"
    assert marker in source
    path = tmp_path / "train_edited.py"
    path.write_text(source.replace(marker, "\n".join(lines) + "\n\n" + marker))
    return str(path)


def one_error_line(result):
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert result.returncode == 1 and len(errors) == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
    return errors[0]


@pytest.mark.slow
def test_run_outlives_a_failing_metric_and_resumes_past_a_truncated_snapshot(data_dir, tmp_path):
    script = edited_train_py(tmp_path, [
        'metrics = [EasyDict(func_name="tests.toy_metrics.FailingMetric", name="failing")]',
        "train.network_snapshot_ticks = 10",
        "train.snapshot_minutes = 1e-6  # every tick that has no regular snapshot gets a time snapshot",
        "train.keep_time_snapshots = 1"])
    args = ["--config=tiny", "--dataset=toy", "--data-dir", str(data_dir / "datasets"), "--result-dir", str(tmp_path / "results")]
    result = run_python([script] + args + ["--total-kimg=4"])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    run_dir = tmp_path / "results" / "00000-tiny-toy"
    log = (run_dir / "log.txt").read_text()
    assert "failing" in log and "the feature network exploded" in log  # logged with the metric's name ...
    assert (run_dir / "network-final.pkl").exists() and (run_dir / "_finished.txt").exists()  # ... and training went on

    pkls = sorted(p.name for p in run_dir.glob("network-snapshot-*.pkl"))
    timed = [p for p in pkls if json.loads((run_dir / p.replace(".pkl", ".json")).read_text()).get("time_snapshot")]
    assert len(timed) == 1 and timed[0] == pkls[-2], pkls  # only the newest time snapshot is kept; tick-1 and final stay
    snapshot_json = json.loads((run_dir / pkls[0].replace(".pkl", ".json")).read_text())
    assert snapshot_json["dataset_args"]["tfrecord_dir"] == "toy" and snapshot_json["mirror_augment"] is False
    options = json.loads((run_dir / "training_options.json").read_text())
    assert options["total_kimg"] == 4 and options["dataset_args"]["tfrecord_dir"] == "toy"
    assert "'tfrecord_dir': 'toy'" in (run_dir / "config.txt").read_text()
    copied = [str(p.relative_to(run_dir / "src")) for p in (run_dir / "src").rglob("*") if p.is_file()]
    assert copied and all(name.endswith(".py") for name in copied) and not any(name.startswith(("tests", "bench", "networks")) for name in copied)

    (run_dir / "network-final.pkl").write_bytes((run_dir / "network-final.pkl").read_bytes()[:5000])  # a kill while copying
    result = run_python([script] + args + ["--resume", str(run_dir), "--total-kimg=5"])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = (tmp_path / "results" / "00001-tiny-toy" / "log.txt").read_text()
    assert "network-final.pkl': truncated file" in log and 'Resuming from "%s"' % (run_dir / pkls[-1]) in log

    runs = sorted(os.listdir(tmp_path / "results"))
    nothing_to_do = run_python([script] + args + ["--resume", str(run_dir / pkls[-1]), "--total-kimg=2"])
    assert "Nothing to train" in one_error_line(nothing_to_do)
    other_shape = run_python([script] + args + ["--resume", os.path.join(REPO_ROOT, "tests", "data", "sgan32.pkl"), "--total-kimg=50"])
    assert "Cannot resume from" in one_error_line(other_shape) and "[3, 32, 32]" in other_shape.stderr
    assert sorted(os.listdir(tmp_path / "results")) == runs  # refused before anything was made: no run dir left


@pytest.mark.slow
def test_divergence_stops_with_one_line_and_keeps_the_last_good_snapshot(data_dir, tmp_path):
    script = edited_train_py(tmp_path, ['D_loss = EasyDict(func_name="tests.toy_losses.D_nan_after_growing")'])
    result = run_python([script, "--config=tiny", "--dataset=toy", "--data-dir", str(data_dir / "datasets"),
                         "--result-dir", str(tmp_path / "results"), "--total-kimg=4"])
    assert "Training diverged" in one_error_line(result) and "NaN" in result.stderr
    run_dir = tmp_path / "results" / "00000-tiny-toy"
    assert not (run_dir / "network-final.pkl").exists()
    snapshots = sorted(run_dir.glob("network-snapshot-*.pkl"))
    assert [p.name for p in snapshots] == ["network-snapshot-000001.pkl", "network-snapshot-000002.pkl"]  # NaN from 1.5 kimg on
    with tf.Graph().as_default(), tflib.create_session().as_default():
        G, D, Gs = tflib.load_network_pkl(str(snapshots[-1]))  # loadable, so every weight is finite (the loader checks)


@pytest.mark.slow
def test_a_record_that_lies_about_its_shape_stops_training_with_one_line(data_dir, tmp_path):
    """A CRC-valid record whose data does not fill its stated shape fails inside the input pipeline, in the middle
    of a training step: one line naming the file, not a TensorFlow traceback."""
    shutil.copytree(data_dir / "datasets" / "toy", tmp_path / "datasets" / "toy")
    path = glob.glob(str(tmp_path / "datasets" / "toy" / "*-r02.tfrecords"))[0]
    records = list(tf.io.tf_record_iterator(path))
    records[5] = tf.train.Example(features=tf.train.Features(feature={
        "shape": tf.train.Feature(int64_list=tf.train.Int64List(value=[3, 4, 4])),
        "data": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"\x00" * 7]))})).SerializeToString()
    with tf.io.TFRecordWriter(path) as writer:
        for record in records:
            writer.write(record)
    result = run_python(train_args(tmp_path, tmp_path / "results", "--total-kimg=1"))
    line = one_error_line(result)
    assert "-r02.tfrecords': a record is not an image of this dataset (Input to reshape is a tensor with 7 values" in line, line
