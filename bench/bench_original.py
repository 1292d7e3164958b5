"""Side by side with the original: the same generation and training benchmarks, run by NVIDIA's 2019 code
(TensorFlow 1.x, in its own Python) and by ours, in one run on one machine.

  python bench/bench_original.py --python ~/py37/bin/python --original ~/stylegan
  python bench/bench_original.py --python ~/py37/bin/python --original ~/stylegan --generate 1024:1 --train official64 --rounds 2

--original is a checkout of NVlabs/stylegan; --python an interpreter with TensorFlow 1.15 installed (see
README, "Running the original beside ours"). Each original measurement runs in a child process of that
interpreter with the checkout first on its path; ours runs in this process, right after it. Generation:
random-weight networks of the official FFHQ layout, Gs.run with truncation 0.7 and fixed noise, the median
of --repeats calls after a warm-up call. Training: bench_train.py's configurations (random reals, no
growing, logistic non-saturating loss with R1, one tower); one step is a D update with the Gs average,
then a G update. --rounds repeats every pair and prints each round's figures.

This file runs under both Pythons: the child side uses only the standard library, NumPy and the
checkout's own modules; nothing of the original is copied here.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

CHILD = sys.argv[1:2] == ["--child"]
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# In the child, the original's dnnlib and training (PYTHONPATH) must win over ours; in the driver, ours over any other.
if CHILD:
    sys.path.append(REPO_ROOT)
else:
    sys.path.insert(0, REPO_ROOT)
from bench.timing import median, time_calls  # noqa: E402

# The environment before TensorFlow 2 was imported here: it sets variables (TF2_BEHAVIOR=1 among them) that would
# turn the original's TensorFlow 1.x into something else.
ENVIRONMENT_AT_START = dict(os.environ)

OFFICIAL_G = "training.networks_stylegan.G_style"
OFFICIAL_D = "training.networks_stylegan.D_basic"


# ----------------------------------------------------------------------------
# The child: runs in the original's Python, with the original's dnnlib and training on the path.


class _NoLabels:
    """What the original's losses ask of a training set here: labels for the fakes (none)."""

    def __init__(self, tf):
        self._tf = tf

    def get_random_labels_tf(self, count):  # the name the original's losses call
        return self._tf.zeros([count, 0])


def _original_generation(tflib, task):
    import numpy as np
    G = tflib.Network("G", func_name=OFFICIAL_G, num_channels=3, resolution=task["resolution"], label_size=0)
    Gs = G.clone("Gs")
    latents = np.random.RandomState(0).randn(task["minibatch"], *Gs.input_shape[1:])
    kwargs = dict(truncation_psi=0.7, randomize_noise=False, minibatch_size=task["minibatch"])
    return time_calls(lambda: Gs.run(latents, None, **kwargs), task["repeats"])


def _original_training(tflib, task):
    import dnnlib
    import tensorflow as tf
    resolution, minibatch = task["resolution"], task["minibatch"]
    shape = dict(num_channels=3, resolution=resolution, label_size=0)
    G = tflib.Network("G", func_name=OFFICIAL_G, **dict(shape, **task["G_kwargs"]))
    D = tflib.Network("D", func_name=OFFICIAL_D, **dict(shape, **task["D_kwargs"]))
    Gs = G.clone("Gs")
    opt_args = dict(learning_rate=task["learning_rate"], **task["adam"])
    G_opt = tflib.Optimizer(name="TrainG", **opt_args)
    D_opt = tflib.Optimizer(name="TrainD", **opt_args)
    labels = _NoLabels(tf)
    reals = tf.random_uniform([minibatch, 3, resolution, resolution], -1.0, 1.0)
    common = dict(G=G, D=D, training_set=labels, minibatch_size=minibatch)
    G_loss = dnnlib.util.call_func_by_name(opt=G_opt, func_name="training.loss.G_logistic_nonsaturating", **common)
    D_loss = dnnlib.util.call_func_by_name(opt=D_opt, reals=reals, labels=labels.get_random_labels_tf(minibatch),
                                           func_name="training.loss.D_logistic_simplegp", r1_gamma=task["r1_gamma"], **common)
    G_opt.register_gradients(tf.reduce_mean(G_loss), G.trainables)
    D_opt.register_gradients(tf.reduce_mean(D_loss), D.trainables)
    G_train_op, D_train_op = G_opt.apply_updates(), D_opt.apply_updates()
    Gs_update_op = Gs.setup_as_moving_average_of(G, beta=0.5 ** (minibatch / 10000.0))
    tflib.init_uninitialized_vars()

    def step():
        tflib.run([D_train_op, Gs_update_op])
        tflib.run(G_train_op)
    return time_calls(step, task["repeats"])


