"""StyleGAN networks: G_style (= G_mapping + G_synthesis) and D_basic.

Public tensors are NCHW as in the original; inside, everything computes in
NHWC (TensorFlow's CPU kernels refuse NCHW convolutions), converting once at
each network's boundary. Variable names, shapes and initialisers are the
original's, so official weights load 1:1.
"""

import contextlib
import re

import numpy as np
import tensorflow.compat.v1 as tf

import dnnlib
import dnnlib.tflib as tflib
from dnnlib.tflib.network import register_architecture, register_layer_display

# ----------------------------------------------------------------------------
# Layout: NCHW outside, NHWC inside, converted once at each network boundary.

NCHW_TO_NHWC = [0, 2, 3, 1]
NHWC_TO_NCHW = [0, 3, 1, 2]
LAYOUT_SCOPES = ("ToNHWC", "ToNCHW")  # name scopes of the boundary transposes: plumbing, not layers


def to_nhwc(x):
    """Layout conversion at a network's input boundary."""
    with tf.name_scope(LAYOUT_SCOPES[0]):
        return tf.transpose(x, NCHW_TO_NHWC)


def to_nchw(x):
    """Layout conversion at a network's output boundary."""
    with tf.name_scope(LAYOUT_SCOPES[1]):
        return tf.transpose(x, NHWC_TO_NCHW)


def public_shape(tensor):
    """The shape print_layers reports, as the original does: 4-D activations computed in NHWC are shown in NCHW."""
    if tensor.shape.ndims == 4 and _computed_in_nhwc(tensor):
        return tf.TensorShape([tensor.shape[i] for i in NHWC_TO_NCHW])
    return tensor.shape


def _computed_in_nhwc(tensor):
    """Follow first inputs back to the nearest boundary transpose: to NHWC means NHWC; to NCHW or a source means NCHW."""
    op = tensor.op
    for _ in range(10000):
        if op.type == "Transpose" and op.inputs[1].op.type == "Const":
            perm = list(tf.make_ndarray(op.inputs[1].op.get_attr("value")))
            if perm in (NCHW_TO_NHWC, NHWC_TO_NCHW):
                return perm == NCHW_TO_NHWC
        if not op.inputs:
            return False
        op = op.inputs[0].op
    return False


register_layer_display(hidden_scopes=LAYOUT_SCOPES, public_shape=public_shape)

# ----------------------------------------------------------------------------
# Resampling kernels (NHWC), without scopes or custom gradients.


def _static_hwc(x):
    """(H, W, C) of an NHWC tensor; the ops below need them known when the graph is built."""
    assert x.shape.ndims == 4, "expected an NHWC tensor"
    dims = [d.value for d in x.shape[1:]]
    assert None not in dims, "H, W and C must be static"
    return dims


MAX_BLUR_TAPS = 16


def _blur2d(x, f=[1, 2, 1], normalize=True, flip=False, stride=1):
    """Depthwise FIR filter with SAME zero padding; computes in float32."""
    _static_hwc(x)
    assert int(stride) == stride and stride > 0
    taps = max([len(f)] + [len(row) for row in f if hasattr(row, "__len__")])
    if taps > MAX_BLUR_TAPS:  # settings may come from a pickle: checked before the filter becomes a graph constant
        raise ValueError("blur_filter has %d taps; at most %d are taken" % (taps, MAX_BLUR_TAPS))
    kernel = np.array(f, dtype=np.float32)
    if kernel.ndim == 1:
        kernel = kernel[:, np.newaxis] * kernel[np.newaxis, :]
    assert kernel.ndim == 2
    if normalize:
        kernel /= np.sum(kernel)
    if not np.all(np.isfinite(kernel)):  # settings may come from a pickle: never a filter that turns images into NaN
        raise ValueError("blur_filter %s gives a non-finite float32 filter" % (list(np.ravel(f)),))
    if flip:
        kernel = kernel[::-1, ::-1]
    channels = int(x.shape[3])
    kernel = np.tile(kernel[:, :, np.newaxis, np.newaxis], [1, 1, channels, 1])

    orig_dtype = x.dtype
    y = tf.nn.depthwise_conv2d(tf.cast(x, tf.float32), tf.constant(kernel, name="filter"), strides=[1, stride, stride, 1], padding="SAME")
    return tf.cast(y, orig_dtype)


def nearest_upscale2d(x, factor=2, gain=1):
    """Nearest-neighbour upsampling: each pixel becomes a factor x factor block."""
    _static_hwc(x)
    assert int(factor) == factor and factor > 0
    if gain != 1:
        x *= gain
    if factor == 1:
        return x
    h, w, c = [int(d) for d in x.shape[1:]]
    # Copies along new axes are broadcast_to here and below, not tile: tile's gradient transposes an int32 tensor,
    # for which oneDNN prints an error line on CPUs without AVX-512.
    x = tf.broadcast_to(tf.reshape(x, [-1, h, 1, w, 1, c]), [tf.shape(x)[0], h, factor, w, factor, c])
    return tf.reshape(x, [-1, h * factor, w * factor, c])


def _downscale2d(x, factor=2, gain=1):
    """Box downsampling (times gain); the 2x float32 case runs as a 2x2 stride-2 filter."""
    _static_hwc(x)
    assert int(factor) == factor and factor > 0
    if x.dtype == tf.float32 and factor == 2:
        tap = np.sqrt(gain) / factor
        return _blur2d(x, f=[tap, tap], normalize=False, stride=factor)
    if gain != 1:
        x *= gain
    if factor == 1:
        return x
    window = [1, factor, factor, 1]
    return tf.nn.avg_pool(x, ksize=window, strides=window, padding="VALID")

# ----------------------------------------------------------------------------
# The same with scopes and custom first and second order gradients (R1 differentiates D twice).


def _with_custom_grads(forward, backward, backward_of_backward):
    """Op = forward(x); d/dx = backward(dy); second order = backward_of_backward(ddx)."""
    @tf.custom_gradient
    def op(x):
        y = forward(x)

        @tf.custom_gradient
        def grad(dy):
            return backward(dy), backward_of_backward
        return y, grad
    return op


def blur2d(x, f=[1, 2, 1], normalize=True):
    with tf.variable_scope("Blur2D"):
        return _with_custom_grads(
            lambda v: _blur2d(v, f, normalize),
            lambda dy: _blur2d(dy, f, normalize, flip=True),
            lambda ddx: _blur2d(ddx, f, normalize))(x)


def blur_with(blur_filter):
    """The blur a layer applies before downsampling / after upsampling: blur2d with blur_filter, or none."""
    return (lambda x: blur2d(x, blur_filter)) if blur_filter else (lambda x: x)


def upscale2d(x, factor=2):
    with tf.variable_scope("Upscale2D"):
        return _with_custom_grads(
            lambda v: nearest_upscale2d(v, factor),
            lambda dy: _downscale2d(dy, factor, gain=factor ** 2),
            lambda ddx: nearest_upscale2d(ddx, factor))(x)


def downscale2d(x, factor=2):
    with tf.variable_scope("Downscale2D"):
        return _with_custom_grads(
            lambda v: _downscale2d(v, factor),
            lambda dy: nearest_upscale2d(dy, factor, gain=1 / factor ** 2),
            lambda ddx: _downscale2d(ddx, factor))(x)

# ----------------------------------------------------------------------------
# Layers. Activations are NHWC; weights are stored in the original's layouts.


