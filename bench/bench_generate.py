"""Images/s of Gs.run: for a network pickle, or for random-weight networks of the official FFHQ layout.

Examples:
  python bench/bench_generate.py                          # official layout at 256 and 1024, minibatch 1 and 8
  python bench/bench_generate.py --network my.pkl --minibatch 4 --structure fixed
  python bench/bench_generate.py --profile                # plus the op-time split of one traced run
  python bench/bench_generate.py --no-xla                 # no XLA: plain TensorFlow ops for the layer tails and convolutions
  python bench/bench_generate.py --no-strips              # single images convolve whole (no row strips)
  python bench/bench_generate.py --no-winograd            # 3x3 convolutions by the direct kernels only
  python bench/bench_generate.py --precision float32,bfloat16   # both, and bfloat16's error against float32
Prints the CPU, the 3x3 conv peak measured in the same run, then a table; the figure is
the median over --repeats timed runs after one warm-up run. 'roofline' is the conv/matmul
work per second as a share of that conv peak (of the same precision), the work being the direct convolutions'
(a Winograd convolution's counts as the direct one it replaces); 'peak RSS' is the process's so far.
With several precisions, each one's images are compared with float32's for the same latents: the largest
absolute difference of the raw output (range about -1..1) and the PSNR of the uint8 images.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dnnlib  # noqa: E402
import dnnlib.tflib as tflib  # noqa: E402
import pretrained_networks  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402

from bench import flops, timing  # noqa: E402
from dnnlib import arguments  # noqa: E402
from training import networks_stylegan  # noqa: E402


def official_layout_Gs(resolution, **kwargs):
    """Gs of the official FFHQ configuration at `resolution`, with random weights."""
    try:
        networks_stylegan.resolution_log2_of(resolution)
    except ValueError as error:
        raise dnnlib.util.UserError("Official layout: %s." % error) from None
    G = tflib.Network("G", func_name="training.networks_stylegan.G_style", num_channels=3, resolution=resolution, label_size=0, **kwargs)
    return G.clone("Gs")


def run_kwargs(minibatch, structure, extra=None):
    kwargs = dict(truncation_psi=0.7, randomize_noise=False, minibatch_size=minibatch)
    if structure is not None:
        kwargs["structure"] = structure
    kwargs.update(extra or {})
    return kwargs


def time_runs(Gs, latents, kwargs, repeats):
    """Seconds of each of `repeats` Gs.run calls (after a warm-up call that builds and optimizes the graph)."""
    return timing.time_calls(lambda: Gs.run(latents, None, **kwargs), repeats)


PRECISIONS = ("float32", "bfloat16")


def precision_kwargs(precision):
    """Gs.run keyword arguments that compute in `precision` (the networks' dtype); none for float32."""
    return {} if precision == "float32" else {"dtype": precision}


def precision_error(Gs, latents, kwargs, precision):
    """(max |difference| of the raw images, PSNR in dB of the uint8 images) of `precision` against float32."""
    to_uint8 = dict(func=tflib.convert_images_to_uint8)
    lower = dict(kwargs, **precision_kwargs(precision))
    raw = [Gs.run(latents, None, **k).astype(np.float32) for k in (kwargs, lower)]
    quantized = [Gs.run(latents, None, output_transform=to_uint8, **k).astype(np.float64) for k in (kwargs, lower)]
    mse = np.mean((quantized[0] - quantized[1]) ** 2)
    return float(np.max(np.abs(raw[0] - raw[1]))), float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def run_graph_of(Gs, kwargs):
    """(placeholders, outputs) that Gs.run(..., **kwargs) runs: built and cached by Gs the first time."""
    dynamic_kwargs = {key: value for key, value in kwargs.items() if key != "minibatch_size"}
    cached = len(Gs._run_cache)
    graph = Gs._get_run_graph(None, None, 1, False, dynamic_kwargs)
    assert len(Gs._run_cache) == cached, "not the graph that Gs.run built for these arguments"
    return graph


def profile_run(Gs, latents, kwargs):
    """One traced Gs.run-equivalent session run: (op-type seconds, executed GEMM FLOPs, depthwise FLOPs)."""
    placeholders, outputs = run_graph_of(Gs, kwargs)
    labels = np.zeros([len(latents)] + list(Gs.input_shapes[1][1:]))  # what Gs.run feeds for labels=None
    by_type, by_node, _wall = flops.profile_step(outputs, {placeholders[0]: latents, placeholders[1]: labels})
    gemm, depthwise = flops.useful_flops(flops.executed_ops(tf.get_default_graph(), by_node), batch=len(latents))
    return by_type, gemm, depthwise


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--network", default=None, help="preset, URL or .pkl (default: random official layout)")
    parser.add_argument("--resolutions", type=arguments.positive_ints, default=None, help="official-layout resolutions (default: 256,1024; not with --network)")
    parser.add_argument("--minibatch", type=arguments.positive_ints, default="1,8", help="comma-separated minibatch sizes (default: 1,8)")
    parser.add_argument("--structure", default=None, choices=["fixed", "linear", "recursive"], help="synthesis structure (default: the network's)")
    parser.add_argument("--repeats", type=arguments.positive_int, default=3, help="timed runs per setting (default: 3)")
    parser.add_argument("--no-xla", action="store_true", help="run the synthesis with xla=False (plain TensorFlow ops for the layer tails and single-image convolutions)")
    parser.add_argument("--no-strips", action="store_true", help="run the synthesis with single_image_strips=False (whole-image convolutions at minibatch 1)")
    parser.add_argument("--no-winograd", action="store_true", help="run the synthesis with winograd=False (3x3 convolutions by the direct kernels only)")
    parser.add_argument("--profile", action="store_true", help="print the op-time split of one traced run per setting")
    parser.add_argument("--precision", default="float32", help="comma-separated: float32, bfloat16 (default: float32)")
    args = parser.parse_args()
    precisions = args.precision.split(",")
    if args.network is not None and args.resolutions is not None:
        raise dnnlib.util.UserError("--resolutions is for the official layout; a --network has its own resolution.")
    unknown = sorted(set(precisions) - set(PRECISIONS))
    if unknown:
        raise dnnlib.util.UserError("--precision takes %s, not '%s'." % (" or ".join(PRECISIONS), unknown[0]))

    tflib.init_tf()
    print(flops.cpu_line())
    if args.network is not None:
        networks = [(args.network, pretrained_networks.load_networks(args.network)[2])]
    else:
        networks = [("official-%d" % res, official_layout_Gs(res)) for res in args.resolutions or [256, 1024]]
    peaks = {}
    for precision in precisions:
        peaks[precision], matmul_peak = flops.conv_peak_gflops(dtype=tf.as_dtype(precision))
        print("3x3 NHWC conv peak %.1f GFLOP/s, matmul peak %.1f GFLOP/s (%s, measured now)" % (peaks[precision], matmul_peak, precision))

    synthesis_options = {}
    if args.no_xla:
        synthesis_options["xla"] = False
    if args.no_strips:
        synthesis_options["single_image_strips"] = False
    if args.no_winograd:
        synthesis_options["winograd"] = False
    width = max([18] + [len(label) for label, _Gs in networks])  # a long pickle path widens the column
    print("%-*s %-9s %-9s %-9s %9s %9s %9s %10s" % (width, "network", "minibatch", "structure", "precision", "images/s", "GFLOP/img", "GFLOP/s", "% of peak"))
    for label, Gs in networks:
        for minibatch in args.minibatch:
            latents = np.random.RandomState(0).randn(minibatch, *Gs.input_shape[1:])
            float32_kwargs = run_kwargs(minibatch, args.structure, synthesis_options)
            for precision in precisions:
                kwargs = dict(float32_kwargs, **precision_kwargs(precision))
                seconds = float(np.median(time_runs(Gs, latents, kwargs, args.repeats)))
                by_type, gemm, _depthwise = profile_run(Gs, latents, kwargs)
                rate = gemm / seconds / 1e9
                print("%-*s %-9d %-9s %-9s %9.3f %9.2f %9.1f %9.0f%%" % (width, label, minibatch, args.structure or "default", precision, minibatch / seconds,
                                                                         gemm / minibatch / 1e9, rate, 100 * rate / peaks[precision]), flush=True)
                if precision != "float32" and "float32" in precisions:
                    print("  %s against float32: max |difference| %.4f, uint8 PSNR %.1f dB" % ((precision,) + precision_error(Gs, latents, float32_kwargs, precision)))
                if args.profile:
                    for line in flops.split_table(by_type):
                        print(line)
    print("peak RSS %.0f MB" % flops.peak_rss_mb())


if __name__ == "__main__":
    dnnlib.util.run_command_line(main)
