"""autosummary: accumulate scalar statistics from the graph or from Python, report them to TensorBoard.

Each call of autosummary(name, value) adds a float64 accumulator [count, sum,
sum of squares]; save_summaries() reports mean and mean +- std since the
previous save, plus a custom-scalars layout that draws them as margin charts.
"""

from collections import OrderedDict
from typing import Any

import numpy as np
import tensorflow.compat.v1 as tf

from . import tfutil
from .tfutil import TfExpression

_dtype = tf.float64
_vars = OrderedDict()       # name -> [accumulator variables]
_immediate = OrderedDict()  # name -> (update op, its [count, sum, sum of squares] placeholder, the moments not yet fed) for Python values
_finalized = False
_merge_op = None


def _moments(value: TfExpression) -> TfExpression:
    """[count, sum, sum of squares] of a tensor in float64; all zeros when the sum is not finite."""
    value = tf.cast(value, _dtype)
    if value.shape.is_fully_defined():
        count = tf.constant(float(np.prod(tfutil.shape_to_list(value.shape))), dtype=_dtype)
    else:
        count = tf.cast(tf.reduce_prod(tf.shape(value)), _dtype)
    total = tf.reduce_sum(value)
    moments = tf.stack([count, total, tf.reduce_sum(tf.square(value))])
    return tf.where(tf.math.is_finite(total), moments, tf.zeros([3], dtype=_dtype))


def _accumulate(name: str, moments: TfExpression) -> TfExpression:
    """A new accumulator for `name` and the op that adds `moments` to it. Its first update sets it: nothing
    runs here, since on a cluster each session run after the graph grew sends the graph to the master again (about
    a second for a training graph, for each of the dozen accumulators a training graph creates)."""
    assert not _finalized, "autosummary(%r) after the summaries were finalized" % name
    with tfutil.absolute_name_scope("Autosummary/" + name.replace("/", "_")), tf.control_dependencies(None):
        accumulator = tf.Variable(tf.zeros([3], dtype=_dtype), trainable=False)
    _vars.setdefault(name, []).append(accumulator)
    return tf.cond(tf.is_variable_initialized(accumulator), lambda: tf.assign_add(accumulator, moments), lambda: tf.assign(accumulator, moments))


def _value_or_zeros(accumulator: tf.Variable) -> TfExpression:
    """An accumulator's [count, sum, sum of squares]; zeros while nothing has been recorded (never initialized)."""
    return tf.cond(tf.is_variable_initialized(accumulator), lambda: accumulator.read_value(), lambda: tf.zeros([3], dtype=_dtype))  # read in the branch


def autosummary(name, value, passthru=None):
    """Record `value` under `name`; returns passthru (or value) unchanged.

    A TF expression is recorded each time the returned tensor is evaluated; a Python or NumPy value is recorded
    now, in Python: the next save_summaries hands all of them to the graph in one run.
    """
    tfutil.assert_tf_initialized()
    result = value if passthru is None else passthru
    if tfutil.is_tf_expression(value):
        with tf.name_scope("summary_" + name.replace("/", "_")), tf.device(value.device):
            update = _accumulate(name, _moments(value))
            with tf.control_dependencies([update]):
                return tf.identity(result)

    if name not in _immediate:
        with tfutil.absolute_name_scope("Autosummary/" + name.replace("/", "_")), tf.device(None), tf.control_dependencies(None):
            placeholder = tf.placeholder(_dtype, [3])
            _immediate[name] = (_accumulate(name, placeholder), placeholder, np.zeros(3))
    values = np.asarray(value, dtype=np.float64)
    total = values.sum()
    if np.isfinite(total):  # as in the graph: a value with a non-finite sum is dropped whole
        _immediate[name][2][:] += [values.size, total, np.square(values).sum()]
    return result


def _feed_python_values() -> None:
    """Add the Python values recorded since the previous save to their accumulators, all in one run."""
    pending = [(update, placeholder, moments) for update, placeholder, moments in _immediate.values() if moments[0] > 0]
    if pending:
        tfutil.run([update for update, _, _ in pending], {placeholder: moments.copy() for _, placeholder, moments in pending})
        for _, _, moments in pending:
            moments[:] = 0


def finalize_autosummaries() -> Any:
    """Create the summary ops (once); returns the custom-scalars layout summary the first time, else None."""
    global _finalized
    tfutil.assert_tf_initialized()
    if _finalized:
        return None
    _finalized = True

    with tf.control_dependencies(None), tf.device(None):
        for name, accumulators in _vars.items():
            with tfutil.absolute_name_scope("Autosummary/" + name.replace("/", "_")):
                totals = tf.add_n([_value_or_zeros(acc) for acc in accumulators])  # [count, sum, sum of squares]
                count, total, total_sq = tf.unstack(totals)
                mean = total / count
                std = tf.sqrt(total_sq / count - tf.square(mean))  # population std; NaN when nothing was recorded
                with tf.control_dependencies([mean, std]):  # read, then zero, then report
                    resets = [tf.assign(acc, tf.zeros([3], dtype=_dtype)) for acc in accumulators]
                with tf.name_scope(None), tf.control_dependencies(resets):
                    mean, std = tf.identity(mean), tf.identity(std)
                    tf.summary.scalar(name, mean)
                    tf.summary.scalar("xCustomScalars/%s/margin_lo" % name, mean - std)
                    tf.summary.scalar("xCustomScalars/%s/margin_hi" % name, mean + std)
    return _custom_scalars_layout(sorted(_vars.keys()))


def _custom_scalars_layout(names) -> tf.Summary:
    """TensorBoard's custom-scalars layout with one margin chart per name, grouped by category."""
    categories = OrderedDict()
    for name in names:
        parts = name.split("/")
        category = parts[0] if len(parts) >= 2 else ""
        chart = "/".join(parts[1:-1]) if len(parts) >= 3 else parts[-1]
        categories.setdefault(category, OrderedDict()).setdefault(chart, []).append(name)
    layout = b"".join(
        _field(1, _field(1, category.encode()) + b"".join(
            _field(2, _field(1, chart.encode()) + _field(3, b"".join(
                _field(1, _field(1, name.encode()) + _field(2, ("xCustomScalars/" + name + "/margin_lo").encode())
                       + _field(3, ("xCustomScalars/" + name + "/margin_hi").encode()))
                for name in series)))
            for chart, series in charts.items()))
        for category, charts in categories.items())
    # The layout is a serialized tensorboard.Layout proto carried in a string tensor, as custom_scalar_pb writes it.
    tensor = tf.make_tensor_proto(layout, dtype=tf.string)
    metadata = tf.SummaryMetadata(plugin_data=tf.SummaryMetadata.PluginData(plugin_name="custom_scalars"))
    return tf.Summary(value=[tf.Summary.Value(tag="custom_scalars__config__", tensor=tensor, metadata=metadata)])


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field (wire type 2)."""
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def save_summaries(file_writer, global_step: int = None) -> None:
    """Write the statistics gathered since the previous call (and all graph summaries) to a FileWriter."""
    global _merge_op
    tfutil.assert_tf_initialized()
    if _merge_op is None:
        layout = finalize_autosummaries()
        if layout is not None:
            file_writer.add_summary(layout)
        with tf.control_dependencies(None), tf.device(None):
            _merge_op = tf.summary.merge_all()
    _feed_python_values()
    summary = tfutil.run(_merge_op)
    file_writer.add_summary(summary, global_step)
