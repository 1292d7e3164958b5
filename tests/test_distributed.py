"""Training on several machines: TensorFlow's distributed runtime on loopback workers that each test starts and kills.

Also runnable as `python tests/test_distributed.py sgd-step WORKERS DATA WEIGHTS OUT`: the chief's side of
test_two_workers_match_two_towers, in a process of its own (a TensorFlow server cannot be stopped in-process).
"""

import contextlib
import json
import os
import re
import select
import socket
import subprocess
import sys
import time

import numpy as np
import PIL.Image
import pytest
import tensorflow.compat.v1 as tf

import dnnlib.tflib as tflib
from conftest import REPO_ROOT, run_python
from dnnlib.tflib import cluster as tfcluster
from dnnlib.tflib import listen_filter
from test_training_loop import edited_train_py, make_G_and_D, one_error_line, one_sgd_step, train_args
from training import dataset, training_loop

CLUSTER_TICK_LINE = re.compile(r"^tick (\d+) +kimg ([\d.]+) +lod ([\d.]+) +minibatch (\d+) +time .+ sec/tick [\d.]+ +sec/kimg [\d.]+ +"
                               r"maintenance [\d.-]+ +gpumem [\d.]+ +workers (\d+) +$")
ENV = dict(os.environ, PYTHONPATH=REPO_ROOT + os.pathsep + os.path.join(REPO_ROOT, "tests"), TF_CPP_MIN_LOG_LEVEL="3")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """datasets/toy: 24 random 16x16 images, as test_training_loop makes them."""
    root = tmp_path_factory.mktemp("data")
    os.makedirs(root / "images")
    rnd = np.random.RandomState(0)
    for i in range(24):
        PIL.Image.fromarray(rnd.randint(0, 256, size=[16, 16, 3]).astype(np.uint8)).save(root / "images" / ("%02d.png" % i))
    result = run_python(["dataset_tool.py", "create_from_images", str(root / "datasets" / "toy"), str(root / "images")])
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def start_worker(addresses, task, timeout=120.0):
    """`train.py --worker` for task of addresses, once it says it listens (killed and refused if it does not)."""
    proc = subprocess.Popen([sys.executable, "train.py", "--worker", "--cluster=" + ",".join(addresses), "--task=%d" % task],
                            cwd=REPO_ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline, line = time.time() + timeout, ""
    while "listening" not in line and time.time() < deadline and proc.poll() is None:
        if select.select([proc.stdout], [], [], 1.0)[0]:
            line = proc.stdout.readline()
    if "listening" not in line:
        stop(proc)
        raise AssertionError("worker %d did not start" % task)
    where = "%s, answering only 127.0.0.1." % addresses[task] if listen_filter.SUPPORTED else "all interfaces"
    assert "listening on " + where in line  # it says where it really answers
    return proc


def stop(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=60)


@contextlib.contextmanager
def loopback_workers(count):
    """count workers on free 127.0.0.1 ports: (addresses, processes); all killed at the end, whatever happens."""
    addresses = ["127.0.0.1:%d" % port for port in tfcluster.free_loopback_ports(count)]
    procs = []
    try:
        for task in range(count):
            procs.append(start_worker(addresses, task))
        yield addresses, procs
    finally:
        for proc in procs:
            stop(proc)


def cluster_tick_lines(run_dir):
    lines = [line.rstrip("\n") for line in open(os.path.join(run_dir, "log.txt")) if line.startswith("tick ")]
    for line in lines:
        assert CLUSTER_TICK_LINE.match(line), repr(line)
    return [CLUSTER_TICK_LINE.match(line).groups() for line in lines]


def run_files(run_dir):
    """What a run wrote, with the TensorBoard file's machine-specific name and the snapshots' kimg made generic."""
    names = {re.sub(r"^events\.out\.tfevents\..*", "events.out.tfevents", name) for name in os.listdir(run_dir)}
    return {re.sub(r"\d{6}", "NNNNNN", name) for name in names}

# ----------------------------------------------------------------------------
# Fast checks: addresses, TF_CONFIG, probing, an unreachable worker.


def test_addresses_and_tf_config(monkeypatch):
    assert tfcluster.parse_addresses(" 10.0.0.1:2222, node-b:2223 ,[::1]:7") == ["10.0.0.1:2222", "node-b:2223", "[::1]:7"]
    for bad, message in [("host", "is not HOST:PORT"), ("host:99999", "is not HOST:PORT"), ("a:1,a:1", "more than once"), (" , ", "names no workers")]:
        with pytest.raises(tfcluster.ClusterError, match=message):
            tfcluster.parse_addresses(bad)
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"chief": ["c:1"], "worker": ["a:2", "b:3"]}, "task": {"type": "worker", "index": 1}}))
    assert tfcluster.from_tf_config() == dict(role="worker", workers=["a:2", "b:3"], chief="c:1", task=1)
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"ps": ["p:1"], "worker": ["a:2"]}, "task": {"type": "worker", "index": 0}}))
    with pytest.raises(tfcluster.ClusterError, match="job 'ps'"):
        tfcluster.from_tf_config()
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(tfcluster.ClusterError, match="Cannot read TF_CONFIG"):
        tfcluster.from_tf_config()


