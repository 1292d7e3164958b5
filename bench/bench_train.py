"""Training speed in sec/kimg on synthetic data, after warm-up, for a few configurations.

  python bench/bench_train.py                 # tiny preset at 32x32; official StyleGAN layout at 64x64 and 128x128
  python bench/bench_train.py --configs tiny32 --kimg 2
  python bench/bench_train.py --configs official64 --kimg 0.016 --profile   # plus the op-time split of one step
  python bench/bench_train.py --configs official64 --variants "xla=False;xla=True"   # A/B, alternating steps
Each configuration trains at its full resolution (no growing), minibatch 8 (tiny: 16), one tower,
logistic non-saturating loss with R1 (gamma 10). One step = a D update and a G update. Prints the
CPU, the 3x3 conv peak measured in the same run, the roofline share (conv/matmul FLOPs of one
step / its time / that peak) and the process's peak RSS. --variants gives G and D keyword
arguments per variant; their steps alternate and each variant's median step time is reported.
"""

import argparse
import ast
import inspect
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dnnlib  # noqa: E402  (first: sets TensorFlow's log level before TensorFlow loads)
import dnnlib.tflib as tflib  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402
from training import dataset, networks_stylegan, training_loop  # noqa: E402

from bench import flops  # noqa: E402
from dnnlib import arguments  # noqa: E402

TINY = dict(G=dict(fmap_base=128, fmap_max=32, latent_size=32, dlatent_size=32, mapping_fmaps=32, mapping_layers=2), D=dict(fmap_base=128, fmap_max=32))
CONFIGS = {  # name -> (resolution, minibatch, extra G kwargs, extra D kwargs)
    "tiny32": (32, 16, TINY["G"], TINY["D"]),
    "fmap2048_32": (32, 16, dict(fmap_base=2048), dict(fmap_base=2048)),  # the issue tracker's side-by-side with the original
    "official64": (64, 8, {}, {}),
    "official128": (128, 8, {}, {}),
}


ADAM = dict(beta1=0.0, beta2=0.99, epsilon=1e-8)  # the official configuration's optimizer, learning rate and R1 weight
LEARNING_RATE = 0.001
R1_GAMMA = 10.0


class NoiseDataset(dataset.SyntheticDataset):
    """Random images, so that D has something to look at."""

    def _generate_images(self, count, lod, shape):
        return tf.cast(tf.random.uniform(tf.concat([[count], shape], axis=0), 0, 256, dtype=tf.int32), tf.uint8)


def build_step(name, G_variant, D_variant, scope_suffix=""):
    """A function running one training step (D update + Gs update, then G update), and its fetches/feed."""
    resolution, minibatch, G_extra, D_extra = CONFIGS[name]
    training_set = NoiseDataset(resolution=resolution, num_channels=3)
    shape = dict(num_channels=3, resolution=resolution, label_size=0)
    with tf.device("/gpu:0"):
        G = tflib.Network("G" + scope_suffix, func_name="training.networks_stylegan.G_style", **shape, **dict(G_extra, **G_variant))
        D = tflib.Network("D" + scope_suffix, func_name="training.networks_stylegan.D_basic", **shape, **dict(D_extra, **D_variant))
        Gs = G.clone("Gs" + scope_suffix)
    with tf.name_scope("Train" + scope_suffix):
        graph = training_loop.build_training_graph(
            G=G, D=D, Gs=Gs, training_set=training_set, G_opt_args=ADAM, D_opt_args=ADAM,
            G_loss_args=dict(func_name="training.loss.G_logistic_nonsaturating"),
            D_loss_args=dict(func_name="training.loss.D_logistic_simplegp", r1_gamma=R1_GAMMA))
    training_set.configure(minibatch, 0)
    feed = {graph.inputs.lod_in: 0.0, graph.inputs.lrate_in: LEARNING_RATE, graph.inputs.minibatch_in: minibatch}
    fetches = [[graph.D_train_op, graph.Gs_update_op], graph.G_train_op]

    def step():
        tflib.run(fetches[0], feed)
        tflib.run(fetches[1], feed)
    return step, fetches, feed


def step_profile(fetches, feed, batch):
    """Op-type seconds and conv/matmul FLOPs of one traced step (both of its session runs)."""
    by_type, gemm = None, 0
    for fetch in fetches:
        types, nodes, _ = flops.profile_step(fetch, feed)
        by_type = types if by_type is None else by_type + types
        gemm += flops.useful_flops(flops.executed_ops(tf.get_default_graph(), nodes), batch=batch)[0]
    return by_type, gemm


