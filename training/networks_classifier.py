"""A small image classifier whose penultimate layer serves as an offline feature network for FID and KID.

Input convention as NVIDIA's Inception feature network: uint8-valued NCHW
images in [0, 255] (float or integer dtype), so metrics can feed generator
output through tflib.convert_images_to_uint8 unchanged. The network computes
in NHWC internally (TensorFlow's CPU kernels refuse NCHW convolutions).
Registered as an architecture, so its pickles load with the safe loader.
"""

import numpy as np
import tensorflow.compat.v1 as tf

from dnnlib.tflib.network import register_architecture
from training.networks_stylegan import check_count


def _conv3x3_relu(x, fmaps):
    """3x3 'same' convolution + bias + ReLU on NHWC activations (He-initialized weights)."""
    fan_in = 9 * x.shape.as_list()[3]
    w = tf.get_variable("weight", shape=[3, 3, x.shape.as_list()[3], fmaps], initializer=tf.initializers.random_normal(0.0, np.sqrt(2.0 / fan_in)))
    b = tf.get_variable("bias", shape=[fmaps], initializer=tf.initializers.zeros())
    return tf.nn.relu(tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME", data_format="NHWC") + b)


def _dense(x, units, gain=2.0):
    fan_in = x.shape.as_list()[1]
    w = tf.get_variable("weight", shape=[fan_in, units], initializer=tf.initializers.random_normal(0.0, np.sqrt(gain / fan_in)))
    b = tf.get_variable("bias", shape=[units], initializer=tf.initializers.zeros())
    return tf.matmul(x, w) + b


def _adapt_input(images_in, num_channels, resolution):
    """[N, C, H, W] uint8-valued images -> NHWC floats in [-1, 1] of the network's channels and resolution.

    RGB input to a grayscale network is averaged over channels, grayscale input
    to an RGB network repeated (both also when C is known only at run time);
    other sizes are resized (area when shrinking).
    """
    check_count("num_channels", num_channels, 1)
    x = tf.cast(images_in, tf.float32)
    _, channels, height, width = images_in.shape.as_list()
    accepted = sorted({1, num_channels} | ({3} if num_channels == 1 else set()))  # RGB into a grayscale network
    if channels is not None and channels not in accepted:
        raise ValueError("C_classifier takes %s channels, not %d" % (" or ".join(map(str, accepted)), channels))
    if num_channels == 1:
        x = tf.reduce_mean(x, axis=1, keepdims=True)
    elif channels != num_channels:
        x = x * tf.ones([1, num_channels, 1, 1])  # broadcasts one channel to all
    with tf.name_scope("ToNHWC"):
        x = tf.transpose(x, [0, 2, 3, 1])
    if (height, width) != (resolution, resolution):
        shrink = height is not None and height > resolution
        x = tf.image.resize(x, [resolution, resolution], method="area" if shrink else "bilinear")
    with tf.name_scope("Normalize"):
        return x * (2.0 / 255.0) - 1.0


@register_architecture
def C_classifier(
        images_in,                  # uint8-valued NCHW images [N, C, H, W] in [0, 255]
        num_channels=1,             # channels the network was trained on (1 or 3)
        resolution=32,              # the network's input resolution (other sizes are resized)
        num_classes=10,             # number of classes of the training labels
        fmaps=[32, 64, 128],        # feature maps of the conv blocks (each: 3x3 conv, ReLU, 2x2 max pool)
        feature_size=256,           # width of the penultimate layer: the feature vector
        output="features",          # 'features' ([N, feature_size], the penultimate layer after its ReLU) or 'logits' ([N, num_classes])
        **_kwargs):                 # ignores unrecognized keyword args (is_template_graph, components)
    """Conv blocks, a dense feature layer and a linear classifier; returns the features or the logits."""
    assert output in ("features", "logits")
    assert resolution % (2 ** len(fmaps)) == 0, "resolution must be divisible by 2^len(fmaps)"
    if images_in.shape.ndims is None:
        images_in.set_shape([None, None, None, None])
    x = _adapt_input(images_in, num_channels, resolution)
    for index, fmap in enumerate(fmaps):
        with tf.variable_scope("Conv%d" % index):
            x = _conv3x3_relu(x, fmap)
        x = tf.nn.max_pool2d(x, ksize=2, strides=2, padding="VALID", data_format="NHWC", name="Pool%d" % index)
    x = tf.reshape(x, [-1, int(np.prod(x.shape.as_list()[1:]))])
    with tf.variable_scope("Dense0"):
        features = tf.nn.relu(_dense(x, feature_size))
    with tf.variable_scope("Output"):
        logits = _dense(features, num_classes, gain=1.0)
    if output == "features":
        return tf.identity(features, name="features")
    return tf.identity(logits, name="logits")
