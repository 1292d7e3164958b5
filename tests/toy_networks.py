"""Tiny TF1-style build functions for testing Network (not a known architecture, so pickles embed this source)."""

import numpy as np
import tensorflow as tf


def toy_dense(x_in, y_in, fmaps=3, scale=1.0, **_kwargs):
    """out = (x @ weight + bias) * scale + y.sum(axis=1); one trainable weight, one bias, one non-trainable counter."""
    x_in.set_shape([None, 4])
    y_in.set_shape([None, 2])
    weight = tf.compat.v1.get_variable("weight", shape=[4, fmaps], initializer=tf.compat.v1.initializers.random_normal())
    with tf.compat.v1.variable_scope("Bias"):
        bias = tf.compat.v1.get_variable("bias", shape=[fmaps], initializer=tf.compat.v1.initializers.zeros())
    tf.compat.v1.get_variable("counter", initializer=np.float32(0), trainable=False)
    out = (tf.matmul(x_in, weight) + bias) * scale + tf.reduce_sum(y_in, axis=1, keepdims=True)
    return tf.identity(out, name="out")


def toy_two_outputs(x_in, **_kwargs):
    """Two outputs: x * w and x + w."""
    x_in.set_shape([None, 2])
    w = tf.compat.v1.get_variable("w", shape=[2], initializer=tf.compat.v1.initializers.ones())
    return tf.identity(x_in * w, name="prod"), tf.identity(x_in + w, name="total")


def toy_parent(x_in, components=None, is_template_graph=False, **kwargs):
    """A network with a component, like G_style with its mapping network."""
    import dnnlib.tflib as tflib
    if "child" not in components:
        components.child = tflib.Network("Child", func_name=toy_two_outputs)
    prod, _total = components.child.get_output_for(x_in)
    scale = tf.compat.v1.get_variable("scale", initializer=np.float32(2.0))
    return tf.identity(prod * scale, name="out")


def plus_one(x, y):
    return x + 1, y


def times_ten(out):
    return out * 10
