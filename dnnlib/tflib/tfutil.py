"""TensorFlow helpers in TF1 graph style: sessions, variable setters, scopes, image conversion.

TensorFlow 2 runs here through tensorflow.compat.v1 with v2 behaviour disabled,
which is what the original code (and every network pickle) assumes.
"""

import collections.abc
import functools
import os
from typing import Any, Union

import numpy as np

from .. import tf_startup

import tensorflow.compat.v1 as tf  # quietly: importing dnnlib (above) set up tf_startup
from tensorflow.python.util import deprecation

deprecation._PRINT_DEPRECATION_WARNINGS = False  # TF1-style calls are deliberate here; TF's notices about them are noise.
tf.disable_v2_behavior()  # graph mode, ref variables, v1 control flow and shapes: what TF1 code expects

TfExpression = Union[tf.Operation, tf.Tensor, tf.Variable]
"""Anything TensorFlow can evaluate."""

TfExpressionEx = Union[TfExpression, np.ndarray, float, int]
"""A TensorFlow expression, or a value that converts to one."""

_LN2 = np.log(2.0)


def run(*args, **kwargs) -> Any:
    """Session.run() in the default session."""
    assert_tf_initialized()
    session = tf.get_default_session()
    return session.run(*args, **kwargs)


@functools.lru_cache(maxsize=None)
def onednn_enabled() -> bool:
    """Whether TensorFlow runs its CPU kernels through oneDNN: the two kernel sets are fast at different ops.
    TensorFlow decides once, at start-up (from the CPU and TF_ENABLE_ONEDNN_OPTS), hence the cache. The query is
    TensorFlow's private API; without it, False (the choices made from it are correct either way, only slower)."""
    try:
        from tensorflow.python.util import _pywrap_util_port
        return bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        return False


