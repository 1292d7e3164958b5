"""Where the time goes: FLOPs of a graph's convolutions and matmuls, a conv peak, and per-op-type time.

  python bench/flops.py                  # the 3x3 NHWC conv peak and matmul peak of this CPU

Used by bench_generate.py and bench_train.py for their roofline and profile lines:
- useful_flops(ops, batch): multiply-adds x 2 of the Conv2D / MatMul family (forward and
  backward), counted from static shapes, with an unknown batch dimension taken as `batch`.
  Depthwise filters (blur, box downscale) are counted apart: they are not GEMM work.
- conv_peak_gflops(): a 3x3 NHWC convolution microbenchmark, in the same process.
- profile_step(fetches, feed): one traced run; seconds per op type and the executed op names.
"""

import argparse
import collections
import os
import platform
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dnnlib  # noqa: E402  (first: sets TensorFlow's log level before TensorFlow loads)
import dnnlib.tflib as tflib  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402
from dnnlib import arguments  # noqa: E402
from training.networks_stylegan import SPATIAL_MEAN_SCOPE, WINOGRAD_SAVING, WINOGRAD_SCOPE, built_in_scope  # noqa: E402

GEMM_OPS = ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "MatMul", "BatchMatMulV2", "BatchMatMul")
DEPTHWISE_OPS = ("DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput", "DepthwiseConv2dNativeBackpropFilter")


def cpu_model():
    """The CPU's model name, as lscpu prints it (what every figure should be printed beside)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def cpu_line():
    flags = tflib.cpu_flags()
    isa = [name for name, flag in (("AVX2", "avx2"), ("AVX-512", "avx512f"), ("AVX512_BF16", "avx512_bf16"), ("AMX", "amx_tile")) if flag in flags]
    return "CPU: %s, %d logical cores, %s; TensorFlow %s" % (cpu_model(), os.cpu_count() or 0, "/".join(isa) or "no AVX2", tf.__version__)


def peak_rss_mb():
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _dims(shape, batch):
    dims = shape.as_list() if shape.ndims is not None else None
    if dims is None:
        return None
    return [batch if d is None else d for d in dims]


def op_flops(op, batch=1):
    """2 x multiply-adds of one Conv2D/MatMul-family or depthwise op, or 0; unknown batch taken as `batch`. Means
    written as matmuls (networks_stylegan.SPATIAL_MEAN_SCOPE) are reductions, not the network's work: 0. A Winograd
    convolution (WINOGRAD_SCOPE) counts the direct convolution's work: its products' times WINOGRAD_SAVING, its
    kernel's transform 0, so a layer's count and the share of the peak do not depend on how it ran."""
    kind = op.type
    if kind not in GEMM_OPS and kind not in DEPTHWISE_OPS or built_in_scope(op, SPATIAL_MEAN_SCOPE):
        return 0
    if built_in_scope(op, WINOGRAD_SCOPE):
        return int(round(_op_flops(op, batch) * WINOGRAD_SAVING)) if kind == "BatchMatMulV2" else 0
    return _op_flops(op, batch)


def _op_flops(op, batch):
    kind = op.type
    out = _dims(op.outputs[0].shape, batch)
    if out is None or None in out:
        return 0
    if kind in ("MatMul", "BatchMatMul", "BatchMatMulV2"):
        a = _dims(op.inputs[0].shape, batch)
        if a is None or None in a:
            return 0
        adj = op.get_attr("transpose_a") if kind == "MatMul" else op.get_attr("adj_x")
        inner = a[-2] if adj else a[-1]
        return 2 * int(np.prod(out)) * inner
    if kind in ("Conv2D", "DepthwiseConv2dNative"):
        filt = _dims(op.inputs[1].shape, batch)
        if filt is None or None in filt:
            return 0
        kh, kw, cin = filt[0], filt[1], filt[2]
        per_output = kh * kw * (cin if kind == "Conv2D" else 1)
        return 2 * int(np.prod(out)) * per_output
    # Backprops cost what the forward conv costs: count from the forward output (= dy, input 2) and the filter.
    dy = _dims(op.inputs[2].shape, batch)
    if dy is None or None in dy:
        return 0
    if kind.endswith("BackpropInput"):
        filt = _dims(op.inputs[1].shape, batch) if op.inputs[1].shape.ndims == 4 else None
        x = out
    else:
        filt = out
        x = _dims(op.inputs[0].shape, batch)
    if filt is None or None in filt or x is None or None in x:
        return 0
    per_output = filt[0] * filt[1] * (filt[2] if kind.startswith("Conv2D") else 1)
    return 2 * int(np.prod(dy)) * per_output


def useful_flops(ops, batch=1):
    """(GEMM FLOPs, depthwise FLOPs) summed over `ops`."""
    gemm = depthwise = 0
    for op in ops:
        f = op_flops(op, batch)
        if op.type in DEPTHWISE_OPS:
            depthwise += f
        else:
            gemm += f
    return gemm, depthwise


def profile_step(fetches, feed_dict=None, session=None):
    """One traced run: ({op type: seconds}, {node name: seconds}, wall seconds). Op types are the executed kernels' (oneDNN ones renamed back)."""
    session = session or tf.get_default_session()
    options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    metadata = tf.RunMetadata()
    start = time.perf_counter()
    session.run(fetches, feed_dict, options=options, run_metadata=metadata)
    wall = time.perf_counter() - start
    by_type, by_node = collections.Counter(), collections.Counter()
    for device in metadata.step_stats.dev_stats:
        for node in device.node_stats:
            seconds = (node.all_end_rel_micros or node.op_end_rel_micros) / 1e6
            kind = node.timeline_label.split("(")[0].split("=")[-1].strip() if node.timeline_label else ""
            name = node.node_name.split(":")[0]
            if not kind:
                continue
            by_type[_kernel_family(kind)] += seconds
            by_node[name] += seconds
    return by_type, by_node, wall


