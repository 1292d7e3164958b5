"""Deterministic losses for the tower test: D sees only reals, G only a fixed latent batch."""

import numpy as np
import tensorflow.compat.v1 as tf


def G_fixed(G, D, opt, training_set, minibatch_size):
    latents = tf.constant(np.random.RandomState(0).randn(4, *G.input_shapes[0][1:]).astype(np.float32))
    return tf.reduce_mean(tf.square(G.get_output_for(latents, None, is_training=True, style_mixing_prob=None, randomize_noise=False)))


def D_reals_only(G, D, opt, training_set, minibatch_size, reals, labels):
    return tf.nn.softplus(-D.get_output_for(reals, labels, is_training=True))


def D_nan_after_growing(G, D, opt, training_set, minibatch_size, reals, labels):
    """The usual D loss until the first fade ends (lod < 1.5), then NaN: training diverges mid-run."""
    from training import loss
    value = loss.D_logistic_simplegp(G, D, opt, training_set, minibatch_size, reals, labels, r1_gamma=10.0)
    return value * tf.where(D.find_var("lod") < 1.5, np.float32(np.nan), np.float32(1.0))  # NaN gradients from then on
