"""TensorFlow helpers in TF1 graph style: sessions, variable setters, scopes, image conversion.

TensorFlow 2 runs here through tensorflow.compat.v1 with v2 behaviour disabled,
which is what the original code (and every network pickle) assumes.
"""

import collections.abc
import os
from typing import Any, Iterable, List, Union

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Before TensorFlow loads: hide its start-up chatter.

import tensorflow.compat.v1 as tf  # noqa: E402

from tensorflow.python.util import deprecation  # noqa: E402

deprecation._PRINT_DEPRECATION_WARNINGS = False  # TF1-style calls are deliberate here; TF's notices about them are noise.
tf.disable_v2_behavior()  # Graph mode, ref variables, v1 control flow and shapes: what TF1 code expects.

TfExpression = Union[tf.Tensor, tf.Variable, tf.Operation]
"""A TensorFlow expression."""

TfExpressionEx = Union[TfExpression, int, float, np.ndarray]
"""A TensorFlow expression or something that converts to one."""


def run(*args, **kwargs) -> Any:
    """Run in the default session."""
    assert_tf_initialized()
    return tf.get_default_session().run(*args, **kwargs)


def is_tf_expression(x: Any) -> bool:
    return isinstance(x, (tf.Tensor, tf.Variable, tf.Operation))


def shape_to_list(shape: Iterable[tf.Dimension]) -> List[Union[int, None]]:
    return [tf.compat.dimension_value(dim) for dim in shape]


def flatten(x: TfExpressionEx) -> TfExpression:
    with tf.name_scope("Flatten"):
        return tf.reshape(x, [-1])


def log2(x: TfExpressionEx) -> TfExpression:
    with tf.name_scope("Log2"):
        return tf.log(x) * np.float32(1.0 / np.log(2.0))


def exp2(x: TfExpressionEx) -> TfExpression:
    with tf.name_scope("Exp2"):
        return tf.exp(x * np.float32(np.log(2.0)))


def lerp(a: TfExpressionEx, b: TfExpressionEx, t: TfExpressionEx) -> TfExpressionEx:
    with tf.name_scope("Lerp"):
        return a + (b - a) * t


def lerp_clip(a: TfExpressionEx, b: TfExpressionEx, t: TfExpressionEx) -> TfExpression:
    with tf.name_scope("LerpClip"):
        return a + (b - a) * tf.clip_by_value(t, 0.0, 1.0)


def absolute_name_scope(scope: str) -> tf.name_scope:
    """Enter `scope` exactly, whatever name scope is current."""
    return tf.name_scope(scope + "/")


def absolute_variable_scope(scope: str, **kwargs) -> tf.variable_scope:
    """Enter variable scope `scope` exactly, without opening a name scope."""
    return tf.variable_scope(tf.VariableScope(name=scope, **kwargs), auxiliary_name_scope=False)


def _sanitize_tf_config(config_dict: dict = None) -> dict:
    cfg = dict()
    cfg["rnd.np_random_seed"] = None         # Seed for NumPy's global RNG; None keeps it as is.
    cfg["rnd.tf_random_seed"] = "auto"       # Graph-level TF seed; "auto" draws one from NumPy.
    cfg["env.TF_CPP_MIN_LOG_LEVEL"] = "1"    # Hide TensorFlow's info messages.
    cfg["graph_options.place_pruned_graph"] = True
    cfg["gpu_options.allow_growth"] = True
    cfg["allow_soft_placement"] = True       # Ours: /gpu:N pins fall back to the CPU on CPU-only machines.
    if config_dict is not None:
        cfg.update(config_dict)
    return cfg


def init_tf(config_dict: dict = None) -> None:
    """Create the process-wide default session unless one exists; seeds NumPy and TensorFlow as configured."""
    if tf.get_default_session() is not None:
        return
    cfg = _sanitize_tf_config(config_dict)
    np_random_seed = cfg["rnd.np_random_seed"]
    if np_random_seed is not None:
        np.random.seed(np_random_seed)
    tf_random_seed = cfg["rnd.tf_random_seed"]
    if tf_random_seed == "auto":
        tf_random_seed = np.random.randint(1 << 31)
    if tf_random_seed is not None:
        tf.set_random_seed(tf_random_seed)
    for key, value in cfg.items():
        fields = key.split(".")
        if fields[0] == "env":
            assert len(fields) == 2
            os.environ[fields[1]] = str(value)
    create_session(cfg, force_as_default=True)