def run_child(task):
    """Measure one task with the original's code and print the result as one JSON line."""
    import dnnlib.tflib as tflib
    import tensorflow as tf
    tflib.init_tf({"allow_soft_placement": True})  # the original pins its graphs to /gpu:0
    measure = _original_training if task["kind"] == "train" else _original_generation
    seconds = measure(tflib, task)
    is_mkl_enabled = getattr(getattr(tf, "pywrap_tensorflow", None), "IsMklEnabled", None)
    print(json.dumps(dict(seconds=seconds, tensorflow=tf.__version__, onednn="unknown" if is_mkl_enabled is None else bool(is_mkl_enabled()),
                          python="%d.%d.%d" % sys.version_info[:3])))


# ----------------------------------------------------------------------------
# The driver: runs in our Python.


def measure_original(python, checkout, task):
    """(seconds per call, the child's versions) of `task` run by the original's code in `python`."""
    env = dict(ENVIRONMENT_AT_START, PYTHONPATH=os.path.abspath(checkout), TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run([python, os.path.abspath(__file__), "--child", json.dumps(task)], cwd=os.path.abspath(checkout),
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    lines = done.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if done.returncode == 0 and lines else None
    except ValueError:
        result = None
    if not isinstance(result, dict) or "seconds" not in result:
        import dnnlib
        errors = [line for line in done.stderr.splitlines() if "Error" in line.split(":")[0]] or done.stderr.strip().splitlines() or ["no output"]
        status = "signal %d" % -done.returncode if done.returncode < 0 else "exit status %d" % done.returncode
        raise dnnlib.util.UserError("The original's %s run failed in %s (%s): %s" % (task["kind"], python, status, errors[-1].strip()))
    return result.pop("seconds"), result


def measure_ours_generation(task):
    import numpy as np
    from bench import bench_generate
    import dnnlib.tflib as tflib
    import tensorflow.compat.v1 as tf
    with tf.Graph().as_default(), tflib.create_session().as_default():
        Gs = bench_generate.official_layout_Gs(task["resolution"])
        latents = np.random.RandomState(0).randn(task["minibatch"], *Gs.input_shape[1:])
        return bench_generate.time_runs(Gs, latents, bench_generate.run_kwargs(task["minibatch"], None), task["repeats"])


def measure_ours_training(task):
    from bench import bench_train
    import dnnlib.tflib as tflib
    import tensorflow.compat.v1 as tf
    with tf.Graph().as_default(), tflib.create_session().as_default():
        step = bench_train.build_step(task["config"], {}, {})[0]
        tflib.init_uninitialized_vars()
        return time_calls(step, task["repeats"])


def generation_tasks(spec, repeats):
    tasks = []
    for item in spec.split(","):
        resolution, _, minibatch = item.partition(":")
        tasks.append(dict(kind="generate", resolution=int(resolution), minibatch=int(minibatch or 1), repeats=repeats))
    return tasks


def training_tasks(names, steps):
    from bench import bench_train
    tasks = []
    for name in names.split(","):
        resolution, minibatch, G_kwargs, D_kwargs = bench_train.CONFIGS[name]
        tasks.append(dict(kind="train", config=name, resolution=resolution, minibatch=minibatch, G_kwargs=G_kwargs, D_kwargs=D_kwargs, repeats=steps,
                          adam=bench_train.ADAM, learning_rate=bench_train.LEARNING_RATE, r1_gamma=bench_train.R1_GAMMA))
    return tasks


def describe(task):
    if task["kind"] == "train":
        return "train %s %dx%d mb %d" % (task["config"], task["resolution"], task["resolution"], task["minibatch"])
    return "Gs.run %dx%d mb %d" % (task["resolution"], task["resolution"], task["minibatch"])


def figure(task, seconds):
    """images/s for generation, sec/kimg for training."""
    return task["minibatch"] / seconds if task["kind"] == "generate" else seconds * 1000 / task["minibatch"]


def check_arguments(args):
    import dnnlib
    from bench import bench_train
    if not os.path.isfile(os.path.join(args.original, "training", "networks_stylegan.py")):
        raise dnnlib.util.UserError("--original must be a checkout of NVlabs/stylegan: %s has no training/networks_stylegan.py." % args.original)
    if shutil.which(args.python) is None:
        raise dnnlib.util.UserError("--python must be an interpreter with TensorFlow 1.x: %s is not an executable." % args.python)
    args.python = shutil.which(args.python)
    if min(args.repeats, args.steps, args.rounds) < 1:
        raise dnnlib.util.UserError("--repeats, --steps and --rounds must be at least 1.")
    unknown = [name for name in args.train.split(",") if name and name not in bench_train.CONFIGS]
    if unknown:
        raise dnnlib.util.UserError("Unknown --train config '%s'; choose from %s." % (unknown[0], ", ".join(bench_train.CONFIGS)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", required=True, help="interpreter with TensorFlow 1.15 (e.g. a Python 3.7 venv's bin/python)")
    parser.add_argument("--original", required=True, help="checkout of NVlabs/stylegan")
    parser.add_argument("--generate", default="256:1,256:8,1024:1,1024:8", help="RESOLUTION:MINIBATCH,... (default: 256:1,256:8,1024:1,1024:8; '' for none)")
    parser.add_argument("--train", default="fmap2048_32", help="bench_train.py configurations, comma-separated (default: fmap2048_32; '' for none)")
    parser.add_argument("--repeats", type=int, default=3, help="timed Gs.run calls per measurement (default: 3)")
    parser.add_argument("--steps", type=int, default=4, help="timed training steps per measurement (default: 4)")
    parser.add_argument("--rounds", type=int, default=1, help="original/ours pairs per setting (default: 1)")
    args = parser.parse_args()
    import dnnlib.tflib as tflib
    from bench import flops
    check_arguments(args)
    tasks = (generation_tasks(args.generate, args.repeats) if args.generate else []) + (training_tasks(args.train, args.steps) if args.train else [])

    tflib.init_tf()
    print(flops.cpu_line())
    print("3x3 NHWC conv peak %.1f GFLOP/s (float32, measured now, ours)" % flops.conv_peak_gflops()[0])
    print("%-34s %-6s %14s %14s %8s" % ("benchmark", "round", "original", "ours", "speed-up"))
    for task in tasks:
        unit = "img/s" if task["kind"] == "generate" else "s/kimg"
        ours_measure = measure_ours_training if task["kind"] == "train" else measure_ours_generation
        for round_index in range(args.rounds):
            original_seconds, versions = measure_original(args.python, args.original, task)
            ours_seconds = ours_measure(task)
            original, ours = figure(task, median(original_seconds)), figure(task, median(ours_seconds))
            speedup = ours / original if task["kind"] == "generate" else original / ours
            print("%-34s %-6d %8.3f %-5s %8.3f %-5s %8.2fx" % (describe(task), round_index + 1, original, unit, ours, unit, speedup), flush=True)
    if tasks:
        print("original: Python %(python)s, TensorFlow %(tensorflow)s, oneDNN %(onednn)s" % versions)
    print("peak RSS %.0f MB (ours)" % flops.peak_rss_mb())


if __name__ == "__main__":
    if CHILD:
        run_child(json.loads(sys.argv[2]))
    else:
        import dnnlib  # first: sets TensorFlow's log level before TensorFlow loads
        dnnlib.util.run_command_line(main)
