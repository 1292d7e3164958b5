"""Tiny stand-ins for NVIDIA's metric networks (Inception features, LPIPS, attribute classifiers), for offline tests."""

import numpy as np
import tensorflow as tf

import dnnlib.tflib as tflib


def inception_standin(images_in, **_kwargs):
    """uint8-valued NCHW RGB images of any size -> [N, 6] features (per-channel means and stds through a fixed mixing)."""
    images_in.set_shape([None, 3, None, None])
    x = tf.cast(images_in, tf.float32) / 255.0
    mean, var = tf.nn.moments(x, axes=[2, 3])
    mix = tf.compat.v1.get_variable("mix", shape=[6, 6], initializer=tf.compat.v1.initializers.random_normal(seed=1))
    return tf.identity(tf.matmul(tf.concat([mean, tf.sqrt(var + 1e-8)], axis=1), mix), name="features")


def lpips_standin(images_a, images_b, **_kwargs):
    """Two batches of NCHW images in [0, 255] -> [N] mean squared differences."""
    images_a.set_shape([None, None, None, None])
    images_b.set_shape([None, None, None, None])
    scale = tf.compat.v1.get_variable("scale", initializer=np.float32(1e-4))
    return tf.identity(tf.reduce_mean(tf.square(images_a - images_b), axis=[1, 2, 3]) * scale, name="distances")


def classifier_standin(images_in, labels_in, **_kwargs):
    """NCHW images in [-1, 1] -> [N, 1] logits: brightness of the left half minus the right half."""
    images_in.set_shape([None, None, None, None])
    labels_in.set_shape([None, 0])
    width = tf.shape(images_in)[3]
    left = tf.reduce_mean(images_in[:, :, :, : width // 2], axis=[1, 2, 3])
    right = tf.reduce_mean(images_in[:, :, :, width // 2:], axis=[1, 2, 3])
    gain = tf.compat.v1.get_variable("gain", initializer=np.float32(10.0))
    return tf.identity(((left - right) * gain)[:, np.newaxis], name="logits")


def make_inception_standin():
    return tflib.Network("inception_standin", func_name="tests.standin_networks.inception_standin")


def make_lpips_standin():
    return tflib.Network("lpips_standin", func_name="tests.standin_networks.lpips_standin")


def make_classifier_standin():
    return tflib.Network("classifier_standin", func_name="tests.standin_networks.classifier_standin")


def make_failing_metric(name="boom", **_kwargs):
    """A metric whose evaluation raises, for testing that a failing metric does not stop the others."""
    from metrics import metric_base

    class FailingMetric(metric_base.MetricBase):
        def _evaluate(self, Gs, num_gpus):
            raise RuntimeError("the evaluation broke\nsecond line")
    return FailingMetric(name=name)
