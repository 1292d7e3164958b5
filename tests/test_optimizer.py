"""Optimizer: gradient averaging over towers, non-finite step skipping, log2 loss scaling."""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import dnnlib.tflib as tflib

DATA = np.random.RandomState(0).randn(8, 3).astype(np.float32)
TARGET = np.random.RandomState(1).randn(8, 1).astype(np.float32)
INIT = np.linspace(-1, 1, 3, dtype=np.float32).reshape(3, 1)
LEARNING_RATE = 0.1


def _tower_loss(device, scope, x, y, init):
    with tf.device(device), tf.variable_scope(scope):
        w = tf.get_variable("w", initializer=init)
        return tf.reduce_mean(tf.square(tf.matmul(x, w) - y)), w


def _train_step(num_towers, **opt_kwargs):
    opt = tflib.Optimizer(name="Train%d" % num_towers, learning_rate=LEARNING_RATE, **opt_kwargs)
    weights = []
    for tower, (x, y) in enumerate(zip(np.split(DATA, num_towers), np.split(TARGET, num_towers))):
        loss, w = _tower_loss("/cpu:%d" % tower, "tower%d_%d" % (num_towers, tower), tf.constant(x), tf.constant(y), INIT)
        opt.register_gradients(loss, [w])
        weights.append(w)
    tflib.init_uninitialized_vars()
    train_op = opt.apply_updates()
    tflib.run(train_op)
    return opt, [tflib.run(w) for w in weights]


def _whole_batch_gradient():
    return 2 * DATA.astype(np.float64).T @ (DATA @ INIT - TARGET) / len(DATA)


@pytest.mark.parametrize("tf_optimizer,expected_step", [
    ("tf.train.GradientDescentOptimizer", lambda g: LEARNING_RATE * g),  # linear in g: a sum instead of a mean would show
    ("tf.train.AdamOptimizer", lambda g: LEARNING_RATE * g / (np.abs(g) + 1e-8 / np.sqrt(1 - 0.999))),  # bias-corrected first step
])
def test_two_towers_equal_one_tower_on_the_whole_batch(session, fresh_autosummary, tf_optimizer, expected_step):
    expected = INIT - expected_step(_whole_batch_gradient())
    _, (single,) = _train_step(1, tf_optimizer=tf_optimizer)
    _, towers = _train_step(2, tf_optimizer=tf_optimizer)
    for weights in [single] + towers:
        np.testing.assert_allclose(weights, expected, rtol=1e-5, atol=1e-6)


def test_loss_scaling_grows_on_finite_and_shrinks_on_overflow(session, fresh_autosummary):
    w = tf.get_variable("w", initializer=np.float32(1.0))
    bad = tf.placeholder(tf.float32, [])
    opt = tflib.Optimizer(name="Scaled", learning_rate=0.1, use_loss_scaling=True)
    opt.register_gradients(tf.square(w) * bad, [w])
    tflib.init_uninitialized_vars()
    train_op = opt.apply_updates()
    ls_var = opt.get_loss_scaling_var(w.device)
    assert tflib.run(ls_var) == 64.0
    tflib.run(train_op, {bad: 1.0})
    assert np.isclose(tflib.run(ls_var), 64.0005)
    assert np.isclose(tflib.run(w), 0.9, atol=1e-4)  # Adam's first step moves by the learning rate, whatever the scale
    before = tflib.run(w)
    tflib.run(train_op, {bad: np.inf})
    assert np.isclose(tflib.run(ls_var), 63.0005)
    assert tflib.run(w) == before  # the non-finite step touched nothing


def test_optimizer_name_and_reset(session, fresh_autosummary):
    w = tf.get_variable("w", initializer=np.float32(3.0))
    opt = tflib.Optimizer(name="Train/G", tf_optimizer="tf.train.AdamOptimizer", learning_rate=0.5, beta1=0.0)
    assert opt.id == "Train.G" and opt.optimizer_kwargs == {"beta1": 0.0}
    opt.register_gradients(tf.square(w), {"w": w})
    tflib.init_uninitialized_vars()
    train_op = opt.apply_updates()
    tflib.run(train_op)
    slots = [v for v in tf.global_variables() if "Adam" in v.name or "beta" in v.name]
    assert slots and any(np.any(tflib.run(v) != 0) for v in slots)
    opt.reset_optimizer_state()
    assert all(np.all(tflib.run(v) == 0) for v in slots if "/m" in v.name or "/v" in v.name)
