"""Progressive GAN networks (G_paper, D_paper), as used by the original's pgan configs.

The weight, conv, dense, bias, fused resampling and minibatch-stddev
primitives are numerically identical to StyleGAN's and are shared with
networks_stylegan; what differs (scopes, plain leaky ReLU, box pooling,
no blur/styles/noise) lives here.
"""

import numpy as np
import tensorflow.compat.v1 as tf

from dnnlib.tflib.network import register_architecture
from training.networks_stylegan import (check_choice, check_count, feature_maps, lazy_select, resolution_log2_of, nearest_upscale2d, apply_bias,
                                        conv2d, conv2d_downscale2d, dense, discriminator_structure, minibatch_stddev_layer,
                                        pixel_norm, to_nchw, to_nhwc, upscale2d_conv2d)


def _lerp(a, b, t):
    return a + (b - a) * t


def _lerp_clip(a, b, t):
    return _lerp(a, b, tf.minimum(tf.maximum(t, 0.0), 1.0))


def leaky_relu(x, alpha=0.2):
    with tf.name_scope("LeakyRelu"):
        alpha = tf.constant(alpha, dtype=x.dtype, name="alpha")
        return tf.maximum(x * alpha, x)


def upscale2d(x, factor=2):
    """Nearest-neighbour upsampling with ordinary gradients."""
    if factor == 1:
        return x
    with tf.variable_scope("Upscale2D"):
        return nearest_upscale2d(x, factor)


def downscale2d(x, factor=2):
    """Box average over factor x factor blocks."""
    if factor == 1:
        return x
    with tf.variable_scope("Downscale2D"):
        window = [1, factor, factor, 1]
        return tf.nn.avg_pool(x, ksize=window, strides=window, padding="VALID")


def _structure(structure, is_template_graph):
    if structure is None:
        structure = "linear" if is_template_graph else "recursive"
    check_choice("structure", structure, ["linear", "recursive"])
    return structure

# ----------------------------------------------------------------------------


@register_architecture
def G_paper(
    latents_in,                         # [minibatch, latent_size]
    labels_in,                          # [minibatch, label_size]
    num_channels        = 1,
    resolution          = 32,
    label_size          = 0,
    fmap_base           = 8192,
    fmap_decay          = 1.0,
    fmap_max            = 512,
    latent_size         = None,         # None = nf(0)
    normalize_latents   = True,
    use_wscale          = True,
    use_pixelnorm       = True,
    pixelnorm_epsilon   = 1e-8,
    use_leakyrelu       = True,         # False = ReLU
    dtype               = "float32",
    fused_scale         = True,         # fused upscale + conv in every block
    structure           = None,         # 'linear' or 'recursive'; None = linear for the template graph, else recursive
    is_template_graph   = False,
    **_kwargs):
    """The ProGAN generator: latents (+ labels) -> 4x4 dense -> conv blocks with pixel norm -> ToRGB."""
    check_count("num_channels", num_channels, 1)
    check_count("label_size", label_size, 0)
    resolution_log2 = resolution_log2_of(resolution)
    nf = feature_maps(fmap_base, fmap_decay, fmap_max)
    structure = _structure(structure, is_template_graph)
    act = {True: leaky_relu, False: tf.nn.relu}[bool(use_leakyrelu)]
    if latent_size is None:
        latent_size = nf(0)

    def norm(x):
        return pixel_norm(x, epsilon=pixelnorm_epsilon) if use_pixelnorm else x

    def conv_layer(x, fmaps, kernel, conv=conv2d, gain=np.sqrt(2)):
        return norm(act(apply_bias(conv(x, fmaps=fmaps, kernel=kernel, gain=gain, use_wscale=use_wscale))))

    latents_in.set_shape((None, latent_size))
    labels_in.set_shape((None, label_size))
    combo_in = tf.cast(tf.concat([latents_in, labels_in], 1), dtype)  # labels ride along with the latents
    lod_in = tf.cast(tf.get_variable("lod", initializer=np.float32(0.0), trainable=False), dtype)

    def block(x, res):  # res = 2..resolution_log2
        with tf.variable_scope("%dx%d" % (2 ** res, 2 ** res)):
            if res == 2:
                if normalize_latents:
                    x = pixel_norm(x, epsilon=pixelnorm_epsilon)
                with tf.variable_scope("Dense"):
                    x = dense(x, fmaps=nf(res - 1) * 16, gain=np.sqrt(2) / 4, use_wscale=use_wscale)
                    x = tf.transpose(tf.reshape(x, [-1, nf(res - 1), 4, 4]), [0, 2, 3, 1])
                    x = norm(act(apply_bias(x)))
                with tf.variable_scope("Conv"):
                    return conv_layer(x, nf(res - 1), 3)
            if fused_scale:
                with tf.variable_scope("Conv0_up"):
                    x = conv_layer(x, nf(res - 1), 3, conv=lambda x, **kw: upscale2d_conv2d(x, fused_scale=True, **kw))
            else:
                x = upscale2d(x)
                with tf.variable_scope("Conv0"):
                    x = conv_layer(x, nf(res - 1), 3)
            with tf.variable_scope("Conv1"):
                return conv_layer(x, nf(res - 1), 3)

    def torgb(x, res):
        with tf.variable_scope("ToRGB_lod%d" % (resolution_log2 - res)):
            rgb = conv2d(x, fmaps=num_channels, kernel=1, gain=1, use_wscale=use_wscale)
            return apply_bias(rgb)

    if structure == "linear":
        x = block(combo_in, 2)
        images_out = torgb(x, 2)
        for res in range(3, 1 + resolution_log2):
            lod = resolution_log2 - res
            x = block(x, res)
            img = torgb(x, res)
            images_out = upscale2d(images_out)
            with tf.variable_scope("Grow_lod%d" % lod):
                images_out = _lerp_clip(img, images_out, lod_in - lod)

    else:  # recursive
        def grow(x, res, lod):
            y = block(x, res)
            cases = []
            if lod > 0:
                cases.append((lod_in < lod, lambda: grow(y, res + 1, lod - 1)))
            if res > 2:
                cases.append((lod_in > lod, lambda: upscale2d(_lerp(torgb(y, res), upscale2d(torgb(x, res - 1)), lod_in - lod), 2 ** lod)))
            return lazy_select(lambda: upscale2d(torgb(y, res), 2 ** lod), *cases)
        images_out = grow(combo_in, res=2, lod=resolution_log2 - 2)

    images_out = to_nchw(images_out)
    assert images_out.dtype.name == dtype
    return tf.identity(images_out, name="images_out")