def _kernel_family(kind):
    """oneDNN kernels are registered under renamed types (_MklNativeConv2D, _MklFusedConv2D, ...): name them by what they do."""
    for prefix in ("_MklNative", "_Mkl"):
        if kind.startswith(prefix):
            kind = kind[len(prefix):]
    return kind


_FUSABLE = ("BiasAdd", "Add", "AddV2", "Relu", "Relu6", "Elu", "LeakyRelu")  # what Grappler folds into a preceding conv or matmul


def executed_ops(graph, node_names):
    """Graph ops whose names ran, plus two kinds whose names a traced run does not show: the convolutions and matmuls
    Grappler fused into a following op (a fused Conv2D+BiasAdd runs under the BiasAdd's name), and the ops of XLA
    clusters (the run names the cluster): the compiled ops an executed op reads, directly or through other compiled
    ops. A tf.cond's Merge passes the branch that ran: the input named in the trace, or where none is, the compiled
    one. That fits the networks' one cond with a compiled branch (a single image's XLA convolution or the plain one,
    networks_stylegan._conv_with_single_image_kernel); a Merge of two compiled branches, or of a compiled one and
    a bare pass-through (whose Switch is always named), would need the run's partition graphs instead."""
    names = set(node_names)
    ops = {}
    for name in names:
        try:
            ops[name] = graph.get_operation_by_name(name)
        except (KeyError, ValueError):
            continue
    for op in list(ops.values()):
        source = op
        while source.type in _FUSABLE and source.inputs:
            source = source.inputs[0].op
            if source.type in GEMM_OPS:
                ops.setdefault(source.name, source)
    pending = list(ops.values())
    while pending:
        op = pending.pop()
        sources = [tensor.op for tensor in op.inputs]
        if op.type == "Merge" and any(source.name in names for source in sources):
            continue
        for source in sources:
            if source.name not in ops and _compiled(source):
                ops[source.name] = source
                pending.append(source)
    return list(ops.values())


def _compiled(op):
    """Whether op was marked for XLA compilation (a jit scope)."""
    try:
        return bool(op.get_attr("_XlaCompile"))
    except ValueError:
        return False


def split_table(by_type, top=12):
    """Lines 'op type  seconds  %' for the `top` most expensive op types, the rest summed."""
    total = sum(by_type.values()) or 1.0
    lines = []
    ranked = by_type.most_common()
    for kind, seconds in ranked[:top]:
        lines.append("  %-34s %9.4f s %6.1f%%" % (kind, seconds, 100 * seconds / total))
    rest = sum(seconds for _, seconds in ranked[top:])
    if rest:
        lines.append("  %-34s %9.4f s %6.1f%%" % ("(other %d types)" % (len(ranked) - top), rest, 100 * rest / total))
    lines.append("  %-34s %9.4f s (summed op time; both cores overlap, so it may exceed wall time)" % ("total", total))
    return lines


def conv_peak_gflops(size=32, channels=256, batch=8, repeats=7, dtype=tf.float32):
    """Median GFLOP/s of a 3x3 NHWC SAME convolution, the shape class that dominates StyleGAN, plus a square matmul."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.Variable(tf.random_normal([batch, size, size, channels]), name="x")
        w = tf.Variable(tf.random_normal([3, 3, channels, channels]), name="w")
        y = tf.nn.conv2d(tf.cast(x, dtype), tf.cast(w, dtype), strides=[1, 1, 1, 1], padding="SAME")
        conv = tf.reduce_sum(tf.cast(y[:, :1, :1, :1], tf.float32))
        n = 1024
        a = tf.Variable(tf.random_normal([n, n]))
        mm = tf.reduce_sum(tf.cast(tf.matmul(tf.cast(a, dtype), tf.cast(a, dtype))[:1, :1], tf.float32))
        with tf.Session(graph=graph) as session:
            session.run(tf.global_variables_initializer())
            results = []
            for fetch, flops in ((conv, 2.0 * batch * size * size * channels * channels * 9), (mm, 2.0 * n ** 3)):
                session.run(fetch)
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    session.run(fetch)
                    times.append(time.perf_counter() - start)
                results.append(flops / np.median(times) / 1e9)
    return tuple(results)


def roofline_line(gemm_flops, seconds, peak):
    achieved = gemm_flops / seconds / 1e9
    return "roofline: %.1f GFLOP/s of conv/matmul work (%.2f GFLOP per run) = %.0f%% of the measured 3x3 conv peak %.1f GFLOP/s" % (
        achieved, gemm_flops / 1e9, 100 * achieved / peak, peak)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=arguments.positive_int, default=7, help="timed runs per measurement (default: 7)")
    args = parser.parse_args()
    tflib.init_tf()
    print(cpu_line())
    for dtype in (tf.float32, tf.bfloat16):
        conv, mm = conv_peak_gflops(repeats=args.repeats, dtype=dtype)
        print("%-9s 3x3 conv NHWC 8x32x32x256: %6.1f GFLOP/s   matmul 1024^2: %6.1f GFLOP/s" % (dtype.name, conv, mm))


if __name__ == "__main__":
    dnnlib.util.run_command_line(main)
