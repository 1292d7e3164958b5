"""Images/s of Gs.run: for a network pickle, or for random-weight networks of the official FFHQ layout.

Examples:
  python bench/bench_generate.py                          # official layout at 256 and 1024, minibatch 1 and 8
  python bench/bench_generate.py --network my.pkl --minibatch 4 --structure fixed
Prints a table; the figure is the median over --repeats timed runs after one warm-up run.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dnnlib  # noqa: E402
import dnnlib.tflib as tflib  # noqa: E402
import pretrained_networks  # noqa: E402


def official_layout_Gs(resolution):
    """Gs of the official FFHQ configuration at `resolution`, with random weights."""
    G = tflib.Network("G", func_name="training.networks_stylegan.G_style", num_channels=3, resolution=resolution, label_size=0)
    return G.clone("Gs")


def images_per_second(Gs, minibatch, structure, repeats):
    latents = np.random.RandomState(0).randn(minibatch, *Gs.input_shape[1:])
    kwargs = dict(truncation_psi=0.7, randomize_noise=False, minibatch_size=minibatch)
    if structure is not None:
        kwargs["structure"] = structure
    Gs.run(latents, None, **kwargs)  # warm-up: builds and optimizes the graph
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        Gs.run(latents, None, **kwargs)
        times.append(time.perf_counter() - start)
    return minibatch / float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--network", default=None, help="preset, URL or .pkl (default: random official layout)")
    parser.add_argument("--resolutions", default="256,1024", help="official-layout resolutions (default: 256,1024)")
    parser.add_argument("--minibatch", default="1,8", help="comma-separated minibatch sizes (default: 1,8)")
    parser.add_argument("--structure", default=None, choices=["fixed", "linear", "recursive"], help="synthesis structure (default: the network's)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per setting (default: 3)")
    args = parser.parse_args()

    tflib.init_tf()
    if args.network is not None:
        networks = [(args.network, pretrained_networks.load_networks(args.network)[2])]
    else:
        networks = [("official-%s" % res, official_layout_Gs(int(res))) for res in args.resolutions.split(",")]

    print("%-24s %-10s %-10s %10s" % ("network", "minibatch", "structure", "images/s"))
    for label, Gs in networks:
        for minibatch in [int(v) for v in args.minibatch.split(",")]:
            rate = images_per_second(Gs, minibatch, args.structure, args.repeats)
            print("%-24s %-10d %-10s %10.3f" % (label, minibatch, args.structure or "default", rate), flush=True)


if __name__ == "__main__":
    dnnlib.util.run_command_line(main)
