"""Seconds per projection step (projector.Projector): the bundled 32x32 demo network and the official 1024x1024 layout.

Examples:
  python bench/bench_projector.py                              # demo and official-1024, pixel and LPIPS-like distances
  python bench/bench_projector.py --networks demo --steps 50
  python bench/bench_projector.py --networks my.pkl --distances lpips-vgg16

The official layout is G_style with default arguments and random weights. 'lpips-vgg16' is a stand-in of
NVIDIA's vgg16_zhang_perceptual.pkl with the same architecture (VGG16's 13 convolutions, LPIPS's channel
normalisation and 1x1 weightings of relu1_2..relu5_3) and random weights: the cost of the real one, offline.
Prints a table and the CPU model; the figures are the median wall-clock and process CPU time of a step
after --warmup steps (CPU time: all threads together, less sensitive to other load on the machine).
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
from bench import flops  # noqa: E402
from dnnlib import arguments  # noqa: E402
from bench.bench_generate import official_layout_Gs  # noqa: E402

VGG16_BLOCKS = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]  # LPIPS reads each block's last relu


def vgg16_lpips_standin(images_a, images_b, **_kwargs):
    """LPIPS (VGG16 variant) with random weights: two NCHW RGB batches in [0, 255] -> [N] distances."""
    import tensorflow.compat.v1 as tf
    for images in (images_a, images_b):
        images.set_shape([None, 3, None, None])
    x = tf.transpose(tf.concat([images_a, images_b], axis=0), [0, 2, 3, 1]) / 127.5 - 1  # NHWC: CPU convolutions need it
    x = (x - tf.constant([-0.030, -0.088, -0.188])) / tf.constant([0.458, 0.448, 0.450])
    count = tf.shape(images_a)[0]
    total = 0.0
    channels = 3
    for block, widths in enumerate(VGG16_BLOCKS):
        if block > 0:
            x = tf.nn.max_pool2d(x, 2, 2, "VALID")
        for layer, width in enumerate(widths):
            with tf.variable_scope("conv%d_%d" % (block + 1, layer + 1)):
                w = tf.get_variable("weight", [3, 3, channels, width], initializer=tf.initializers.random_normal(0, np.sqrt(2 / (9 * channels))))
                b = tf.get_variable("bias", [width], initializer=tf.initializers.zeros())
                x = tf.nn.relu(tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME") + b)
            channels = width
        features = x * tf.math.rsqrt(tf.reduce_sum(tf.square(x), axis=3, keepdims=True) + 1e-10)
        with tf.variable_scope("lin%d" % block):
            lin = tf.get_variable("weight", [channels], initializer=tf.initializers.random_uniform(0, 1))
        diff = tf.square(features[:count] - features[count:])
        total += tf.reduce_mean(tf.reduce_sum(diff * lin, axis=3), axis=[1, 2])
    return tf.identity(total, name="distances")


def seconds_per_step(Gs, distance, steps, warmup):
    import projector
    kwargs = dict(distance="pixel")
    if distance.startswith("lpips-vgg16"):
        kwargs = dict(distance="lpips", perceptual_network=tflib.Network("vgg16_lpips_standin", func_name=vgg16_lpips_standin))
        if distance == "lpips-vgg16-256":
            kwargs["lpips_min_size"] = 256
    proj = projector.Projector(num_steps=warmup + steps, dlatent_avg_samples=1000, **kwargs)
    proj.set_network(Gs)
    target = np.random.RandomState(0).uniform(-1, 1, [1] + Gs.output_shape[1:]).astype(np.float32)
    labels = pretrained_networks.one_hot_labels(Gs, [0]) if Gs.input_shapes[1][1] else None
    proj.start(target, labels)
    for _ in range(warmup):
        proj.step()
    wall, cpu = [], []
    for _ in range(steps):
        start, start_cpu = time.perf_counter(), time.process_time()
        proj.step()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return float(np.median(wall)), float(np.median(cpu))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--networks", default="demo,official-1024", help="demo, official-RES (random weights) or a preset/URL/.pkl (default: demo,official-1024)")
    parser.add_argument("--distances", default="pixel,lpips-vgg16,lpips-vgg16-256",
                        help="pixel, lpips-vgg16 (small images enlarged to 64x64, the default), lpips-vgg16-256 (enlarged to 256x256) (default: all)")
    parser.add_argument("--steps", type=arguments.positive_int, default=None, help="timed steps (default: 30 below 256x256, else 5)")
    parser.add_argument("--warmup", type=arguments.nonnegative_int, default=2, help="untimed steps first (default: 2)")
    args = parser.parse_args()
    distances = [d.strip() for d in args.distances.split(",")]
    for distance in distances:
        if distance not in ("pixel", "lpips-vgg16", "lpips-vgg16-256"):
            raise dnnlib.util.UserError("--distances takes pixel, lpips-vgg16 and lpips-vgg16-256 (got '%s')." % distance)

    tflib.init_tf()
    print(flops.cpu_line())
    print("%-28s %-16s %-6s %10s %14s" % ("network", "distance", "steps", "s/step", "CPU s/step"))
    for name in [n.strip() for n in args.networks.split(",")]:
        if name.startswith("official-"):
            resolution = name[len("official-"):]
            if not resolution.isdigit():
                raise dnnlib.util.UserError("--networks: official-RES takes a resolution, not '%s'." % name)
            Gs = official_layout_Gs(int(resolution))
        else:
            Gs = pretrained_networks.load_networks(name)[2]
        steps = args.steps or (30 if Gs.output_shape[2] < 256 else 5)
        for distance in distances:
            if distance == "lpips-vgg16-256" and Gs.output_shape[2] >= 256:
                continue  # the same as lpips-vgg16 at these sizes
            wall, cpu = seconds_per_step(Gs, distance, steps, args.warmup)
            label = "%s (%dx%d)" % (name, Gs.output_shape[2], Gs.output_shape[3])
            print("%-28s %-16s %-6d %10.4f %14.4f" % (label, distance, steps, wall, cpu), flush=True)


if __name__ == "__main__":
    dnnlib.util.run_command_line(main)
