"""What training through TensorFlow's distributed runtime costs: sec/kimg and bytes per step, one machine vs loopback workers.

  python bench/bench_cluster.py                  # tiny preset networks at 32x32, minibatch 16: one process, 1 and 2 workers
  python bench/bench_cluster.py --workers 0,2 --kimg 1
Workers are `train.py --worker` processes on 127.0.0.1 started (and stopped) by this script; the chief is this process.
Rows: 'local' = one process with 1 or 2 towers (no gRPC); 'N workers' = N x 1 towers through gRPC. Bytes per step are what
crossed the TCP connections between the chief and the workers (ss counters, both directions, gRPC framing included) per training
step (one D step with its Gs update, or one G step), averaged over the timed steps; 'estimate' counts only the tensors
(tensor_bytes). On one machine the point is the
overhead of the runtime, not a speed-up: every process shares the same cores.
"""

import argparse
import os
import re
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import dnnlib  # noqa: E402  (first: sets TensorFlow's log level before TensorFlow loads)
import dnnlib.tflib as tflib  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402
from bench.bench_train import TINY, NoiseDataset  # noqa: E402
from bench import flops  # noqa: E402
from dnnlib import arguments  # noqa: E402
from dnnlib.tflib import cluster as tfcluster  # noqa: E402
from training import training_loop  # noqa: E402

RESOLUTION, MINIBATCH = 32, 16


