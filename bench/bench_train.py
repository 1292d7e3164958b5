"""Training speed in sec/kimg on synthetic data, after warm-up, for a few configurations.

  python bench/bench_train.py                 # tiny preset at 32x32; official StyleGAN layout at 64x64 and 128x128
  python bench/bench_train.py --configs tiny32 --kimg 2
Each configuration trains at its full resolution (no growing), minibatch 8 (tiny: 16), one tower.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dnnlib  # noqa: E402  (first: sets TensorFlow's log level before TensorFlow loads)
import dnnlib.tflib as tflib  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402
from training import dataset, training_loop  # noqa: E402

TINY = dict(G=dict(fmap_base=128, fmap_max=32, latent_size=32, dlatent_size=32, mapping_fmaps=32, mapping_layers=2), D=dict(fmap_base=128, fmap_max=32))
CONFIGS = {  # name -> (resolution, minibatch, extra G kwargs, extra D kwargs)
    "tiny32": (32, 16, TINY["G"], TINY["D"]),
    "official64": (64, 8, {}, {}),
    "official128": (128, 8, {}, {}),
}


class NoiseDataset(dataset.SyntheticDataset):
    """Random images, so that D has something to look at."""

    def _generate_images(self, count, lod, shape):
        return tf.cast(tf.random.uniform(tf.concat([[count], shape], axis=0), 0, 256, dtype=tf.int32), tf.uint8)


def sec_per_kimg(name, kimg):
    resolution, minibatch, G_extra, D_extra = CONFIGS[name]
    with tf.Graph().as_default(), tflib.create_session().as_default():
        training_set = NoiseDataset(resolution=resolution, num_channels=3)
        shape = dict(num_channels=3, resolution=resolution, label_size=0)
        with tf.device("/gpu:0"):
            G = tflib.Network("G", func_name="training.networks_stylegan.G_style", **shape, **G_extra)
            D = tflib.Network("D", func_name="training.networks_stylegan.D_basic", **shape, **D_extra)
            Gs = G.clone("Gs")
        opt = dict(beta1=0.0, beta2=0.99, epsilon=1e-8)
        graph = training_loop.build_training_graph(
            G=G, D=D, Gs=Gs, training_set=training_set, G_opt_args=opt, D_opt_args=opt,
            G_loss_args=dict(func_name="training.loss.G_logistic_nonsaturating"),
            D_loss_args=dict(func_name="training.loss.D_logistic_simplegp", r1_gamma=10.0))
        training_set.configure(minibatch, 0)
        feed = {graph.inputs.lod_in: 0.0, graph.inputs.lrate_in: 0.001, graph.inputs.minibatch_in: minibatch}

        def step():
            tflib.run([graph.D_train_op, graph.Gs_update_op], feed)
            tflib.run(graph.G_train_op, feed)
        step()  # warm-up
        steps = max(int(np.ceil(kimg * 1000 / minibatch)), 2)
        start = time.perf_counter()
        for _ in range(steps):
            step()
        return (time.perf_counter() - start) / (steps * minibatch / 1000.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="tiny32,official64,official128", help="comma-separated: %s" % ", ".join(CONFIGS))
    parser.add_argument("--kimg", type=float, default=0.2, help="thousands of images timed per configuration (default: 0.2)")
    args = parser.parse_args()
    tflib.init_tf()
    print("%-14s %-11s %-10s %10s" % ("config", "resolution", "minibatch", "sec/kimg"))
    for name in args.configs.split(","):
        if name not in CONFIGS:
            raise dnnlib.util.UserError("Unknown config '%s'; choose from %s." % (name, ", ".join(CONFIGS)))
        print("%-14s %-11s %-10d %10.1f" % (name, "%dx%d" % ((CONFIGS[name][0],) * 2), CONFIGS[name][1], sec_per_kimg(name, args.kimg)), flush=True)


if __name__ == "__main__":
    dnnlib.util.run_command_line(main)