def weight_and_coef(shape, gain=2 ** 0.5, use_wscale=False, lrmul=1):
    """(variable 'weight' with He init, the constant it is multiplied by at runtime): with use_wscale the He constant
    is applied at runtime (equalized learning rate)."""
    fan_in = np.prod(shape[:-1])
    he_std = gain / np.sqrt(fan_in)
    if use_wscale:
        init_std, runtime_coef = 1.0 / lrmul, he_std * lrmul
    else:
        init_std, runtime_coef = he_std / lrmul, lrmul
    return tf.get_variable("weight", shape=shape, initializer=tf.initializers.random_normal(0, init_std)), runtime_coef


def get_weight(shape, gain=2 ** 0.5, use_wscale=False, lrmul=1):
    """The layer's weight as used: the variable times its runtime constant."""
    weight, runtime_coef = weight_and_coef(shape, gain, use_wscale, lrmul)
    return weight * runtime_coef


def _flatten_nchw(x):
    """[N, features] in NCHW order (flat index c*H*W + h*W + w), as the original's weights expect."""
    if x.shape.ndims == 4:
        x = tf.transpose(x, NHWC_TO_NCHW)
    if x.shape.ndims > 2:
        x = tf.reshape(x, [-1, int(np.prod(x.shape.as_list()[1:]))])
    return x


def dense(x, fmaps, **kwargs):
    """x times the layer's weight; the runtime constant scales the [N, fmaps] product rather than the usually far
    larger [in, fmaps] weight (the same products: a 4% pass of generation at 256x256, minibatch 1)."""
    x = _flatten_nchw(x)
    in_features = x.shape.as_list()[1]
    w, coef = weight_and_coef([in_features, fmaps], **kwargs)
    y = tf.matmul(x, tf.cast(w, x.dtype))
    return y if coef == 1 else y * tf.constant(coef, y.dtype)


def conv2d(x, fmaps, kernel, split_single_images=False, single_image_xla=False, winograd=False, **kwargs):
    """A 'SAME' convolution with the layer's weight. Where it is faster here, it runs by other kernels: a 3x3 one by
    Winograd's algorithm with winograd (_winograd_is_faster); a minibatch of one as row strips with
    split_single_images (_strips_are_faster), by XLA's with single_image_xla (_xla_convs_are_faster). The
    synthesis's layers ask for them in generation graphs, not the discriminators', whose convolution oneDNN fuses
    with the bias and activation that follow."""
    assert kernel >= 1 and kernel % 2 == 1
    w = tf.cast(get_weight([kernel, kernel, x.shape[3].value, fmaps], **kwargs), x.dtype)
    if winograd and kernel == 3 and _winograd_is_faster(x, fmaps):
        return _conv_with_plain_gradient(x, w, "SAME", _conv3x3_winograd)
    if split_single_images and kernel == 3 and _strips_are_faster(x):
        return _conv_with_single_image_kernel(x, w, "SAME", _conv3x3_in_strips)
    if single_image_xla and _xla_convs_are_faster(x):
        return _conv_with_single_image_kernel(x, w, "SAME", _conv_in_xla)
    return tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME")


_STRIPS_FROM = 64  # image height from which a single image's 3x3 convolutions run in strips (32x32 gains nothing)
_XLA_CONV_SIZES = (16, 32)  # input heights at which a single image's convolutions run faster by XLA's kernels


def _strip_count(height):
    """2 strips up to 512 rows, 4 at 1024 (bench_generate: the 16-channel 1024x1024 convolution gains most with 4)."""
    return max(2, height // 256)


def _runs_on_onednn_avx2():
    """Whether the networks run on oneDNN's AVX2 kernels: a CPU with AVX2 and no AVX-512, oneDNN on, no GPU. The
    formulations chosen from this were measured faster there (2-vCPU Zen 3) and slower or no faster on AVX-512
    (2-vCPU Zen 5). Read from the CPU's flags: a cap on oneDNN's instruction set (ONEDNN_MAX_CPU_ISA) is not seen."""
    flags = tflib.cpu_flags()
    return "avx2" in flags and "avx512f" not in flags and tflib.onednn_enabled() and not tflib.gpu_available()


def _single_image_convs_are_slow(x):
    """Whether x may be one image that oneDNN's AVX2 float32 convolutions serve badly. They take up to 4x longer for
    one image than per image for two (128x128, 128 channels: 190 against 50 ms); its AVX-512 ones, cuDNN and
    TensorFlow's own kernels (which run float16 and bfloat16 on AVX2) were not seen to."""
    return x.shape[0].value in (None, 1) and x.dtype == tf.float32 and _runs_on_onednn_avx2()


def _strips_are_faster(x):
    """Whether one image's 3x3 convolution is faster as row strips stacked in the batch (_conv3x3_in_strips)."""
    height, width = x.shape[1].value, x.shape[2].value
    return (width is not None and height is not None and height >= _STRIPS_FROM and height % _strip_count(height) == 0
            and _single_image_convs_are_slow(x))


def _xla_convs_are_faster(x):
    """Whether one image's convolutions of x (3x3, or an upsampling's 2x2 phases) are faster by XLA's (Eigen's)
    kernels: at 16x16 and 32x32 inputs (2-vCPU Zen 3, 512 channels: 15 against 21 ms at 16x16, 47 against 57 at
    32x32, the four phases at 16x16 28 against 41 ms; as fast or faster with 64-256 channels). At 8x8 and below
    oneDNN's are faster, from 64x64 the strips, and for several images oneDNN's."""
    return x.shape[1].value in _XLA_CONV_SIZES and _single_image_convs_are_slow(x)


def _conv_with_plain_gradient(x, w, padding, forward):
    """forward(x, w): tf.nn.conv2d(x, w) with stride 1 and padding, computed another way; its gradient is the plain
    convolution's, so a backward pass runs neither that way nor any branch of it."""
    strides = [1, 1, 1, 1]

    @tf.custom_gradient
    def conv(x, w):
        def grad(dy):
            return (tf.nn.conv2d_backprop_input(tf.shape(x), w, dy, strides=strides, padding=padding),
                    tf.nn.conv2d_backprop_filter(x, tf.shape(w), dy, strides=strides, padding=padding))
        return forward(x, w), grad
    return conv(x, w)


def _conv_with_single_image_kernel(x, w, padding, single_image_conv):
    """tf.nn.conv2d(x, w) with stride 1 and padding; for a single image (decided at run time unless the shape says),
    single_image_conv(x, w, padding): the same sums by kernels faster here for one image."""
    def forward(x, w):
        def plain():
            return tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding=padding)

        def single():
            return single_image_conv(x, w, padding)
        one_image = x.shape[0].value == 1
        return single() if one_image else tf.cond(tf.equal(tf.shape(x)[0], 1), single, plain)
    return _conv_with_plain_gradient(x, w, padding, forward)


def _conv_in_xla(x, w, padding):
    with _xla_scope(True):
        return tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding=padding)