def start_workers(count, timeout=120.0, repo=REPO):
    """`train.py --worker` processes (of `repo`) on free loopback ports, once each says it listens; none left
    running if one does not."""
    addresses = ["127.0.0.1:%d" % port for port in tfcluster.free_loopback_ports(count)]
    env = dict(os.environ, PYTHONPATH=repo, TF_CPP_MIN_LOG_LEVEL="3")
    procs = [subprocess.Popen([sys.executable, os.path.join(repo, "train.py"), "--worker", "--cluster=" + ",".join(addresses), "--task=%d" % task],
                              cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for task in range(count)]
    deadline = time.time() + timeout
    if not all(_says_listening(proc, deadline) for proc in procs):
        stop(procs)
        raise dnnlib.util.UserError("A cluster worker (train.py --worker) did not start within %g s." % timeout)
    return addresses, procs


def _says_listening(proc, deadline):
    """Whether proc prints a line with 'listening' before the deadline (and before it exits). A thread reads its
    output to the end: a silent worker cannot hold this past the deadline, nor a chatty one block on a full pipe."""
    heard, answered = [], threading.Event()

    def read():
        for line in proc.stdout:
            if "listening" in line and not heard:
                heard.append(line)
                answered.set()
        answered.set()  # it exited
    threading.Thread(target=read, daemon=True).start()
    answered.wait(max(0.0, deadline - time.time()))
    return bool(heard)


def stop(procs):
    for proc in procs:
        proc.kill()
    for proc in procs:
        proc.wait(timeout=30)


def tcp_bytes(ports):
    """Bytes carried so far by this machine's TCP connections to or from the given ports (ss -tin: each end's bytes_acked,
    i.e. what it sent, so every byte counts once); None without ss."""
    try:
        out = subprocess.run(["ss", "-tinH", "state", "established"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    total, lines = 0, out.split("\n")
    for header, info in zip(lines, lines[1:]):
        fields = header.split()
        if header[:1].isspace() or len(fields) < 4:
            continue
        endpoints = [field.rsplit(":", 1)[-1] for field in fields[2:4]]  # local and peer address:port
        if any(endpoint.isdigit() and int(endpoint) in ports for endpoint in endpoints):
            total += sum(int(v) for v in re.findall(r"\bbytes_acked:(\d+)", info))
    return total


def tensor_bytes(G, D, towers):
    """Estimate per step from the tensors crossing machines: each tower reads all of G's and D's variables from the chief and
    sends back one net's gradients (D's in a D step, G's in a G step: their mean here); towers on one worker send one sum."""
    size = lambda variables: sum(4 * int(np.prod(v.shape)) for v in variables)  # noqa: E731 (float32)
    return towers * (size(G.vars.values()) + size(D.vars.values())) + towers * (size(G.trainables.values()) + size(D.trainables.values())) / 2


def measure(num_workers, num_towers, kimg):
    """(sec/kimg, ms per step, bytes per step measured or None, bytes per step estimated)."""
    addresses, procs = start_workers(num_workers) if num_workers else ([], [])
    try:
        cluster = tfcluster.Cluster(addresses, timeout=120.0) if num_workers else None
        session_args = dict(target=cluster.target, session_config=cluster.session_config()) if cluster else {}
        with tf.Graph().as_default(), tflib.create_session(**session_args).as_default() as session:
            with tf.device(tfcluster.CHIEF_DEVICE if cluster else None):
                towers = None
                training_set = NoiseDataset(resolution=RESOLUTION, num_channels=3)
                if cluster:
                    towers = training_loop.cluster_towers(cluster.find_towers(session, 1), training_set)
                shape = dict(num_channels=3, resolution=RESOLUTION, label_size=0)
                with tf.device("/gpu:0"):
                    G = tflib.Network("G", func_name="training.networks_stylegan.G_style", **shape, **TINY["G"])
                    D = tflib.Network("D", func_name="training.networks_stylegan.D_basic", **shape, **TINY["D"])
                    Gs = G.clone("Gs")
                opt = dict(beta1=0.0, beta2=0.99, epsilon=1e-8)
                graph = training_loop.build_training_graph(
                    G=G, D=D, Gs=Gs, training_set=training_set, num_gpus=num_towers, G_opt_args=opt, D_opt_args=opt, towers=towers,
                    G_loss_args=dict(func_name="training.loss.G_logistic_nonsaturating"),
                    D_loss_args=dict(func_name="training.loss.D_logistic_simplegp", r1_gamma=10.0))
                training_set.configure(MINIBATCH // num_towers, 0)
            feed = {graph.inputs.lod_in: 0.0, graph.inputs.lrate_in: 0.001, graph.inputs.minibatch_in: MINIBATCH}

            def step():
                tflib.run([graph.D_train_op, graph.Gs_update_op], feed)
                tflib.run(graph.G_train_op, feed)
            for _ in range(3):
                step()  # warm-up: graph partitioning and registration on the workers
            ports = {int(a.rsplit(":", 1)[1]) for a in addresses + ([cluster.address] if cluster else [])}
            before = tcp_bytes(ports) if ports else None
            steps = max(int(np.ceil(kimg * 1000 / MINIBATCH)), 2)
            start = time.perf_counter()
            for _ in range(steps):
                step()
            seconds = time.perf_counter() - start
            after = tcp_bytes(ports) if ports else None
            if cluster:
                cluster.close_session(session)
        sent = None if before is None or after is None else (after - before) / (2 * steps)
        return seconds / (steps * MINIBATCH / 1000.0), 1000.0 * seconds / (2 * steps), sent, tensor_bytes(G, D, num_workers)
    finally:
        stop(procs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=arguments.nonnegative_ints, default="0,1,2", help="comma-separated worker counts; 0 = one process without the runtime (default: 0,1,2)")
    parser.add_argument("--kimg", type=arguments.positive_float, default=0.5, help="thousands of images timed per row (default: 0.5)")
    args = parser.parse_args()
    print(flops.cpu_line())
    print("tiny preset networks at %dx%d, minibatch %d" % (RESOLUTION, RESOLUTION, MINIBATCH))
    print("%-22s %10s %10s %14s %14s" % ("setup", "sec/kimg", "ms/step", "bytes/step", "estimate"))
    for count in args.workers:
        rows = [(1, "local, 1 tower"), (2, "local, 2 towers")] if count == 0 else [(count, "%d worker%s x 1 tower" % (count, "s" if count > 1 else ""))]
        for towers, label in rows:
            sec_kimg, ms_step, sent, estimate = measure(count, towers, args.kimg)
            print("%-22s %10.2f %10.1f %14s %14s" % (label, sec_kimg, ms_step, "-" if sent is None else "{:,.0f}".format(sent),
                                                     "{:,.0f}".format(estimate) if count else "-"), flush=True)


if __name__ == "__main__":
    dnnlib.util.run_command_line(main)
