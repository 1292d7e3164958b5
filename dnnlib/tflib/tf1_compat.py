"""Run TF1-era source (e.g. NVIDIA's metric network pickles) under TensorFlow 2.

The source sees `tensorflow` as tensorflow.compat.v1, except that the NCHW
forms of convolution, pooling and bias ops, which have no CPU kernels, run
as NHWC between two transposes.
"""

import builtins
import functools
import types

import tensorflow.compat.v1 as tf

_TO_NHWC = [0, 2, 3, 1]
_TO_NCHW = [0, 3, 1, 2]


def _nhwc_list(values):
    """Reorder a 4-element NCHW stride/ksize list to NHWC; scalars pass through."""
    if isinstance(values, (list, tuple)) and len(values) == 4:
        return [values[i] for i in _TO_NHWC]
    return values


def _nchw_via_nhwc(op, rearrange=("strides", "ksize", "dilations"), shape_arg=None):
    """Wrap an op so data_format='NCHW' runs as NHWC with transposes at both ends."""
    @functools.wraps(op)
    def wrapped(value, *args, data_format=None, **kwargs):
        if data_format != "NCHW":
            return op(value, *args, data_format=data_format, **kwargs) if data_format else op(value, *args, **kwargs)
        for key in rearrange:
            if key in kwargs:
                kwargs[key] = _nhwc_list(kwargs[key])
        args = [_nhwc_list(a) if isinstance(a, (list, tuple)) and len(a) == 4 and i > 0 else a for i, a in enumerate(args)]
        if shape_arg is not None and shape_arg in kwargs:
            kwargs[shape_arg] = tf.gather(kwargs[shape_arg], _TO_NHWC)
        y = op(tf.transpose(value, _TO_NHWC), *args, data_format="NHWC", **kwargs)
        return tf.transpose(y, _TO_NCHW)
    return wrapped


def _bias_add(value, bias, data_format=None, name=None):
    if data_format in ("NCHW", "NCW", "NCDHW") and value.shape.ndims is not None and value.shape.ndims > 2:
        shape = [1, -1] + [1] * (value.shape.ndims - 2)
        return tf.add(value, tf.reshape(bias, shape), name=name)
    return tf.nn.bias_add(value, bias, data_format=data_format, name=name)


def _make_nn_module() -> types.ModuleType:
    nn = types.ModuleType("tensorflow.nn")
    nn.__dict__.update({k: getattr(tf.nn, k) for k in dir(tf.nn) if not k.startswith("__")})
    nn.conv2d = _nchw_via_nhwc(tf.nn.conv2d)
    nn.depthwise_conv2d = _nchw_via_nhwc(tf.nn.depthwise_conv2d, rearrange=("strides", "rate", "dilations"))
    nn.avg_pool = _nchw_via_nhwc(tf.nn.avg_pool)
    nn.max_pool = _nchw_via_nhwc(tf.nn.max_pool)
    nn.conv2d_transpose = _nchw_via_nhwc(tf.nn.conv2d_transpose, shape_arg="output_shape")
    nn.bias_add = _bias_add
    return nn


def _make_tf_module() -> types.ModuleType:
    module = types.ModuleType("tensorflow")
    module.__dict__.update({k: getattr(tf, k) for k in dir(tf) if not k.startswith("__")})
    module.nn = _make_nn_module()
    module.log = tf.math.log
    module.is_finite = tf.math.is_finite
    return module


_tf1_module = None


def tf1_module() -> types.ModuleType:
    global _tf1_module
    if _tf1_module is None:
        _tf1_module = _make_tf_module()
    return _tf1_module


def _import_with_tf1(name, globals=None, locals=None, fromlist=(), level=0):
    if name == "tensorflow" and level == 0:
        return tf1_module()
    return builtins.__import__(name, globals, locals, fromlist, level)


def exec_tf1_source(source: str, namespace: dict) -> None:
    """Execute source in namespace, with `import tensorflow` bound to the TF1 module above."""
    module_builtins = dict(vars(builtins))
    module_builtins["__import__"] = _import_with_tf1
    namespace["__builtins__"] = module_builtins
    exec(compile(source, namespace.get("__name__", "<network source>"), "exec"), namespace)