def assert_tf_initialized():
    if tf.get_default_session() is None:
        raise RuntimeError("No default TensorFlow session found. Please call dnnlib.tflib.init_tf().")


def create_session(config_dict: dict = None, force_as_default: bool = False) -> tf.Session:
    """A session configured from dotted keys into tf.ConfigProto; optionally the default for good."""
    cfg = _sanitize_tf_config(config_dict)
    config_proto = tf.ConfigProto()
    for key, value in cfg.items():
        fields = key.split(".")
        if fields[0] not in ["rnd", "env"]:
            obj = config_proto
            for field in fields[:-1]:
                obj = getattr(obj, field)
            if isinstance(obj, collections.abc.MutableMapping) or type(obj).__name__.endswith("MapContainer"):
                obj[fields[-1]] = value  # map fields such as device_count.CPU
            else:
                setattr(obj, fields[-1], value)
    session = tf.Session(config=config_proto)
    if force_as_default:
        # Entered and never exited: the session stays the default for the rest of the thread.
        context = session.as_default()
        context.enforce_nesting = False
        context.__enter__()
        session._tflib_default_context = context
    return session


def init_uninitialized_vars(target_vars: List[tf.Variable] = None) -> None:
    """Run the initializers of the variables not yet initialized, with one check run and one init run."""
    assert_tf_initialized()
    if target_vars is None:
        target_vars = tf.global_variables()

    test_vars = []
    test_ops = []
    with tf.control_dependencies(None):
        for var in target_vars:
            assert is_tf_expression(var)
            try:
                tf.get_default_graph().get_tensor_by_name(var.name.replace(":0", "/IsVariableInitialized:0"))
            except KeyError:
                test_vars.append(var)
                with absolute_name_scope(var.name.split(":")[0]):
                    test_ops.append(tf.is_variable_initialized(var))

    init_vars = [var for var, inited in zip(test_vars, run(test_ops)) if not inited]
    run([var.initializer for var in init_vars])


def set_vars(var_to_value_dict: dict) -> None:
    """Assign values to variables through cached placeholder setters (no graph growth on repeat calls)."""
    assert_tf_initialized()
    ops = []
    feed_dict = {}
    for var, value in var_to_value_dict.items():
        assert is_tf_expression(var)
        try:
            setter = tf.get_default_graph().get_tensor_by_name(var.name.replace(":0", "/setter:0"))
        except KeyError:
            with absolute_name_scope(var.name.split(":")[0]):
                with tf.control_dependencies(None):
                    setter = tf.assign(var, tf.placeholder(var.dtype, var.shape, "new_value"), name="setter")
        ops.append(setter)
        feed_dict[setter.op.inputs[1]] = value
    run(ops, feed_dict)


def create_var_with_large_initial_value(initial_value: np.ndarray, *args, **kwargs):
    """A variable set from a NumPy array without embedding the array in the graph as a constant."""
    assert_tf_initialized()
    assert isinstance(initial_value, np.ndarray)
    zeros = tf.zeros(initial_value.shape, initial_value.dtype)
    var = tf.Variable(zeros, *args, **kwargs)
    set_vars({var: initial_value})
    return var


def convert_images_from_uint8(images, drange=[-1, 1], nhwc_to_nchw=False):
    """uint8 images to float32: (x - drange[0]) * (drange[1] - drange[0]) / 255, exactly the original's formula."""
    images = tf.cast(images, tf.float32)
    if nhwc_to_nchw:
        images = tf.transpose(images, [0, 3, 1, 2])
    return (images - drange[0]) * ((drange[1] - drange[0]) / 255)


def convert_images_to_uint8(images, drange=[-1, 1], nchw_to_nhwc=False, shrink=1):
    """float images in `drange` to uint8, rounding half up; optional box shrink and NCHW->NHWC."""
    images = tf.cast(images, tf.float32)
    images = tf.transpose(images, [0, 2, 3, 1]) if (nchw_to_nhwc or shrink > 1) else images
    if shrink > 1:  # CPU kernels pool NHWC only, so pool after the transpose.
        window = [1, shrink, shrink, 1]
        images = tf.nn.avg_pool(images, ksize=window, strides=window, padding="VALID", data_format="NHWC")
        if not nchw_to_nhwc:
            images = tf.transpose(images, [0, 3, 1, 2])
    scale = 255 / (drange[1] - drange[0])
    images = images * scale + (0.5 - drange[0] * scale)
    return tf.saturate_cast(images, tf.uint8)