# ----------------------------------------------------------------------------


@register_architecture
def D_paper(
    images_in,                          # [minibatch, channel, height, width]
    labels_in,                          # [minibatch, label_size]; cast but not used
    num_channels        = 1,
    resolution          = 32,
    label_size          = 0,
    fmap_base           = 8192,
    fmap_decay          = 1.0,
    fmap_max            = 512,
    use_wscale          = True,
    mbstd_group_size    = 4,            # <= 1 disables the minibatch stddev layer
    dtype               = "float32",
    fused_scale         = True,         # fused conv + downscale in every block
    structure           = None,
    is_template_graph   = False,
    **_kwargs):
    """The ProGAN discriminator: FromRGB, conv blocks down to 4x4, minibatch stddev, two dense layers."""
    check_count("num_channels", num_channels, 1)
    check_count("label_size", label_size, 0)
    resolution_log2 = resolution_log2_of(resolution)
    nf = feature_maps(fmap_base, fmap_decay, fmap_max)
    structure = _structure(structure, is_template_graph)
    act = leaky_relu

    def conv_layer(x, fmaps, kernel, conv=conv2d):
        return act(apply_bias(conv(x, fmaps=fmaps, kernel=kernel, use_wscale=use_wscale)))

    images_in.set_shape((None, num_channels, resolution, resolution))
    labels_in.set_shape([None, label_size])
    images_in = to_nhwc(tf.cast(images_in, dtype))
    labels_in = tf.cast(labels_in, dtype)
    lod_in = tf.cast(tf.get_variable("lod", initializer=np.float32(0.0), trainable=False), dtype)

    def fromrgb(x, res):  # res = 2..resolution_log2
        with tf.variable_scope("FromRGB_lod%d" % (resolution_log2 - res)):
            return conv_layer(x, nf(res - 1), 1)

    def block(x, res):  # res = 2..resolution_log2
        with tf.variable_scope("%dx%d" % (2 ** res, 2 ** res)):
            if res >= 3:
                with tf.variable_scope("Conv0"):
                    x = conv_layer(x, nf(res - 1), 3)
                if fused_scale:
                    with tf.variable_scope("Conv1_down"):
                        return conv_layer(x, nf(res - 2), 3, conv=lambda x, **kw: conv2d_downscale2d(x, fused_scale=True, **kw))
                with tf.variable_scope("Conv1"):
                    x = conv_layer(x, nf(res - 2), 3)
                return downscale2d(x)
            if mbstd_group_size > 1:
                x = minibatch_stddev_layer(x, group_size=mbstd_group_size)
            with tf.variable_scope("Conv"):
                x = conv_layer(x, nf(res - 1), 3)
            with tf.variable_scope("Dense0"):
                x = act(apply_bias(dense(x, fmaps=nf(res - 2), use_wscale=use_wscale)))
            with tf.variable_scope("Dense1"):
                return apply_bias(dense(x, fmaps=1, gain=1, use_wscale=use_wscale))

    scores_out = discriminator_structure(structure, images_in, lod_in, resolution_log2, fromrgb, block, downscale2d, _lerp, _lerp_clip)

    assert scores_out.dtype.name == dtype
    return tf.identity(scores_out, name="scores_out")
