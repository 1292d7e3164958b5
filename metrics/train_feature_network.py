"""Train the offline feature network for FID/KID: a small classifier (training/networks_classifier.py) on a labelled dataset.

Reproduces networks/fashion-mnist-classifier-32x32.pkl (see networks/README.md):
  python dataset_tool.py create_mnist datasets/fashion-mnist /usr/share/datasets/fashion-mnist
  python -m metrics.train_feature_network --dataset fashion-mnist --test-dataset fashion-mnist-test \\
      --output networks/fashion-mnist-classifier-32x32.pkl
Any dataset_tool dataset with labels works (grayscale or RGB, resolution >= 32
and divisible by 8); without --test-dataset a fraction of it is held out.
"""

import argparse
import glob
import os
import time

import numpy as np

import config
import dnnlib  # before TensorFlow: its start-up lines stay quiet
import dnnlib.tflib as tflib
import tensorflow.compat.v1 as tf
from dnnlib import arguments
from training import dataset, misc


def load_labelled_images(tfrecord_dir):
    """(images uint8 [N, C, H, W] at the highest resolution, class indices [N]) of a dataset_tool dataset with labels."""
    if not os.path.isdir(tfrecord_dir):
        raise dnnlib.util.UserError("Dataset '%s' not found; create it with dataset_tool.py." % tfrecord_dir)
    label_files = sorted(glob.glob(os.path.join(tfrecord_dir, "*.labels")))
    if not label_files:
        raise dnnlib.util.UserError("Dataset '%s' has no labels (*.labels); a classifier needs class labels." % tfrecord_dir)
    records = sorted(glob.glob(os.path.join(tfrecord_dir, "*.tfrecords")))
    if not records:
        raise dnnlib.util.UserError("No .tfrecords files in '%s'." % tfrecord_dir)
    largest = max(records, key=lambda path: int(np.prod(dataset.read_first_record(path).shape)))
    options = tf.io.TFRecordOptions(compression_type=dataset.compression_type(largest))
    images = np.stack([dataset.parse_tfrecord_np(record) for record in tf.io.tf_record_iterator(largest, options)])
    labels = np.load(label_files[0])
    if labels.ndim == 2:
        labels = np.argmax(labels, axis=1)  # one-hot rows, as dataset_tool writes them
    if labels.shape[0] < images.shape[0]:
        raise dnnlib.util.UserError("'%s' holds %d labels for %d images." % (label_files[0], labels.shape[0], images.shape[0]))
    return images, labels[:images.shape[0]].astype(np.int64)


def _check_images(images, source):
    channels, height, width = images.shape[1:]
    if channels not in (1, 3) or height != width or height < 32 or height % 8 != 0:
        raise dnnlib.util.UserError("%s: need square 1- or 3-channel images of at least 32x32, side divisible by 8; got %s."
                                    % (source, list(images.shape[1:])))


def augment(images, rnd, max_shift=2):
    """Random horizontal flips and translations by up to max_shift pixels (zero fill) of uint8 NCHW images."""
    images = np.where(rnd.rand(len(images), 1, 1, 1) < 0.5, images[..., ::-1], images)
    padded = np.pad(images, [(0, 0), (0, 0), (max_shift, max_shift), (max_shift, max_shift)])
    height, width = images.shape[2:]
    result = np.empty_like(images)
    for i, (dy, dx) in enumerate(rnd.randint(0, 2 * max_shift + 1, size=[len(images), 2])):
        result[i] = padded[i, :, dy:dy + height, dx:dx + width]
    return result


