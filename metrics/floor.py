"""FID and KID between two sets of real images: the floor a generator's score can reach with that many samples.

  python -m metrics.floor --dataset fashion-mnist --reference fashion-mnist-test --feature-network fmnist --num-images 10000
compares the first N images of --dataset (what FID/KID use as reals) with the
first N of --reference (e.g. a held-out test set made by dataset_tool.py).
"""

import argparse
import os

import config
import dnnlib
import dnnlib.tflib as tflib
from dnnlib import arguments
from metrics import metric_base
from metrics.frechet_inception_distance import INCEPTION_URL, FeatureMetric, frechet_distance, statistics
from metrics.kernel_inception_distance import kernel_inception_distance


def dataset_features(feature_net, tfrecord_dir, num_images, minibatch_size=64, mirror_augment=False, label=None):
    """[num_images, D] features of a dataset's first images (wrapping around if it holds fewer), as FID reads reals."""
    reader = FeatureMetric(name=label or tfrecord_dir, num_images=num_images, minibatch_per_gpu=minibatch_size)
    reader._dataset_args, reader._mirror_augment = dict(tfrecord_dir=tfrecord_dir, shuffle_mb=0), mirror_augment
    return reader._real_features(feature_net, num_images, minibatch_size, num_gpus=1)


def main():
    parser = argparse.ArgumentParser(description="FID and KID between two real datasets (a floor for generator scores).")
    parser.add_argument("--dataset", required=True, help="dataset inside --data-dir (the reals of FID/KID)")
    parser.add_argument("--reference", required=True, help="the other dataset, e.g. a held-out test set")
    parser.add_argument("--data-dir", default=config.data_dir, help="where datasets live (default: %(default)s)")
    parser.add_argument("--feature-network", default=INCEPTION_URL, help="as --metric-arg feature_network of run_metrics.py (default: Inception)")
    parser.add_argument("--trust-pickles", action="store_true", help="allow a feature network pickle that runs code stored in it")
    parser.add_argument("--num-images", type=arguments.sample_count, default=10000, help="images of each dataset (default: %(default)s)")
    parser.add_argument("--num-subsets", type=arguments.subset_count, default=100, help="KID subsets (default: %(default)s)")
    parser.add_argument("--max-subset-size", type=arguments.sample_count, default=1000, help="KID subset size (default: %(default)s)")
    args = parser.parse_args()

    config.data_dir = args.data_dir
    for name in (args.dataset, args.reference):
        if not os.path.isdir(os.path.join(args.data_dir, name)):
            raise dnnlib.util.UserError("Dataset '%s' not found in %s." % (name, args.data_dir))
    description = "The feature network"
    metric_base.prepare_aux_network(args.feature_network, description, trust_pickles=args.trust_pickles, num_inputs=1)
    tflib.init_tf()
    feature_net = metric_base.load_aux_network(args.feature_network, description, trust_pickles=args.trust_pickles, num_inputs=1)
    features = dataset_features(feature_net, args.dataset, args.num_images)
    reference = dataset_features(feature_net, args.reference, args.num_images)
    fid = frechet_distance(*statistics(reference), *statistics(features))
    kid = kernel_inception_distance(features, reference, args.num_subsets, args.max_subset_size)
    print("%s vs %s, %d images each, feature network %s: FID %.4f  KID %.6f" % (args.reference, args.dataset, args.num_images,
                                                                                  args.feature_network, fid, kid))


if __name__ == "__main__":
    dnnlib.util.run_command_line(main)