@functools.lru_cache(maxsize=None)
def cpu_flags() -> frozenset:
    """The CPU's feature flags as Linux lists them (avx2, avx512f, amx_tile, ...): which of oneDNN's kernels run,
    hence which formulation of an op is faster. Empty where unknown (not Linux)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


@functools.lru_cache(maxsize=None)
def gpu_available() -> bool:
    """Whether this process sees a GPU (where cuDNN, not the CPU's kernels, will run the networks); quietly, since
    before the first session TensorFlow's CUDA probe writes to fd 2."""
    with tf_startup.native_stderr_held():
        return bool(tf.config.list_physical_devices("GPU"))


def is_tf_expression(x: Any) -> bool:
    return isinstance(x, TfExpression.__args__)


def shape_to_list(shape) -> list:
    """A TensorShape (or list of Dimensions) as ints, None where unknown."""
    return [tf.compat.dimension_value(d) for d in shape]


def flatten(x):
    with tf.name_scope("Flatten"):
        return tf.reshape(x, [-1])


def log2(x):
    with tf.name_scope("Log2"):
        return tf.math.log(x) * np.float32(1 / _LN2)


def exp2(x):
    with tf.name_scope("Exp2"):
        return tf.math.exp(x * np.float32(_LN2))


def lerp(a, b, t):
    """a + (b - a) * t."""
    with tf.name_scope("Lerp"):
        return a + (b - a) * t


def lerp_clip(a, b, t):
    """a + (b - a) * t with t clipped to [0, 1]."""
    with tf.name_scope("LerpClip"):
        return a + (b - a) * tf.minimum(tf.maximum(t, 0.0), 1.0)


def absolute_name_scope(scope):
    """Enter name scope `scope` exactly, whatever the current one (a trailing '/' means absolute)."""
    return tf.name_scope(scope + "/")


def absolute_variable_scope(scope, **kwargs):
    """Enter variable scope `scope` exactly, without opening a name scope."""
    exact = tf.VariableScope(name=scope, **kwargs)
    return tf.variable_scope(exact, auxiliary_name_scope=False)


_DEFAULT_TF_CONFIG = {
    "rnd.np_random_seed": None,             # seed of NumPy's global RNG; None leaves it alone
    "rnd.tf_random_seed": "auto",           # graph-level TF seed; 'auto' draws one from NumPy
    "env.TF_CPP_MIN_LOG_LEVEL": "1",
    "graph_options.place_pruned_graph": True,
    "gpu_options.allow_growth": True,
    "allow_soft_placement": True,           # ours: /gpu:N pins fall back to the CPU on CPU-only machines
}


def _sanitize_tf_config(config_dict=None) -> dict:
    return dict(_DEFAULT_TF_CONFIG, **(config_dict or {}))


def init_tf(config_dict=None, target="", session_config=None) -> None:
    """Create the process-wide default session (unless there is one), seeding NumPy and TensorFlow as configured.

    target and session_config go to create_session (a distributed runtime's server and its ClusterDef).
    """
    if tf.get_default_session() is None:
        config = _sanitize_tf_config(config_dict)
        if config["rnd.np_random_seed"] is not None:
            np.random.seed(config["rnd.np_random_seed"])
        graph_seed = config["rnd.tf_random_seed"]
        if graph_seed == "auto":
            graph_seed = np.random.randint(2 ** 31)
        if graph_seed is not None:
            tf.set_random_seed(graph_seed)
        for key, value in config.items():
            if key.startswith("env."):
                os.environ[key[len("env."):]] = str(value)
        create_session(config, force_as_default=True, target=target, session_config=session_config)


def assert_tf_initialized():
    if tf.get_default_session() is None:
        raise RuntimeError("There is no default TensorFlow session; call dnnlib.tflib.init_tf() first.")


def _config_proto(config: dict):
    """tf.ConfigProto from dotted keys ('gpu_options.allow_growth', 'device_count.CPU', ...)."""
    proto = tf.ConfigProto()
    for key, value in config.items():
        *path, field = key.split(".")
        if path and path[0] in ("rnd", "env"):
            continue
        target = proto
        for part in path:
            target = getattr(target, part)
        if isinstance(target, collections.abc.MutableMapping) or type(target).__name__.endswith("MapContainer"):
            target[field] = value  # map fields such as device_count
        else:
            setattr(target, field, value)
    return proto


def _compile_xla_clusters_at_once():
    """XLA clusters (G_synthesis's xla=True layer tails) must give the same numbers on every call. TensorFlow's lazy
    compilation runs an input shape's first call without XLA, which differs in the last bits. Its flag is read once
    per process, when the first session runs, so it is set when tflib is imported; a TF_XLA_FLAGS setting of the
    user's own wins."""
    flags = os.environ.get("TF_XLA_FLAGS", "")
    if "tf_xla_enable_lazy_compilation" not in flags:
        os.environ["TF_XLA_FLAGS"] = (flags + " --tf_xla_enable_lazy_compilation=false").strip()


_compile_xla_clusters_at_once()


def create_session(config_dict=None, force_as_default=False, target="", session_config=None):
    """A session configured like init_tf's; with force_as_default it stays the thread's default for good.

    target: "" for this process's devices, or a server's "grpc://host:port"; session_config: a tf.ConfigProto
    merged over the one config_dict gives, for fields that dotted keys cannot set (such as cluster_def).
    """
    proto = _config_proto(_sanitize_tf_config(config_dict))
    if session_config is not None:
        proto.MergeFrom(session_config)
    with tf_startup.native_stderr_held():  # the first session lists devices: CUDA's start-up lines on CPU-only machines
        session = tf.Session(target, config=proto)
    if force_as_default:
        context = session.as_default()
        context.enforce_nesting = False
        context.__enter__()  # never exited on purpose
        session._tflib_default_context = context
    return session


def _helper_tensor(var, suffix):
    """The tensor `<var op>/<suffix>` if an earlier call created it, else None."""
    try:
        return tf.get_default_graph().get_tensor_by_name("%s/%s" % (var.op.name, suffix))
    except KeyError:
        return None


def init_uninitialized_vars(target_vars=None) -> None:
    """Initialize the variables that are not yet initialized: one run to check them, one to initialize."""
    assert_tf_initialized()
    candidates = tf.global_variables() if target_vars is None else target_vars
    unchecked, checks = [], []
    with tf.control_dependencies(None):
        for var in candidates:
            assert is_tf_expression(var)
            if _helper_tensor(var, "IsVariableInitialized:0") is None:  # the check op doubles as a memo
                with absolute_name_scope(var.op.name):
                    checks.append(tf.is_variable_initialized(var))
                unchecked.append(var)
    flags = run(checks)
    run([var.initializer for var, initialized in zip(unchecked, flags) if not initialized])


def set_vars(var_to_value_dict):
    """Assign NumPy values to variables through cached placeholder setters, all in one run."""
    assert_tf_initialized()
    setters, feed = [], {}
    for var in var_to_value_dict:
        value = var_to_value_dict[var]
        assert is_tf_expression(var)
        setter = _helper_tensor(var, "setter:0")
        if setter is None:
            with absolute_name_scope(var.op.name), tf.control_dependencies(None):
                new_value = tf.placeholder(var.dtype, var.shape, "new_value")
                setter = tf.assign(var, new_value, name="setter")
        setters.append(setter)
        feed[setter.op.inputs[1]] = value
    run(setters, feed)


def create_var_with_large_initial_value(initial_value, *args, **kwargs):
    """A variable filled from a NumPy array without embedding the array in the graph as a constant."""
    assert_tf_initialized()
    if not isinstance(initial_value, np.ndarray):
        raise TypeError("initial_value must be a NumPy array")
    var = tf.Variable(tf.zeros(initial_value.shape, initial_value.dtype), *args, **kwargs)
    set_vars({var: initial_value})
    return var


def convert_images_from_uint8(images, drange=[-1, 1], nhwc_to_nchw=False):
    """uint8 images to float32: (x - drange[0]) * (drange[1] - drange[0]) / 255 (the original's formula)."""
    low, high = drange
    x = tf.cast(images, tf.float32)
    if nhwc_to_nchw:
        x = tf.transpose(x, perm=[0, 3, 1, 2])
    return (x - low) * ((high - low) / 255)


def convert_images_to_uint8(images, drange=[-1, 1], nchw_to_nhwc=False, shrink=1):
    """float images in `drange` to uint8, rounding half up; optional box shrink and NCHW -> NHWC."""
    low, high = drange
    x = tf.cast(images, tf.float32)
    if nchw_to_nhwc or shrink > 1:
        x = tf.transpose(x, perm=[0, 2, 3, 1])
    if shrink > 1:  # CPU kernels pool NHWC only, so pool after the transpose
        window = [1, shrink, shrink, 1]
        x = tf.nn.avg_pool(x, ksize=window, strides=window, padding="VALID", data_format="NHWC")
        if not nchw_to_nhwc:
            x = tf.transpose(x, perm=[0, 3, 1, 2])
    gain = 255 / (high - low)
    return tf.saturate_cast(x * gain + (0.5 - low * gain), tf.uint8)