def train_classifier(train_images, train_labels, test_images, test_labels, num_classes, epochs=15, minibatch_size=128,
                     learning_rate=0.001, feature_size=256, augment_images=True, seed=1000, log=print):
    """Train C_classifier with Adam, a cosine learning-rate decay and (optionally) flips and shifts; returns (network, test accuracy)."""
    channels, resolution = int(train_images.shape[1]), int(train_images.shape[2])
    tf.set_random_seed(seed)
    net = tflib.Network("C", func_name="training.networks_classifier.C_classifier", num_channels=channels,
                        resolution=resolution, num_classes=num_classes, feature_size=feature_size)
    images_in = tf.placeholder(tf.float32, [None, channels, resolution, resolution], name="images_in")
    labels_in = tf.placeholder(tf.int64, [None], name="labels_in")
    lrate_in = tf.placeholder(tf.float32, [], name="lrate_in")
    logits = net.get_output_for(images_in, output="logits")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels_in, logits=logits))
    optimizer = tflib.Optimizer(name="TrainC", learning_rate=lrate_in, beta1=0.9, beta2=0.999, epsilon=1e-8)
    optimizer.register_gradients(loss, net.trainables)
    train_op = optimizer.apply_updates()
    predictions = tf.argmax(logits, axis=1)

    def accuracy(images, labels):
        predicted = np.concatenate([tflib.run(predictions, {images_in: images[i:i + 500]}) for i in range(0, len(images), 500)])
        return float(np.mean(predicted == labels))

    rnd = np.random.RandomState(seed)
    steps_per_epoch = len(train_images) // minibatch_size
    total_steps, step = epochs * steps_per_epoch, 0
    started = time.time()
    for epoch in range(epochs):
        order = rnd.permutation(len(train_images))
        losses = []
        for batch in range(steps_per_epoch):
            rows = order[batch * minibatch_size:(batch + 1) * minibatch_size]
            lrate = learning_rate * 0.5 * (1 + np.cos(np.pi * step / total_steps))
            images = augment(train_images[rows], rnd) if augment_images else train_images[rows]
            _, value = tflib.run([train_op, loss], {images_in: images, labels_in: train_labels[rows], lrate_in: lrate})
            losses.append(value)
            step += 1
        test_accuracy = accuracy(test_images, test_labels)
        log("epoch %-3d loss %-8.4f test accuracy %.4f  time %s" % (epoch + 1, np.mean(losses), test_accuracy,
                                                                     dnnlib.util.format_time(time.time() - started)))
    return net, test_accuracy


def main():
    parser = argparse.ArgumentParser(description="Train a small classifier whose penultimate layer is a feature network for FID/KID.")
    parser.add_argument("--dataset", required=True, help="labelled dataset (dataset_tool.py) inside --data-dir")
    parser.add_argument("--test-dataset", help="held-out labelled dataset for the test accuracy (default: hold out --holdout of --dataset)")
    parser.add_argument("--holdout", type=float, default=0.1, help="fraction held out when there is no --test-dataset (default 0.1)")
    parser.add_argument("--data-dir", default=config.data_dir, help="where datasets live (default: %(default)s)")
    parser.add_argument("--output", required=True, help="where to write the network pickle")
    parser.add_argument("--epochs", type=arguments.positive_int, default=15, help="passes over the training images (default: %(default)s)")
    parser.add_argument("--augment", type=int, default=1, choices=[0, 1], help="random flips and 2-pixel shifts (default: %(default)s)")
    parser.add_argument("--minibatch", type=arguments.positive_int, default=128, help="minibatch size (default: %(default)s)")
    parser.add_argument("--lrate", type=arguments.positive_float, default=0.001, help="initial Adam learning rate, decayed to 0 (default: %(default)s)")
    parser.add_argument("--feature-size", type=arguments.positive_int, default=256, help="width of the feature layer (default: %(default)s)")
    parser.add_argument("--seed", type=arguments.seed, default=1000, help="random seed (default: %(default)s)")
    args = parser.parse_args()

    if not os.path.isdir(os.path.dirname(os.path.abspath(args.output))):
        raise dnnlib.util.UserError("Output directory of '%s' does not exist." % args.output)
    images, labels = load_labelled_images(os.path.join(args.data_dir, args.dataset))
    _check_images(images, args.dataset)
    if args.test_dataset:
        test_images, test_labels = load_labelled_images(os.path.join(args.data_dir, args.test_dataset))
        if test_images.shape[1:] != images.shape[1:]:
            raise dnnlib.util.UserError("--test-dataset images are %s, --dataset images %s." % (list(test_images.shape[1:]), list(images.shape[1:])))
    else:
        if not 0 < args.holdout < 1:
            raise dnnlib.util.UserError("--holdout must be between 0 and 1.")
        split = len(images) - max(int(len(images) * args.holdout), 1)
        images, labels, test_images, test_labels = images[:split], labels[:split], images[split:], labels[split:]
    num_classes = int(max(labels.max(), test_labels.max())) + 1
    print("Training on %d images %s, %d classes; testing on %d images." % (len(images), list(images.shape[1:]), num_classes, len(test_images)))

    tflib.init_tf({"rnd.np_random_seed": args.seed, "rnd.tf_random_seed": args.seed})
    net, test_accuracy = train_classifier(images, labels, test_images, test_labels, num_classes, epochs=args.epochs,
                                          minibatch_size=args.minibatch, learning_rate=args.lrate, feature_size=args.feature_size,
                                          augment_images=bool(args.augment), seed=args.seed)
    net.print_layers()
    misc.save_pkl(net, args.output)
    print("Test accuracy %.4f; saved %s" % (test_accuracy, args.output))


if __name__ == "__main__":
    dnnlib.util.run_command_line(main)
