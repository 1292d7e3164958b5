"""bench/flops.py counts the multiply-adds of convolutions and matmuls (forward and backward) from static shapes."""

import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench import flops  # noqa: E402
from training import networks_stylegan  # noqa: E402


def test_conv_matmul_and_backprop_flops():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 8, 8, 4])
        w = tf.ones([3, 3, 4, 6])
        y = tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME")
        dx, dw = tf.gradients(tf.reduce_sum(y), [x, w])
        m = tf.matmul(tf.ones([5, 7]), tf.ones([7, 3]))
        conv = 2 * 2 * 8 * 8 * 6 * 3 * 3 * 4  # batch 2
        assert flops.op_flops(y.op, batch=2) == conv
        assert flops.op_flops(dx.op, batch=2) == conv
        assert flops.op_flops(dw.op, batch=2) == conv
        assert flops.op_flops(m.op) == 2 * 5 * 7 * 3
        assert flops.useful_flops([y.op, dx.op, dw.op, m.op], batch=2) == (3 * conv + 2 * 5 * 7 * 3, 0)


def test_depthwise_counted_apart():
    with tf.Graph().as_default():
        x = tf.zeros([1, 4, 4, 3])
        y = tf.nn.depthwise_conv2d(x, tf.ones([3, 3, 3, 1]), strides=[1, 1, 1, 1], padding="SAME")
        assert flops.useful_flops([y.op]) == (0, 2 * 4 * 4 * 3 * 9)


def test_convolutions_fused_into_a_bias_add_are_counted():  # on CPU Grappler runs conv, bias and relu as one kernel, named as the relu
    with tf.Graph().as_default(), tf.Session() as session:
        x = tf.Variable(tf.ones([2, 8, 8, 4]))
        y = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, tf.Variable(tf.ones([3, 3, 4, 6])), strides=[1, 1, 1, 1], padding="SAME"), tf.Variable(tf.ones([6]))))
        session.run(tf.global_variables_initializer())
        _by_type, by_node, _wall = flops.profile_step(y, session=session)
        assert flops.useful_flops(flops.executed_ops(session.graph, by_node), batch=2) == (2 * 2 * 8 * 8 * 6 * 3 * 3 * 4, 0)


def test_means_written_as_matmuls_are_not_counted():
    """Instance norm takes two means in one scope: the second one's scope is numbered."""
    with tf.Graph().as_default() as graph:
        x = tf.zeros([2, 8, 8, 4])
        networks_stylegan._spatial_mean(networks_stylegan._spatial_mean(x) - x)
        counted = tf.matmul(tf.ones([5, 7]), tf.ones([7, 3]), name="SpatialMeanLookalike")
        matmuls = [op for op in graph.get_operations() if op.type in flops.GEMM_OPS]
        assert len(matmuls) == 5
        assert flops.useful_flops(matmuls, batch=2) == (flops.op_flops(counted.op), 0) == (2 * 5 * 7 * 3, 0)


def test_convolutions_inside_xla_clusters_are_counted_where_their_branch_ran():
    """A single image's XLA convolution runs in a tf.cond branch: counted at minibatch 1, and only the plain one at 2."""
    with tf.Graph().as_default(), tf.Session() as session:
        x = tf.placeholder(tf.float32, [None, 8, 8, 4])
        w = tf.Variable(tf.ones([3, 3, 4, 6]))
        y = tf.nn.relu(networks_stylegan._conv_with_single_image_kernel(x, w, "SAME", networks_stylegan._conv_in_xla))
        session.run(tf.global_variables_initializer())
        for batch in (1, 2):
            by_type, by_node, _wall = flops.profile_step(y, {x: np.zeros([batch, 8, 8, 4])}, session=session)
            assert ("_XlaRun" in by_type) == (batch == 1)
            executed = flops.executed_ops(session.graph, by_node)
            convolutions = [op for op in executed if op.type == "Conv2D"]
            assert len(convolutions) == 1 and flops._compiled(convolutions[0]) == (batch == 1)
            assert flops.useful_flops(executed, batch=batch) == (2 * batch * 8 * 8 * 6 * 3 * 3 * 4, 0)


def test_winograd_convolutions_count_the_direct_convolutions_work():
    """A Winograd convolution counts what the direct one would: its products times 9/4, its kernel's transform not."""
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [None, 8, 6, 4])
        networks_stylegan._conv3x3_winograd(x, tf.ones([3, 3, 4, 5]))
        gemms = [op for op in graph.get_operations() if op.type in flops.GEMM_OPS]
        assert sorted(op.type for op in gemms) == ["BatchMatMulV2", "MatMul"]
        assert flops.useful_flops(gemms, batch=2) == (2 * 2 * 8 * 6 * 5 * 3 * 3 * 4, 0)


def test_scope_numbering_is_told_from_other_names():
    with tf.Graph().as_default():
        ops = [tf.no_op(name="%s/op" % scope) for scope in ("Winograd", "Winograd_1", "Winograd_12", "Winograd_foo", "Winograd1")]
        assert [networks_stylegan.built_in_scope(op, "Winograd") for op in ops] == [True, True, True, False, False]
