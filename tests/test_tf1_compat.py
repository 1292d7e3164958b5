"""Running TF1 source (like NVIDIA's metric networks) with NCHW ops on a CPU."""

import numpy as np

import dnnlib.tflib as tflib
from dnnlib.tflib import tf1_compat

SOURCE = """
import tensorflow as tf
def net(x):
    w = tf.constant(WEIGHTS)
    y = tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding='SAME', data_format='NCHW')
    y = tf.nn.bias_add(y, tf.constant([1.0, 2.0]), data_format='NCHW')
    y = tf.nn.avg_pool(y, ksize=[1, 1, 2, 2], strides=[1, 1, 2, 2], padding='VALID', data_format='NCHW')
    return tf.log(tf.exp(y)), x.shape[1].value
"""


def test_nchw_ops_run_on_cpu(session):
    weights = np.random.RandomState(0).randn(3, 3, 3, 2).astype(np.float32)
    namespace = {"WEIGHTS": weights}
    tf1_compat.exec_tf1_source(SOURCE, namespace)
    x = np.random.RandomState(1).randn(2, 3, 4, 4).astype(np.float32)
    y_expr, channels = namespace["net"](tf1_compat.tf1_module().constant(x))
    y = tflib.run(y_expr)
    assert channels == 3 and y.shape == (2, 2, 2, 2)

    import tensorflow.compat.v1 as tf
    ref = tf.nn.conv2d(tf.constant(x.transpose(0, 2, 3, 1)), weights, strides=[1, 1, 1, 1], padding="SAME") + [1.0, 2.0]
    ref = tf.nn.avg_pool(ref, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")
    np.testing.assert_allclose(y, tflib.run(ref).transpose(0, 3, 1, 2), rtol=1e-5, atol=1e-5)