def test_probe_tells_a_silent_listener_and_a_closed_port_from_a_worker():
    silent = socket.socket()
    try:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts connections (the kernel does), never answers: a hung process looks like this
        address = "127.0.0.1:%d" % silent.getsockname()[1]
        assert tfcluster.probe(address, seconds=0.5) == "no answer within 0.5 s"
    finally:
        silent.close()
    assert "refused" in tfcluster.probe(address, seconds=2.0).lower()


def connects(address, source=None, seconds=1.0) -> bool:
    """Whether a TCP connection to HOST:PORT address (from source, an IPv4 address of this machine) opens within seconds."""
    host, port = address.rsplit(":", 1)
    with socket.socket() as conn:
        conn.settimeout(seconds)
        if source is not None:
            conn.bind((source, 0))
        try:
            conn.connect((host, int(port)))
            return True
        except OSError:  # timed out: the filter dropped the connection's first packet
            return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the port filter is Linux's")
def test_worker_answers_only_its_address_and_the_clusters_hosts():
    with loopback_workers(1) as (addresses, _):
        port = addresses[0].rsplit(":", 1)[1]
        assert tfcluster.probe(addresses[0]) is None
        assert connects(addresses[0], source="127.0.0.1")
        assert not connects("127.0.0.2:" + port)                           # another address of the same machine (all of 127/8 is local)
        assert not connects(addresses[0], source="127.0.0.3")              # a host the cluster does not name
        assert tfcluster.probe("127.0.0.2:" + port, seconds=1.0) == "no answer within 1 s"


def test_worker_refuses_a_taken_port_and_a_foreign_address():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        address = "127.0.0.1:%d" % taken.getsockname()[1]
        result = run_python(["train.py", "--worker", "--cluster=" + address, "--task=0"], timeout=120)
    assert one_error_line(result) == "Error: Cannot start worker 0: port %s is in use on this machine." % address.rsplit(":", 1)[1]
    if listen_filter.SUPPORTED:
        result = run_python(["train.py", "--worker", "--cluster=203.0.113.9:%d" % tfcluster.free_loopback_ports(1)[0], "--task=0"], timeout=120)
        assert "is not an address of this machine" in one_error_line(result)


def test_unreachable_worker_is_refused_before_a_run_dir_exists(data_dir, tmp_path):
    address = "127.0.0.1:%d" % tfcluster.free_loopback_ports(1)[0]
    result = run_python(train_args(data_dir, tmp_path / "results", "--cluster=" + address), timeout=300)
    error = one_error_line(result)
    assert "Cannot reach worker 0 (%s)" % address in error and "--worker" in error
    assert not (tmp_path / "results").exists() or not os.listdir(tmp_path / "results")