def _conv3x3_in_strips(x, w, padding):
    """The 'SAME' 3x3 convolution of one image as that of horizontal strips, each with its neighbours' edge rows,
    side by side in the batch: the same sums at the batched kernels' speed."""
    assert padding == "SAME"
    _, height, width, channels = [d.value for d in x.shape]
    strips = _strip_count(height)
    rows = height // strips
    image = tf.reshape(x, [height, width, channels])  # slices of its first axis share x's buffer
    zero_row = tf.zeros([1, width, channels], x.dtype)
    pieces = [zero_row]
    for i in range(strips):  # rows i*rows-1 .. (i+1)*rows, zeros beyond the image: one copy in all
        pieces.append(image[max(i * rows - 1, 0):min((i + 1) * rows + 1, height)])
    pieces.append(zero_row)
    stacked = tf.reshape(tf.concat(pieces, axis=0), [strips, rows + 2, width, channels])
    y = tf.nn.conv2d(stacked, w, strides=[1, 1, 1, 1], padding=[[0, 0], [0, 0], [1, 1], [0, 0]])
    return tf.reshape(y, [1, height, width, y.shape[3].value])


# Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray, 2016): a 3x3 'SAME' convolution as 16 matrix products
# over overlapping 4x4 input tiles, one tile per 2x2 outputs, i.e. 4 multiply-adds per output and input channel
# where the direct sum takes 9. The tile and output transforms only add and subtract (the kernel's also halves).
_WINOGRAD_TILE = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], np.float32)  # B^T
_WINOGRAD_KERNEL = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], np.float32)  # G
_WINOGRAD_OUTPUT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], np.float32)                              # A^T
WINOGRAD_SCOPE = "Winograd"  # bench/flops.py counts its products as the direct convolution's work
WINOGRAD_SAVING = 9 / 4      # direct multiply-adds per Winograd one
_WINOGRAD_MIN_SIZE = 32      # smaller maps have too few tiles to repay the kernel's transform, made at every run
_WINOGRAD_MIN_CHANNELS = 256  # with fewer, a layer is bound by memory: the 4x larger tiles cost more than they save


def _winograd_is_faster(x, fmaps):
    """Whether x's 3x3 convolution to fmaps channels is faster by _conv3x3_winograd: float32 on oneDNN's CPU kernels,
    at least 32x32 and 256 channels in and out (2-vCPU Zen 5, AVX-512; the official layout's 32x32 and 64x64 layers:
    1.22x and 1.32x for one image, 1.36x and 1.07x for eight; 16x16 0.92x, 128x128 with 128 channels 0.69x). With
    oneDNN capped at AVX2 on that CPU it beat the strips and single-image XLA convolutions too (one image: 64x64
    16 against 42 ms, 32x32 18 against 26), hence before them; a real AVX2 CPU was not measured. cuDNN has its
    own Winograd kernels."""
    height, width, channels = x.shape[1].value, x.shape[2].value, x.shape[3].value
    even = height is not None and width is not None and height % 2 == 0 and width % 2 == 0
    return (even and min(height, width) >= _WINOGRAD_MIN_SIZE and min(channels, fmaps) >= _WINOGRAD_MIN_CHANNELS
            and x.dtype == tf.float32 and tflib.onednn_enabled() and not tflib.gpu_available())


def _combine(signs, terms):
    """sum_i signs[i] * terms[i] for signs of 1, -1 or 0 (Winograd's tile and output transforms): adds only."""
    total = None
    for sign, term in zip(signs, terms):
        assert sign in (-1, 0, 1)
        if sign:
            term = term if sign == 1 else -term
            total = term if total is None else total + term
    return total


def _conv3x3_winograd(x, w):
    """The 'SAME' 3x3 convolution of x (even height and width) with w by Winograd's F(2x2, 3x3): the tiles' and
    outputs' transforms as XLA loops, the products as one batched matmul of oneDNN. Closer to float64's sums than
    the direct convolution (512 channels at 32x32: max error 4e-6 against 1.3e-5)."""
    _, height, width, channels = [d.value for d in x.shape]
    assert height % 2 == 0 and width % 2 == 0, "Winograd's 2x2 output tiles need an even height and width"
    fmaps = w.shape[3].value
    tiles_down, tiles_across = height // 2, width // 2
    with tf.name_scope(WINOGRAD_SCOPE):
        kernels = _mix_taps(w, np.einsum("pi,qj->pqij", _WINOGRAD_KERNEL, _WINOGRAD_KERNEL), [16, 1])  # [16, 1, in, out]
        with _xla_scope(True):
            padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
            rows = [padded[:, i:i + height:2] for i in range(4)]  # row i of every tile: [N, H/2, W+2, C]
            tiles = []
            for row in (_combine(signs, rows) for signs in _WINOGRAD_TILE):
                columns = [row[:, :, j:j + width:2] for j in range(4)]
                tiles += [_combine(signs, columns) for signs in _WINOGRAD_TILE]
            tiles = tf.reshape(tf.stack(tiles), [16, -1, tiles_down * tiles_across, channels])
        products = tf.matmul(tiles, kernels)  # [16, N, tiles, out]
        with _xla_scope(True):
            products = tf.unstack(tf.reshape(products, [4, 4, -1, tiles_down, tiles_across, fmaps]))
            output_rows = []
            for row in (_combine(signs, products) for signs in _WINOGRAD_OUTPUT):  # [4, N, H/2, W/2, out]
                columns = tf.unstack(row)
                output_rows.append(tf.stack([_combine(signs, columns) for signs in _WINOGRAD_OUTPUT], axis=3))
            return tf.reshape(tf.stack(output_rows, axis=2), [-1, height, width, fmaps])


def get_bias(channels, dtype, lrmul=1):
    """The layer's learned bias (variable 'bias', zeros at first) times lrmul, in dtype."""
    return tf.cast(tf.get_variable("bias", shape=[channels], initializer=tf.initializers.zeros()) * lrmul, dtype)


def apply_bias(x, lrmul=1):
    """x + a learned per-channel bias (the last axis), as a BiasAdd, which oneDNN can fuse into a preceding convolution."""
    return tf.nn.bias_add(x, get_bias(x.shape[-1].value, x.dtype, lrmul))


def _pad_and_add(w):
    """(k+1)x(k+1) kernel W'[i,j] = W[i,j] + W[i-1,j] + W[i,j-1] + W[i-1,j-1] (zero outside)."""
    w = tf.pad(w, [[1, 1], [1, 1], [0, 0], [0, 0]], mode="CONSTANT")
    return tf.add_n([w[1:, 1:], w[:-1, 1:], w[1:, :-1], w[:-1, :-1]])


# Resampling convolutions with a 3x3 kernel w. Their kernels are fixed linear mixes of w's taps; each
# mix is one constant matrix times w (one matmul, and one in the gradient) rather than slices and
# sums, whose gradients would each write a weight-sized tensor at every training step.
# Row mixes for output row 2m+dy of a 2x upsampling, from input rows (m-1, m) for dy=0 and (m, m+1) for dy=1:
_UP_ROWS_UNFUSED = [[[1, 0, 0], [0, 1, 1]], [[1, 1, 0], [0, 0, 1]]]  # nearest upsampling then the 3x3 conv
_UP_ROWS_FUSED = [[[0, 0, 1], [1, 1, 0]], [[0, 1, 1], [1, 0, 0]]]    # transposed conv with the pad-and-add 4x4 kernel
_DOWN_ROWS = [[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]]            # pad-and-add: the 3x3 conv then a 2x2 box filter


