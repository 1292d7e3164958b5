"""Metric throughput: images/s of feature extraction, and fid10k end to end on the bundled generator (offline).

Examples:
  python bench/bench_metrics.py                                   # needs datasets/fashion-mnist (see networks/README.md)
  python bench/bench_metrics.py --feature-network fmnist --minibatch 8,64 --num-images 10000
Prints a table and the CPU model; feature figures are medians over --repeats timed runs after a warm-up.
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import config  # noqa: E402
import dnnlib  # noqa: E402
import dnnlib.tflib as tflib  # noqa: E402
import pretrained_networks  # noqa: E402
from bench import flops  # noqa: E402
from dnnlib import arguments  # noqa: E402
from metrics import metric_base  # noqa: E402


def feature_images_per_second(net, minibatch, repeats, count=2048):
    """Images/s of net.run on random uint8-valued images of the network's input size."""
    channels = net.static_kwargs.get("num_channels", 3)
    size = net.static_kwargs.get("resolution", 299)
    images = np.random.RandomState(0).randint(0, 256, [count, channels, size, size]).astype(np.float32)
    net.run(images[:minibatch], minibatch_size=minibatch)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        net.run(images, minibatch_size=minibatch, assume_frozen=True)
        times.append(time.perf_counter() - start)
    return count / float(np.median(times))


def fid_end_to_end(metric_args, network_pkl, dataset):
    """(seconds with real statistics computed, seconds with them cached) of one metric run."""
    metric = metric_base.create_metric(metric_args)
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        metric.run(network_pkl, dataset_args=dict(tfrecord_dir=dataset, shuffle_mb=0), mirror_augment=False, log_results=False)
        timings.append(time.perf_counter() - start)
    return timings, metric._results[0].value


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feature-network", default="fmnist", help="named network, URL or pickle (default: fmnist)")
    parser.add_argument("--network", default="demo", help="generator for the end-to-end run (default: demo)")
    parser.add_argument("--dataset", default="fashion-mnist", help="dataset inside --data-dir for the end-to-end run")
    parser.add_argument("--data-dir", default=config.data_dir, help="where datasets live (default: %(default)s)")
    parser.add_argument("--metric", default="fid10k", help="metric for the end-to-end run (default: fid10k)")
    parser.add_argument("--num-images", type=arguments.sample_count, default=None, help="images per metric instead of its default")
    parser.add_argument("--minibatch", type=arguments.positive_ints, default="8,64", help="comma-separated feature-extraction minibatch sizes (default: 8,64)")
    parser.add_argument("--repeats", type=arguments.positive_int, default=3, help="timed runs per minibatch size (default: 3)")
    args = parser.parse_args()

    metric = metric_base.get_metric(args.metric)
    if "feature_network" not in metric_base.accepted_args(metric):
        raise dnnlib.util.UserError("--metric: the end-to-end run measures a metric of a feature network (FID, KID), not %s." % args.metric)
    config.data_dir = args.data_dir
    print(flops.cpu_line())
    metric_base.prepare_aux_network(args.feature_network, "The feature network", num_inputs=1)
    tflib.init_tf()
    net = metric_base.load_aux_network(args.feature_network, "The feature network", num_inputs=1)
    print("%-44s %10s" % ("feature extraction (%s)" % args.feature_network, "images/s"))
    for minibatch in args.minibatch:
        print("%-44s %10.1f" % ("  minibatch %d" % minibatch, feature_images_per_second(net, minibatch, args.repeats)))

    if not os.path.isdir(os.path.join(args.data_dir, args.dataset)):
        print("Skipping the end-to-end run: no dataset '%s' in %s (see networks/README.md)." % (args.dataset, args.data_dir))
        return
    metric_args = dnnlib.EasyDict(metric, feature_network=args.feature_network)
    if args.num_images is not None:
        metric_args.num_images = args.num_images
    with tempfile.TemporaryDirectory() as cache:
        config.cache_dir = cache  # the first run computes the real statistics, the second finds them cached
        (first, second), value = fid_end_to_end(metric_args, pretrained_networks.resolve_network(args.network), args.dataset)
    n = metric_args.num_images
    print("%-44s %10s %10s" % ("%s end to end (%s, %s)" % (args.metric, args.network, args.dataset), "seconds", "images/s"))
    print("%-44s %10.1f %10.1f" % ("  reals + fakes (%d + %d images)" % (n, n), first, 2 * n / first))
    print("%-44s %10.1f %10.1f" % ("  fakes only, reals cached (%d images)" % n, second, n / second))
    print("%s = %.4f" % (args.metric, value))


if __name__ == "__main__":
    dnnlib.util.run_command_line(main)