def _network_arguments():
    """The settings (keyword arguments with defaults) that G_style, its components or D_basic take."""
    functions = [networks_stylegan.G_style, networks_stylegan.G_mapping, networks_stylegan.G_synthesis, networks_stylegan.D_basic]
    return {name for function in functions for name, parameter in inspect.signature(function).parameters.items()
            if parameter.default is not inspect.Parameter.empty}


def parse_variants(text):
    """[(label, G/D keyword arguments)] from 'k=v, k2=v2; ...' with Python literals as values; '' is the default."""
    variants = []
    for part in (text or "").split(";"):
        try:
            call = ast.parse("variant(%s)" % part, mode="eval").body
            names = [keyword.arg for keyword in getattr(call, "keywords", [])]
            if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name) or call.args or None in names or len(set(names)) < len(names):
                raise ValueError("not keyword=value pairs, each key once")
            kwargs = {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.keywords}
        except (SyntaxError, ValueError, TypeError, RecursionError):
            raise dnnlib.util.UserError("--variants: '%s' is not keyword=value pairs of Python literals (e.g. xla=False, fmap_base=4096)." % part.strip()) from None
        fixed = sorted(set(kwargs) & {"num_channels", "resolution", "label_size"})
        if fixed:
            raise dnnlib.util.UserError("--variants: %s is set by the configuration, not by a variant." % fixed[0])
        unknown = sorted(set(kwargs) - _network_arguments())
        if unknown:
            raise dnnlib.util.UserError("--variants: no network takes '%s' (the networks ignore unknown arguments)." % unknown[0])
        variants.append((part.strip() or "default", kwargs))
    return variants


def measure(name, kimg, variants, profile, peak):
    resolution, minibatch = CONFIGS[name][:2]
    steps = max(int(np.ceil(kimg * 1000 / minibatch)), 2)
    with tf.Graph().as_default(), tflib.create_session().as_default():
        built = [build_step(name, kwargs, {k: v for k, v in kwargs.items() if k != "xla"}, "" if i == 0 else "_v%d" % i)
                 for i, (_, kwargs) in enumerate(variants)]
        tflib.init_uninitialized_vars()
        for step, _, _ in built:
            step()  # warm-up: graph optimization, XLA compilation
        times = [[] for _ in built]
        for _ in range(steps):
            for i, (step, _, _) in enumerate(built):
                start = time.perf_counter()
                step()
                times[i].append(time.perf_counter() - start)
        for (label, _), (_step, fetches, feed), variant_times in zip(variants, built, times):
            seconds = float(np.median(variant_times))
            by_type, gemm = step_profile(fetches, feed, minibatch)
            rate = gemm / seconds / 1e9
            print("%-12s %-8s %-9d %-22s %9.1f %8.1f %9.1f %8.0f%%   (step %.2f s, min %.2f, max %.2f, %d steps)" % (
                name, "%dx%d" % (resolution, resolution), minibatch, label, seconds * 1000 / minibatch, gemm / 1e9, rate,
                100 * rate / peak, seconds, min(variant_times), max(variant_times), len(variant_times)), flush=True)
            if profile:
                for line in flops.split_table(by_type):
                    print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="tiny32,official64,official128", help="comma-separated: %s" % ", ".join(CONFIGS))
    parser.add_argument("--kimg", type=arguments.positive_float, default=0.2, help="thousands of images timed per configuration and variant (default: 0.2)")
    parser.add_argument("--variants", default="", help="';'-separated G/D keyword arguments to compare, e.g. \"xla=False;xla=True\"")
    parser.add_argument("--profile", action="store_true", help="print the op-time split of one traced step")
    args = parser.parse_args()
    for name in args.configs.split(","):
        if name not in CONFIGS:
            raise dnnlib.util.UserError("Unknown config '%s'; choose from %s." % (name, ", ".join(CONFIGS)))
    variants = parse_variants(args.variants)
    tflib.init_tf()
    print(flops.cpu_line())
    peak, _ = flops.conv_peak_gflops()
    print("3x3 NHWC conv peak %.1f GFLOP/s (float32, measured now)" % peak)
    print("%-12s %-8s %-9s %-22s %9s %8s %9s %9s" % ("config", "res", "minibatch", "variant", "sec/kimg", "GFLOP/st", "GFLOP/s", "% of peak"))
    for name in args.configs.split(","):
        measure(name, args.kimg, variants, args.profile, peak)
    print("peak RSS %.0f MB" % flops.peak_rss_mb())


if __name__ == "__main__":
    dnnlib.util.run_command_line(main)