def _mix_taps(w, mix, shape):
    """sum_ij mix[..., i, j] w[i, j] for a [3,3,in,out] kernel w and a constant mix [..., 3, 3]: shape + [in, out].
    A runtime weight constant multiplied into mix costs nothing here, where it would cost a pass over w."""
    mix = np.asarray(mix, np.float32).reshape(-1, 9)
    cin, cout = w.shape[2].value, w.shape[3].value
    mixed = tf.matmul(tf.constant(mix, dtype=w.dtype), tf.reshape(w, [9, cin * cout]))
    return tf.reshape(mixed, list(shape) + [cin, cout])


_TRANSPOSED_FROM = 64  # output size from which one transposed convolution beats the phase convolutions (oneDNN; bench_generate)


def _transposed_is_faster(output_size):
    """Whether one transposed convolution beats four phase convolutions here. oneDNN's and cuDNN's do from 64x64
    outputs up (oneDNN: 12 against 21 ms at 1024x1024); TensorFlow's own CPU kernel, which runs where oneDNN is off
    (by default on CPUs with only AVX2), takes twice as long as the phases at every size."""
    return output_size >= _TRANSPOSED_FROM and (tflib.onednn_enabled() or tflib.gpu_available())


def _upscale_conv_2x(x, w, rows, coef, transposed=None, single_image_xla=False):
    """2x upsampling with the 3x3 kernel coef*w whose taps output row 2m+dy takes from input rows m-1+dy+a (a = 0, 1)
    are rows[dy][a].

    transposed=True: one stride-2 transposed convolution, whose 4x4 kernel holds those mixes at rows 3-dy-2a (and
    the same for columns), mixed from w with in and out swapped as the transposed convolution takes them (the 3x3
    kernel is the smaller one to transpose). False: four phase convolutions. None: whichever is faster here.
    """
    if transposed is None:
        transposed = _transposed_is_faster(x.shape[1].value * 2)
    if not transposed:
        return _upscale_conv_2x_phases(x, w, rows, coef, single_image_xla and _xla_convs_are_faster(x))
    rows = np.asarray(rows, np.float32)
    kernel_rows = np.zeros([4, 3], np.float32)
    for dy in (0, 1):
        for a in (0, 1):
            kernel_rows[3 - dy - 2 * a] = rows[dy][a]
    kernel = tf.cast(_mix_taps(tf.transpose(w, [0, 1, 3, 2]), np.einsum("pi,qj->pqij", kernel_rows, kernel_rows) * coef, [4, 4]), x.dtype)
    _, h, width, _ = [d.value for d in x.shape]
    out_shape = [tf.shape(x)[0], h * 2, width * 2, w.shape[3].value]
    return tf.nn.conv2d_transpose(x, kernel, out_shape, strides=[1, 2, 2, 1], padding="SAME")


def _upscale_conv_2x_phases(x, w, rows, coef, single_image_xla=False):
    """_upscale_conv_2x as four 2x2 phase convolutions, interleaved by two stacks.

    Output pixel (2m+dy, 2n+dx) sees input rows m-1..m (dy=0) or m..m+1 (dy=1), and the same for columns;
    rows[dy][a] gives the mix of w's three rows for tap a. Each phase convolution pads itself. A quarter of the
    arithmetic of upsample-then-conv (4 of 9 taps per output). single_image_xla: each phase convolution of a single
    image by XLA's kernels.
    """
    _, h, width, _ = [d.value for d in x.shape]
    fmaps = w.shape[3].value
    rows = np.asarray(rows, np.float32)  # [dy, a, i]
    mix = np.einsum("yai,xbj->yxabij", rows, rows)
    kernels = tf.unstack(tf.cast(_mix_taps(w, mix * coef, [4, 2, 2]), x.dtype), axis=0)  # phases in (dy, dx) order
    pads = {0: [1, 0], 1: [0, 1]}

    def phase(dy, dx):
        padding = [[0, 0], pads[dy], pads[dx], [0, 0]]
        if single_image_xla:
            return _conv_with_single_image_kernel(x, kernels[dy * 2 + dx], padding, _conv_in_xla)
        return tf.nn.conv2d(x, kernels[dy * 2 + dx], strides=[1, 1, 1, 1], padding=padding)

    out_rows = [tf.reshape(tf.stack([phase(dy, 0), phase(dy, 1)], axis=3), [-1, h, width * 2, fmaps]) for dy in (0, 1)]
    return tf.reshape(tf.stack(out_rows, axis=2), [-1, h * 2, width * 2, fmaps])


def _is_fused(fused_scale, resolution):
    check_choice("fused_scale", fused_scale, [True, False, "auto"])
    return resolution >= 128 if fused_scale == "auto" else fused_scale


def upscale2d_conv2d(x, fmaps, kernel, fused_scale="auto", single_image_xla=False, **kwargs):
    """2x upsample + conv; fused (a transposed conv with the pad-and-add 4x4 kernel) from 128x128 output up.

    Unfused, a 3x3 kernel runs as the same kind of computation (_upscale_conv_2x) with other tap mixes: output
    pixel (2m+dy) sees input rows m-1, m with taps w0, w1+w2 (dy=0) or m, m+1 with w0+w1, w2 (dy=1).
    """
    assert kernel >= 1 and kernel % 2 == 1
    fused = _is_fused(fused_scale, min(x.shape[1].value, x.shape[2].value) * 2)
    if not fused and kernel != 3:
        upsampled = upscale2d(x)  # other kernel sizes: plainly, upsample then convolve
        return conv2d(upsampled, fmaps, kernel, **kwargs)
    assert kernel == 3, "the fused 2x upsampling conv takes a 3x3 kernel"
    w, coef = weight_and_coef([kernel, kernel, x.shape[3].value, fmaps], **kwargs)
    return _upscale_conv_2x(x, w, _UP_ROWS_FUSED if fused else _UP_ROWS_UNFUSED, coef, single_image_xla=single_image_xla)


def conv2d_downscale2d(x, fmaps, kernel, fused_scale="auto", **kwargs):
    """conv + 2x box downsample; fused (stride-2 conv with 0.25 x the pad-and-add kernel) from 128x128 input up.

    For a 3x3 kernel both are the same function; the unfused one also runs as the stride-2 conv.
    """
    assert kernel >= 1 and kernel % 2 == 1
    fused = _is_fused(fused_scale, min(x.shape[1].value, x.shape[2].value))
    if not fused and kernel != 3:
        convolved = conv2d(x, fmaps, kernel, **kwargs)  # other kernel sizes: plainly, convolve then downsample
        return downscale2d(convolved)
    # Fused or not, the same function: a 3x3 conv then a 2x2 box average is this stride-2 4x4 conv (4/9 of the work).
    w, coef = weight_and_coef([kernel, kernel, x.shape[3].value, fmaps], **kwargs)
    if kernel == 3:
        down = np.asarray(_DOWN_ROWS, np.float32)
        w = _mix_taps(w, np.einsum("pi,qj->pqij", down, down) * (0.25 * coef), [4, 4])
    else:
        w = _pad_and_add(w) * (0.25 * coef)
    return tf.nn.conv2d(x, tf.cast(w, x.dtype), strides=[1, 2, 2, 1], padding="SAME")


def leaky_relu(x, alpha=0.2):
    """max(x, alpha*x), with a gradient mask taken from the output (y >= 0) that also serves second order."""
    assert 0 <= alpha <= 1, "the slope below zero is a fraction"
    with tf.variable_scope("LeakyReLU"):
        slope = tf.constant(alpha, dtype=x.dtype, name="alpha")

        @tf.custom_gradient
        def op(v):
            y = tf.nn.leaky_relu(v, alpha)  # = max(v, alpha*v) in one pass (alpha < 1)
            positive = y >= 0

            @tf.custom_gradient
            def grad(dy):
                def masked(t):
                    return tf.where(positive, t, t * slope)
                return masked(dy), masked
            return y, grad
        return op(x)