# ----------------------------------------------------------------------------
# Training through the runtime.


def cluster_sgd_step(addresses, data_path, weights):
    """one_sgd_step's D weights, with the 8 reals split over one tower on each worker, and where the step's ops ran."""
    cluster = tfcluster.Cluster(addresses, timeout=60)
    with tf.Graph().as_default():
        session = tflib.create_session({"rnd.tf_random_seed": 1}, target=cluster.target, session_config=cluster.session_config())
    with session.graph.as_default(), session.as_default(), tf.device(tfcluster.CHIEF_DEVICE):
        training_set = dataset.TFRecordDataset(data_path, shuffle_mb=0)
        with tf.device("/gpu:0"):
            G, D = make_G_and_D(dict(num_channels=3, resolution=16, fmap_base=32, fmap_max=8))
        tflib.set_vars({D.vars[name]: value for name, value in weights.items()})
        towers = training_loop.cluster_towers(cluster.find_towers(session, 1), training_set)
        opt_args = dict(tf_optimizer="tf.train.GradientDescentOptimizer")
        graph = training_loop.build_training_graph(
            G=G, D=D, Gs=G.clone("Gs"), training_set=training_set, G_opt_args=opt_args, D_opt_args=opt_args, towers=towers,
            G_loss_args=dict(func_name="tests.toy_losses.G_fixed"), D_loss_args=dict(func_name="tests.toy_losses.D_reals_only"))
        training_set.configure(4, 0)
        inputs, metadata = graph.inputs, tf.RunMetadata()
        tflib.run(graph.D_train_op, {inputs.lod_in: 0.0, inputs.lrate_in: 0.1, inputs.minibatch_in: 8},
                  options=tf.RunOptions(output_partition_graphs=True), run_metadata=metadata)
        placed = sorted({"%s %s" % ("Conv2D" if "Conv2D" in node.op else node.op, node.device) for part in metadata.partition_graphs for node in part.node
                         if "Conv2D" in node.op or node.op in ("ApplyGradientDescent", "IteratorGetNext")})  # convolutions may be fused
        result = {name: tflib.run(var) for name, var in D.trainables.items()}
        cluster.close_session(session)
    return result, placed