def pixel_norm(x, epsilon=1e-8):
    """Normalize each feature vector (the channel axis, last in NHWC) to unit RMS."""
    if not epsilon > 0:  # a setting that may come from a pickle: 0 or less turns zero vectors into NaN
        raise ValueError("the pixel norm's epsilon must be above 0, not %r" % (epsilon,))
    with tf.variable_scope("PixelNorm"):
        epsilon = tf.constant(epsilon, dtype=x.dtype, name="epsilon")
        return x * tf.rsqrt(tf.reduce_mean(tf.square(x), axis=-1, keepdims=True) + epsilon)


SPATIAL_MEAN_SCOPE = "SpatialMean"  # reductions written as matmuls: bench/flops.py does not count them as the network's work


def built_in_scope(op, scope):
    """Whether op was built in a name scope `scope`, which TensorFlow numbers (scope_1, ...) where it recurs."""
    return any(re.fullmatch(re.escape(scope) + r"(_\d+)?", part) for part in op.name.split("/")[:-1])


def _spatial_mean(x):
    """Mean over H and W of an NHWC float32 tensor ([N,1,1,C]) as two batched matmuls with a constant row of 1/size:
    over rows, then over columns. oneDNN's AVX2 matmuls read the tensor once on every core, where TensorFlow's Mean
    took 2-4x longer from 256x256 up (2-vCPU Zen 3, minibatch 8, 1024x1024 with 16 channels: 40 against 92 ms);
    and two levels of 1024-long sums are more accurate than one reduction (max error against float64 5e-6 vs 4e-5).
    oneDNN's AVX-512 matmuls are the slower ones (2-vCPU Zen 5, the same mean: 40 against 29 ms; one image 5.8
    against 3.0), hence only on those (_runs_on_onednn_avx2)."""
    _, height, width, channels = [d.value for d in x.shape]
    with tf.name_scope(SPATIAL_MEAN_SCOPE):
        row_means = tf.matmul(tf.fill([1, 1, height], 1.0 / height), tf.reshape(x, [-1, height, width * channels]))
        means = tf.matmul(tf.fill([1, 1, width], 1.0 / width), tf.reshape(row_means, [-1, width, channels]))
        return tf.reshape(means, [-1, 1, 1, channels])


def instance_norm(x, epsilon=1e-8, gain=None, shift=None, xla=False):
    """Per-sample, per-channel normalization over H and W, in float32; then times gain and plus shift ([N,1,1,C]) when
    given, in the same pass. With xla (generation graphs), each full-size elementwise step is one XLA loop; the two
    means over H and W stay outside (XLA's CPU reductions to N*C values are several times slower), as matmuls
    (_spatial_mean) where those are faster."""
    assert x.shape.ndims == 4
    with tf.variable_scope("InstanceNorm"):
        orig_dtype = x.dtype
        x = tf.cast(x, tf.float32)
        spatial_mean = _spatial_mean if xla and _runs_on_onednn_avx2() else lambda t: tf.reduce_mean(t, axis=[1, 2], keepdims=True)
        mean = spatial_mean(x)
        with _xla_scope(xla):
            squares = tf.square(x - mean)
        epsilon = tf.constant(epsilon, dtype=x.dtype, name="epsilon")
        factor = tf.rsqrt(spatial_mean(squares) + epsilon)
        if gain is not None:
            factor *= tf.cast(gain, tf.float32)
        with _xla_scope(xla):
            x = (x - mean) * factor
            if shift is not None:
                x += tf.cast(shift, tf.float32)
            return tf.cast(x, orig_dtype)


def style_scale_and_shift(x, dlatent, **kwargs):
    """AdaIN's (scale + 1, shift) [N,1,1,C] for x: a learned affine map of the dlatent."""
    with tf.variable_scope("StyleMod"):
        channels = x.shape[-1].value
        style = apply_bias(dense(dlatent, fmaps=channels * 2, gain=1, **kwargs))
        style = tf.reshape(tf.cast(style, x.dtype), [-1, 1, 1, 2, channels])
        return style[:, :, :, 0] + 1, style[:, :, :, 1]


def style_mod(x, dlatent, xla=False, **kwargs):
    """AdaIN style: x * (scale + 1) + shift; with xla, that one pass as an XLA loop."""
    scale, shift = style_scale_and_shift(x, dlatent, **kwargs)
    with _xla_scope(xla):
        return x * scale + shift


def noise_image_and_weight(x,
                           noise_var=None,
                           randomize_noise=True):
    """(the single-channel noise image a layer adds to x [N or 1, H, W, 1], its learned per-channel scale [C]).
    Fresh noise is drawn by TensorFlow's kernel, outside any XLA loop, so xla=True and False add the same noise."""
    assert x.shape.ndims == 4
    with tf.variable_scope("Noise"):
        fresh = randomize_noise or noise_var is None
        if fresh:
            noise = tf.random_normal([tf.shape(x)[0], x.shape[1], x.shape[2], 1], dtype=x.dtype)
        else:
            noise = tf.reshape(tf.cast(noise_var, x.dtype), [1, x.shape[1].value, x.shape[2].value, 1])  # [1,1,H,W] -> [1,H,W,1]
        weight = tf.get_variable("weight", shape=[x.shape[3].value], initializer=tf.initializers.zeros())
        return noise, tf.cast(weight, x.dtype)


def minibatch_stddev_layer(x,
                           group_size=4,
                           num_new_features=1):
    """Append the stddev across groups of samples (sample i in group i mod N/G) as extra feature maps."""
    with tf.variable_scope("MinibatchStddev"):
        groups = tf.minimum(tf.shape(x)[0], group_size)
        h, w, c = _static_hwc(x)
        n = num_new_features
        grouped = tf.cast(tf.reshape(x, [groups, -1, h, w, n, c // n]), tf.float32)  # sample g*M + m -> [g, m]
        centered = grouped - tf.reduce_mean(grouped, axis=0, keepdims=True)
        std = tf.sqrt(tf.reduce_mean(centered * centered, axis=0) + 1e-8)   # biased variance over the group
        per_group = tf.cast(tf.reduce_mean(std, axis=[1, 2, 4]), x.dtype)    # [M, n]
        per_group = tf.reshape(per_group, [1, -1, 1, 1, n])
        extra = tf.reshape(tf.broadcast_to(per_group, [groups, tf.shape(per_group)[1], h, w, n]), [-1, h, w, n])
        return tf.concat([x, extra], axis=3)

# ----------------------------------------------------------------------------
# Shared by the networks.


def feature_maps(fmap_base, fmap_decay, fmap_max):
    return lambda stage: min(int(fmap_base / (2.0 ** (stage * fmap_decay))), fmap_max)


def _activation(nonlinearity):
    """(function, gain) for 'relu' or 'lrelu'."""
    check_choice("nonlinearity", nonlinearity, ["relu", "lrelu"])
    return {"relu": (tf.nn.relu, np.sqrt(2)), "lrelu": (leaky_relu, np.sqrt(2))}[nonlinearity]


MAX_RESOLUTION = 4096  # bounds what a (possibly hostile) pickle can make us build; the official networks stop at 1024


def resolution_log2_of(resolution):
    """log2 of a network resolution, which must be a power of two from 4 to MAX_RESOLUTION."""
    valid = isinstance(resolution, (int, np.integer)) and 4 <= resolution <= MAX_RESOLUTION and resolution & (resolution - 1) == 0
    if not valid:
        raise ValueError("resolution must be a power of two from 4 to %d, not %r" % (MAX_RESOLUTION, resolution))
    return int(resolution).bit_length() - 1


def check_choice(name, value, choices):
    """A clear error for a setting outside its choices (settings may come from a pickle or a config)."""
    if value not in choices:
        raise ValueError("%s must be one of %s, not %r" % (name, ", ".join(repr(c) for c in choices), value))


def check_count(name, value, least):
    """A clear error for a count setting (channels, label width) that is no whole number of at least `least`:
    True or None would build a network whose run fails (settings may come from a pickle)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)) or value < least:
        raise ValueError("%s must be a whole number of at least %d, not %r" % (name, least, value))


def lazy_select(default, *cases):
    """Evaluate only the chosen branch: the first (condition, make) whose condition holds, else default()."""
    result = default
    for condition, make in reversed(cases):
        result = (lambda c, m, r: lambda: tf.cond(c, m, r))(condition, make, result)
    return result()


def _xla_scope(enabled):
    """Ops built inside are compiled by XLA (fused into few loops) when enabled."""
    return tf.xla.experimental.jit_scope(compile_ops=True, separate_compiled_gradients=True) if enabled else contextlib.nullcontext()


def _is_plain_number(value):
    return not tflib.is_tf_expression(value)

def discriminator_structure(structure, images_in, lod_in, resolution_log2, fromrgb, block, downscale, lerp, lerp_clip):
    """D's resolution handling, shared by D_basic and D_paper, given their layer functions.

    'fixed': full resolution only. 'linear' (template graphs): every block and
    FromRGB, blended with lerp_clip. 'recursive': only the blocks lod_in needs,
    chosen with lazy conditionals; testing "deeper" before "fade".
    """
    descending = list(reversed(range(3, resolution_log2 + 1)))  # the blocks from full resolution down to 8x8
    if structure == "fixed":
        x = fromrgb(images_in, resolution_log2)
        for res in descending:
            x = block(x, res)
        return block(x, 2)

    if structure == "linear":
        images = images_in
        x = fromrgb(images, resolution_log2)
        for res in descending:
            lod = resolution_log2 - res
            x = block(x, res)
            images = downscale(images)
            y = fromrgb(images, res - 1)
            with tf.variable_scope("Grow_lod%d" % lod):
                x = lerp_clip(x, y, lod_in - lod)
        return block(x, 2)

    def grow(res, lod):
        def from_images():
            return fromrgb(downscale(images_in, 2 ** lod), res)
        x = lazy_select(from_images, *([(lod_in < lod, lambda: grow(res + 1, lod - 1))] if lod > 0 else []))
        x = block(x, res)
        if res == 2:
            return x
        return lazy_select(lambda: x, (lod_in > lod, lambda: lerp(x, fromrgb(downscale(images_in, 2 ** (lod + 1)), res - 1), lod_in - lod)))
    return grow(res=2, lod=resolution_log2 - 2)

# ----------------------------------------------------------------------------
# G_style.


@register_architecture
def G_style(
    latents_in,                                 # [minibatch, latent_size]
    labels_in,                                  # [minibatch, label_size]
    truncation_psi          = 0.7,              # None disables truncation
    truncation_cutoff       = 8,                # number of leading layers truncated; None disables
    truncation_psi_val      = None,             # psi when is_validation
    truncation_cutoff_val   = None,             # cutoff when is_validation
    dlatent_avg_beta        = 0.995,            # decay of the tracked W average; None disables
    style_mixing_prob       = 0.9,              # probability of mixing styles while training; None disables
    is_training             = False,
    is_validation           = False,
    is_template_graph       = False,            # set by the Network class
    components              = dnnlib.EasyDict(),
    **kwargs):                                  # forwarded to G_mapping and G_synthesis
    """The style-based generator: mapping, W-average tracking, style mixing, truncation, synthesis."""
    assert not (is_training and is_validation), "is_training and is_validation exclude each other"
    assert isinstance(components, dict)
    if is_validation:
        truncation_psi, truncation_cutoff = truncation_psi_val, truncation_cutoff_val
    if is_training or (truncation_psi is not None and _is_plain_number(truncation_psi) and truncation_psi == 1):
        truncation_psi = None
    if is_training or (truncation_cutoff is not None and _is_plain_number(truncation_cutoff) and truncation_cutoff <= 0):
        truncation_cutoff = None
    if not is_training or (dlatent_avg_beta is not None and _is_plain_number(dlatent_avg_beta) and dlatent_avg_beta == 1):
        dlatent_avg_beta = None
    if not is_training or (style_mixing_prob is not None and _is_plain_number(style_mixing_prob) and style_mixing_prob <= 0):
        style_mixing_prob = None

    if "synthesis" not in components:
        components.synthesis = tflib.Network("G_synthesis", func_name=G_synthesis, **kwargs)
    _, num_layers, dlatent_size = components.synthesis.input_shape
    if "mapping" not in components:
        components.mapping = tflib.Network("G_mapping", func_name=G_mapping, dlatent_broadcast=num_layers, **kwargs)

    lod_in = tf.get_variable("lod", initializer=np.float32(0), trainable=False)
    dlatent_avg = tf.get_variable("dlatent_avg", shape=[dlatent_size], initializer=tf.initializers.zeros(), trainable=False)

    mapping = components.mapping
    # [N, num_layers, dlatent_size]; W's average, mixing and truncation in float32 (the variables' type) whatever the networks' dtype
    dlatents = tf.cast(mapping.get_output_for(latents_in, labels_in, **kwargs), tf.float32)

    if dlatent_avg_beta is not None:
        with tf.variable_scope("DlatentAvg"):
            batch_avg = tf.reduce_mean(dlatents[:, 0, :], axis=0)
            update_avg = tf.assign(dlatent_avg, tflib.lerp(batch_avg, dlatent_avg, dlatent_avg_beta))
            with tf.control_dependencies([update_avg]):
                dlatents = tf.identity(dlatents)

    layer_index = np.arange(num_layers)[np.newaxis, :, np.newaxis]
    if style_mixing_prob is not None:
        with tf.name_scope("StyleMix"):
            mixing_latents = tf.random_normal(tf.shape(latents_in))
            mixing_dlatents = tf.cast(mapping.get_output_for(mixing_latents, labels_in, **kwargs), tf.float32)
            cur_layers = num_layers - 2 * tf.cast(lod_in, tf.int32)  # layers in use at the current resolution
            do_mix = tf.random.uniform([], 0.0, 1.0) < style_mixing_prob
            cutoff = tf.cond(do_mix, lambda: tf.random.uniform([], 1, cur_layers, dtype=tf.int32), lambda: cur_layers)
            use_first = tf.broadcast_to(layer_index < cutoff, tf.shape(dlatents))
            dlatents = tf.where(use_first, dlatents, mixing_dlatents)

    if None not in (truncation_psi, truncation_cutoff):
        with tf.variable_scope("Truncation"):
            ones = np.ones(layer_index.shape, dtype=np.float32)
            coefs = tf.where(layer_index < truncation_cutoff, truncation_psi * ones, ones)
            dlatents = dlatent_avg + (dlatents - dlatent_avg) * coefs  # psi on the truncated layers, 1 elsewhere

    synthesis_kwargs = dict(kwargs)
    if is_training:  # a training step is compute-bound: XLA's layer tails gain nothing there (bench_train: -2% at 64x64, -1% at 128x128)
        synthesis_kwargs.setdefault("xla", False)
        synthesis_kwargs.setdefault("single_image_strips", False)  # nor single-image strips: its minibatches are batched
        synthesis_kwargs.setdefault("winograd", False)  # nor Winograd's: measured for generation only
    with tf.control_dependencies([tf.assign(components.synthesis.find_var("lod"), lod_in)]):
        synthesis = components.synthesis
        images_out = synthesis.get_output_for(dlatents, force_clean_graph=is_template_graph, **synthesis_kwargs)
    return tf.identity(images_out, name="images_out")

# ----------------------------------------------------------------------------
# G_mapping: latents (+ labels) -> dlatents.


@register_architecture
def G_mapping(
    latents_in,                                 # [minibatch, latent_size]
    labels_in,                                  # [minibatch, label_size]
    latent_size             = 512,
    label_size              = 0,
    dlatent_size            = 512,
    dlatent_broadcast       = None,             # output [minibatch, dlatent_broadcast, dlatent_size] when set
    mapping_layers          = 8,
    mapping_fmaps           = 512,
    mapping_lrmul           = 0.01,             # learning rate multiplier of the mapping layers
    mapping_nonlinearity    = "lrelu",          # 'relu' or 'lrelu'
    use_wscale              = True,
    normalize_latents       = True,
    dtype                   = "float32",
    **_kwargs):
    """The mapping network: an MLP from Z (and an embedded label) to W."""
    check_count("label_size", label_size, 0)
    act, gain = _activation(mapping_nonlinearity)

    for tensor, width in ((latents_in, latent_size), (labels_in, label_size)):
        tensor.set_shape([None, width])
    x = tf.cast(latents_in, dtype)
    labels_in = tf.cast(labels_in, dtype)

    if label_size:
        with tf.variable_scope("LabelConcat"):
            embedding = tf.get_variable("weight", shape=[label_size, latent_size], initializer=tf.initializers.random_normal())
            x = tf.concat([x, tf.matmul(labels_in, tf.cast(embedding, dtype))], axis=1)

    if normalize_latents:
        x = pixel_norm(x)

    for layer_idx in range(mapping_layers):
        with tf.variable_scope("Dense%d" % layer_idx):
            is_last = layer_idx + 1 == mapping_layers
            x = dense(x, fmaps=(dlatent_size if is_last else mapping_fmaps), gain=gain, use_wscale=use_wscale, lrmul=mapping_lrmul)
            x = act(apply_bias(x, lrmul=mapping_lrmul))

    if dlatent_broadcast is not None:
        if not (isinstance(dlatent_broadcast, (int, np.integer)) and dlatent_broadcast >= 1):
            raise ValueError("dlatent_broadcast must be None or a count of at least 1, not %r" % (dlatent_broadcast,))
        with tf.variable_scope("Broadcast"):
            x = tf.broadcast_to(tf.expand_dims(x, 1), [tf.shape(x)[0], dlatent_broadcast, x.shape[1].value])

    assert x.dtype == tf.as_dtype(dtype)
    return tf.identity(x, name="dlatents_out")

# ----------------------------------------------------------------------------
# G_synthesis: dlatents -> images.


@register_architecture
def G_synthesis(
    dlatents_in,                                # [minibatch, num_layers, dlatent_size]
    dlatent_size        = 512,
    num_channels        = 3,
    resolution          = 1024,
    fmap_base           = 8192,
    fmap_decay          = 1.0,
    fmap_max            = 512,
    use_styles          = True,             # style modulation (AdaIN) after each layer
    const_input_layer   = True,             # learned constant input instead of a dense layer
    use_noise           = True,
    randomize_noise     = True,             # fresh noise each evaluation instead of the noise variables
    nonlinearity        = "lrelu",
    use_wscale          = True,
    use_pixel_norm      = False,
    use_instance_norm   = True,
    dtype               = "float32",
    fused_scale         = "auto",           # True, False or 'auto' (fused from 128x128 up)
    blur_filter         = [1, 2, 1],        # None or [] disables blurring
    structure           = "auto",           # 'fixed', 'linear', 'recursive' or 'auto'
    is_template_graph   = False,
    force_clean_graph   = False,            # no random noise, linear structure (for a readable template graph)
    xla                 = True,             # XLA for each layer's elementwise steps and, where faster, one image's convolutions (off for training)
    single_image_strips = True,             # where faster, a minibatch of one convolves in row strips (off for training)
    winograd            = True,             # where faster, with xla, 3x3 convolutions by Winograd's F(2x2, 3x3) (off for training)
    **_kwargs):
    """The synthesis network: a learned 4x4 constant grown to full resolution, styled per layer."""
    check_count("num_channels", num_channels, 1)
    resolution_log2 = resolution_log2_of(resolution)
    nf = feature_maps(fmap_base, fmap_decay, fmap_max)
    act, gain = _activation(nonlinearity)
    num_layers = resolution_log2 * 2 - 2
    num_styles = 1 if not use_styles else num_layers
    if is_template_graph:
        force_clean_graph = True
    if force_clean_graph:
        randomize_noise = False
    if structure == "auto":
        structure = "linear" if force_clean_graph else "recursive"
    check_choice("structure", structure, ["fixed", "linear", "recursive"])

    blur = blur_with(blur_filter)

    dlatents_in.set_shape((None, num_styles, dlatent_size))
    styles = tf.cast(dlatents_in, dtype)
    lod_in = tf.cast(tf.get_variable("lod", initializer=np.float32(0), trainable=False), dtype)

    noise_inputs = []
    if use_noise:
        for layer_idx in range(num_layers):
            size = 2 ** (layer_idx // 2 + 2)
            noise_inputs.append(tf.get_variable("noise%d" % layer_idx, shape=[1, 1, size, size],
                                                initializer=tf.initializers.random_normal(), trainable=False))

    def epilogue(x, layer_idx):
        """noise -> bias -> activation -> pixel norm -> instance norm -> style; with xla, the full-size elementwise
        steps as few XLA loops (the means over H and W stay outside them)."""
        if use_noise:
            noise, weight = noise_image_and_weight(x, noise_var=noise_inputs[layer_idx], randomize_noise=randomize_noise)
            bias = get_bias(x.shape[3].value, x.dtype)
            if xla:  # one pass over x, in the activation's loop (2-vCPU Zen 3, 1024x1024, 16 channels: 27 against 51 ms)
                with _xla_scope(True):
                    x = act(x + noise * weight + bias)
            else:  # training graphs: the scaling as a 1x1 convolution of the noise image, its bias fused in by oneDNN
                x = act(x + tf.nn.bias_add(tf.nn.conv2d(noise, tf.reshape(weight, [1, 1, 1, -1]), strides=[1, 1, 1, 1], padding="VALID"), bias))
        else:
            with _xla_scope(xla):
                x = act(apply_bias(x))
        if use_pixel_norm:
            x = pixel_norm(x)
        if use_instance_norm and use_styles:  # the style's scale and shift join the normalization's last pass
            scale, shift = style_scale_and_shift(x, styles[:, layer_idx], use_wscale=use_wscale)
            return instance_norm(x, gain=scale, shift=shift, xla=xla)
        if use_instance_norm:
            x = instance_norm(x, xla=xla)
        if use_styles:
            x = style_mod(x, styles[:, layer_idx], xla=xla, use_wscale=use_wscale)
        return x

    with tf.variable_scope("4x4"):
        if const_input_layer:
            with tf.variable_scope("Const"):
                const = tf.get_variable("const", shape=[1, nf(1), 4, 4], initializer=tf.initializers.ones())
                const = tf.transpose(tf.cast(const, dtype), NCHW_TO_NHWC)
                x = epilogue(tf.broadcast_to(const, [tf.shape(styles)[0], 4, 4, nf(1)]), 0)
        else:
            with tf.variable_scope("Dense"):
                x = dense(styles[:, 0], fmaps=nf(1) * 16, gain=gain / 4, use_wscale=use_wscale)
                x = tf.transpose(tf.reshape(x, [-1, nf(1), 4, 4]), NCHW_TO_NHWC)
                x = epilogue(x, 0)
        with tf.variable_scope("Conv"):
            x = epilogue(conv2d(x, fmaps=nf(1), kernel=3, gain=gain, use_wscale=use_wscale), 1)

    def block(res, x):  # res = 3..resolution_log2
        with tf.variable_scope("%dx%d" % (2 ** res, 2 ** res)):
            with tf.variable_scope("Conv0_up"):
                x = upscale2d_conv2d(x, fmaps=nf(res - 1), kernel=3, gain=gain, use_wscale=use_wscale, fused_scale=fused_scale,
                                     single_image_xla=xla)
                x = epilogue(blur(x), res * 2 - 4)
            with tf.variable_scope("Conv1"):
                x = epilogue(conv2d(x, fmaps=nf(res - 1), kernel=3, gain=gain, use_wscale=use_wscale,
                                    split_single_images=single_image_strips, single_image_xla=xla, winograd=winograd and xla),
                             res * 2 - 3)
            return x

    def torgb(res, x):
        lod = resolution_log2 - res
        with tf.variable_scope("ToRGB_lod%d" % lod):
            rgb = conv2d(x, fmaps=num_channels, kernel=1, gain=1, use_wscale=use_wscale)
            return apply_bias(rgb)

    block_resolutions = list(range(3, resolution_log2 + 1))
    if structure == "fixed":
        for res in block_resolutions:
            x = block(res, x)
        images = torgb(resolution_log2, x)

    elif structure == "linear":
        images = torgb(2, x)
        for res in block_resolutions:
            lod = resolution_log2 - res
            x = block(res, x)
            newer = torgb(res, x)
            images = upscale2d(images)
            with tf.variable_scope("Grow_lod%d" % lod):
                images = tflib.lerp_clip(newer, images, lod_in - lod)

    else:  # recursive: evaluate only the resolutions that lod_in needs
        def grow(x, res, lod):
            y = block(res, x)
            return lazy_select(
                lambda: upscale2d(torgb(res, y), 2 ** lod),
                *([(lod_in < lod, lambda: grow(y, res + 1, lod - 1))] if lod > 0 else []),
                (lod_in > lod, lambda: upscale2d(tflib.lerp(torgb(res, y), upscale2d(torgb(res - 1, x)), lod_in - lod), 2 ** lod)))
        images = grow(x, 3, resolution_log2 - 3) if resolution_log2 > 2 else torgb(2, x)  # a 4x4 network has no level to grow

    images = to_nchw(images)
    assert images.dtype == tf.as_dtype(dtype)
    return tf.identity(images, name="images_out")

# ----------------------------------------------------------------------------
# D_basic.


@register_architecture
def D_basic(
    images_in,                          # [minibatch, channel, height, width]
    labels_in,                          # [minibatch, label_size]
    num_channels        = 1,
    resolution          = 32,
    label_size          = 0,
    fmap_base           = 8192,
    fmap_decay          = 1.0,
    fmap_max            = 512,
    nonlinearity        = "lrelu",
    use_wscale          = True,
    mbstd_group_size    = 4,            # group size of the minibatch stddev layer; <= 1 disables it
    mbstd_num_features  = 1,
    dtype               = "float32",
    fused_scale         = "auto",
    blur_filter         = [1, 2, 1],
    structure           = "auto",
    is_template_graph   = False,
    **_kwargs):
    """The discriminator: FromRGB, conv blocks down to 4x4, minibatch stddev, two dense layers."""
    check_count("num_channels", num_channels, 1)
    check_count("label_size", label_size, 0)
    resolution_log2 = resolution_log2_of(resolution)
    nf = feature_maps(fmap_base, fmap_decay, fmap_max)
    act, gain = _activation(nonlinearity)
    if structure == "auto":
        structure = "linear" if is_template_graph else "recursive"
    check_choice("structure", structure, ["fixed", "linear", "recursive"])

    blur = blur_with(blur_filter)

    images_in.set_shape((None, num_channels, resolution, resolution))
    labels_in.set_shape((None, label_size))
    images_in = to_nhwc(tf.cast(images_in, dtype))
    labels_in = tf.cast(labels_in, dtype)
    lod_in = tf.cast(tf.get_variable("lod", initializer=np.float32(0.0), trainable=False), dtype)

    def fromrgb(x, res):  # res = 2..resolution_log2
        with tf.variable_scope("FromRGB_lod%d" % (resolution_log2 - res)):
            return act(apply_bias(conv2d(x, fmaps=nf(res - 1), kernel=1, gain=gain, use_wscale=use_wscale)))

    def block(x, res):  # res = 2..resolution_log2
        with tf.variable_scope("%dx%d" % (2 ** res, 2 ** res)):
            if res >= 3:
                with tf.variable_scope("Conv0"):
                    x = act(apply_bias(conv2d(x, fmaps=nf(res - 1), kernel=3, gain=gain, use_wscale=use_wscale)))
                with tf.variable_scope("Conv1_down"):
                    x = conv2d_downscale2d(blur(x), fmaps=nf(res - 2), kernel=3, gain=gain, use_wscale=use_wscale, fused_scale=fused_scale)
                    x = act(apply_bias(x))
                return x
            if mbstd_group_size > 1:
                x = minibatch_stddev_layer(x, group_size=mbstd_group_size, num_new_features=mbstd_num_features)
            with tf.variable_scope("Conv"):
                x = act(apply_bias(conv2d(x, fmaps=nf(res - 1), kernel=3, gain=gain, use_wscale=use_wscale)))
            with tf.variable_scope("Dense0"):
                x = act(apply_bias(dense(x, fmaps=nf(res - 2), gain=gain, use_wscale=use_wscale)))
            with tf.variable_scope("Dense1"):
                return apply_bias(dense(x, fmaps=max(label_size, 1), gain=1, use_wscale=use_wscale))

    scores_out = discriminator_structure(structure, images_in, lod_in, resolution_log2, fromrgb, block, downscale2d, tflib.lerp, tflib.lerp_clip)

    if label_size:
        with tf.variable_scope("LabelSwitch"):  # the score of each sample's own class
            scores_out = tf.reduce_sum(labels_in * scores_out, axis=1, keepdims=True)

    assert scores_out.dtype.name == dtype
    return tf.identity(scores_out, name="scores_out")