@pytest.mark.slow
def test_two_workers_match_two_towers(session, data_dir, tmp_path):
    reference = tflib.Network("D", func_name="training.networks_stylegan.D_basic", num_channels=3, resolution=16, fmap_base=32, fmap_max=8, mbstd_group_size=1)
    start = {name: tflib.run(var) for name, var in reference.trainables.items()}
    path = str(data_dir / "datasets" / "toy")
    np.savez(tmp_path / "start.npz", **{name.replace("/", "|"): value for name, value in start.items()})
    with loopback_workers(2) as (addresses, _):
        result = subprocess.run([sys.executable, os.path.abspath(__file__), "sgd-step", ",".join(addresses), path, str(tmp_path / "start.npz"),
                                 str(tmp_path / "out.npz")], cwd=REPO_ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    with np.load(tmp_path / "out.npz") as out:
        cluster = {name.replace("|", "/"): out[name] for name in out.files if name != "_placed"}
        placed = list(out["_placed"])
    local = one_sgd_step(2, path, start)  # one process, two towers (the reference of test_two_towers_match_one)
    assert any(not np.allclose(local[name], start[name]) for name in local)
    for name in local:
        np.testing.assert_allclose(cluster[name], local[name], rtol=1e-4, atol=1e-6, err_msg=name)
    for task in (0, 1):  # each worker ran its tower's D and read its shard; the update ran on the chief, where the variables are
        assert "Conv2D /job:worker/replica:0/task:%d/device:CPU:0" % task in placed, placed
        assert "IteratorGetNext /job:worker/replica:0/task:%d/device:CPU:0" % task in placed, placed
    assert [p for p in placed if p.startswith("ApplyGradientDescent")] == ["ApplyGradientDescent /job:chief/replica:0/task:0/device:CPU:0"], placed


@pytest.mark.slow
def test_cluster_run_stops_when_a_worker_dies_resumes_and_writes_what_one_machine_writes(data_dir, tmp_path):
    # A small prefetch buffer: the default 2 GB of 16x16 images keeps each worker's reader busy on a 2-core machine.
    script = edited_train_py(tmp_path, ["dataset.prefetch_mb = 1"])

    def train_args(results, *extra):
        return [script, "--config=tiny", "--dataset=toy", "--data-dir", str(data_dir / "datasets"), "--result-dir", str(results)] + list(extra)
    local = run_python(train_args(tmp_path / "local", "--total-kimg=0.5"))
    assert local.returncode == 0, local.stderr[-3000:]
    local_dir = tmp_path / "local" / "00000-tiny-toy"
    snapshot = local_dir / "network-final.pkl"

    with loopback_workers(2) as (addresses, procs):
        cluster_args = ["--cluster=" + ",".join(addresses), "--worker-timeout=60"]
        # A worker dies mid-run: one line naming it and the snapshot to resume from, soon; that snapshot stays loadable.
        chief = subprocess.Popen([sys.executable] + train_args(tmp_path / "results", "--resume", str(snapshot), "--total-kimg=100", *cluster_args),
                                 cwd=REPO_ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            killed = tmp_path / "results" / "00000-tiny-toy"
            deadline = time.time() + 300
            while time.time() < deadline and chief.poll() is None and "Training..." not in _text(killed / "log.txt"):
                time.sleep(0.2)
            time.sleep(2.0)  # into the first steps
            assert chief.poll() is None, "the run ended before a worker could be killed"
            stop(procs[1])
            stderr = chief.communicate(timeout=120)[1]
        finally:
            stop(chief)
        errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
        assert chief.returncode == 1 and len(errors) == 1 and "Traceback" not in stderr, stderr[-3000:]
        assert "Lost worker 1 (%s)" % addresses[1] in errors[0] and errors[0].endswith("--resume=%s." % snapshot), errors[0]
        assert "Cluster: 2 workers, 2 towers" in (killed / "log.txt").read_text()
        assert not (killed / "network-final.pkl").exists() and (killed / "_finished.txt").exists()  # it wrote no snapshot of its own
        with tf.Graph().as_default(), tflib.create_session().as_default():
            tflib.load_network_pkl(str(snapshot))  # loadable: complete and finite

        # With the worker back, --resume continues from that snapshot, and the run writes what one machine writes.
        procs[1] = start_worker(addresses, 1)
        result = run_python(train_args(tmp_path / "results", "--resume", str(snapshot), "--total-kimg=1", *cluster_args))
        assert result.returncode == 0, result.stderr[-3000:]
        resumed = tmp_path / "results" / "00001-tiny-toy"
        assert 'Resuming from "%s" at 0.5 kimg' % snapshot in (resumed / "log.txt").read_text()
        ticks = cluster_tick_lines(resumed)
        assert float(ticks[0][1]) > 0.5 and [tick[4] for tick in ticks] == ["2"]
        assert run_files(resumed) == run_files(local_dir)


def _text(path):
    try:
        return path.read_text()
    except OSError:
        return ""


def _main(argv):
    """The chief of test_two_workers_match_two_towers: WORKERS DATA WEIGHTS OUT."""
    addresses, data_path, weights_file, out_file = argv
    with np.load(weights_file) as start:
        weights = {name.replace("|", "/"): start[name] for name in start.files}
    result, placed = cluster_sgd_step(addresses.split(","), data_path, weights)
    np.savez(out_file, _placed=np.array(placed), **{name.replace("/", "|"): value for name, value in result.items()})


if __name__ == "__main__":
    if len(sys.argv) != 6 or sys.argv[1] != "sgd-step":
        sys.exit("usage: test_distributed.py sgd-step WORKERS DATA WEIGHTS OUT")
    _main(sys.argv[2:])
