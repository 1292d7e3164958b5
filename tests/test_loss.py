"""training/loss.py: values and gradients against direct computations of the formulas on fixed tiny networks."""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import dnnlib
import dnnlib.tflib as tflib
from training import loss

N = 4
LATENTS = np.random.RandomState(0).randn(N, 8).astype(np.float32)
LABELS = np.eye(2, dtype=np.float32)[[0, 1, 1, 0]]
REALS = np.random.RandomState(1).uniform(-1, 1, size=[N, 1, 8, 8]).astype(np.float32)


@pytest.fixture
def setup(session, monkeypatch):
    common = dict(num_channels=1, resolution=8, label_size=2, fmap_base=32, fmap_max=8)
    G = tflib.Network("G", func_name="training.networks_stylegan.G_style", latent_size=8, dlatent_size=8, mapping_fmaps=8,
                      mapping_layers=2, use_noise=False, style_mixing_prob=None, **common)
    D = tflib.Network("D", func_name="training.networks_stylegan.D_basic", mbstd_group_size=2, **common)
    monkeypatch.setattr(loss, "_latents", lambda G, n: tf.constant(LATENTS[:n]))
    monkeypatch.setattr(tf, "random_uniform", lambda shape, minval=0.0, maxval=1.0, dtype=tf.float32, **kw: tf.fill(shape, tf.constant(0.5, dtype)))
    training_set = dnnlib.EasyDict(get_random_labels_tf=lambda n: tf.constant(LABELS[:n]))
    opt = tflib.Optimizer(name="Opt")
    reals, labels = tf.constant(REALS), tf.constant(LABELS)
    fakes = G.get_output_for(tf.constant(LATENTS), labels, is_training=True)
    s_real = D.get_output_for(reals, labels, is_training=True)
    s_fake = D.get_output_for(fakes, labels, is_training=True)
    return dnnlib.EasyDict(G=G, D=D, opt=opt, training_set=training_set, reals=reals, labels=labels, fakes=fakes, s_real=s_real, s_fake=s_fake)


def softplus(x):
    return tf.nn.softplus(x)


def check(ours, expected, variables):
    ours, expected = tf.reduce_mean(ours), tf.reduce_mean(expected)
    values = tflib.run([ours, expected] + tf.gradients(ours, variables) + tf.gradients(expected, variables))
    assert np.isfinite(values[0])
    np.testing.assert_allclose(values[0], values[1], rtol=1e-5, atol=1e-6)
    half = (len(values) - 2) // 2
    for got, want in zip(values[2:2 + half], values[2 + half:]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def d_args(s):
    return dict(G=s.G, D=s.D, opt=s.opt, training_set=s.training_set, minibatch_size=N, reals=s.reals, labels=s.labels)


def g_args(s):
    return dict(G=s.G, D=s.D, opt=s.opt, training_set=s.training_set, minibatch_size=N)


def r1(s):
    grad = tf.gradients(tf.reduce_sum(s.s_real), [s.reals])[0]
    return tf.reduce_sum(tf.square(grad), axis=[1, 2, 3], keepdims=False)[:, np.newaxis]


def test_generator_losses(setup):
    s = setup
    g_vars = list(s.G.trainables.values())
    check(loss.G_wgan(**g_args(s)), -s.s_fake, g_vars)
    check(loss.G_logistic_saturating(**g_args(s)), -softplus(s.s_fake), g_vars)
    check(loss.G_logistic_nonsaturating(**g_args(s)), softplus(-s.s_fake), g_vars)


def test_discriminator_losses(setup):
    s = setup
    d_vars = list(s.D.trainables.values())
    check(loss.D_wgan(**d_args(s)), s.s_fake - s.s_real + 0.001 * tf.square(s.s_real), d_vars)
    check(loss.D_logistic(**d_args(s)), softplus(s.s_fake) + softplus(-s.s_real), d_vars)
    check(loss.D_hinge(**d_args(s)), tf.maximum(0.0, 1.0 + s.s_fake) + tf.maximum(0.0, 1.0 - s.s_real), d_vars)
    check(loss.D_logistic_simplegp(**d_args(s), r1_gamma=3.0), softplus(s.s_fake) + softplus(-s.s_real) + r1(s) * 1.5, d_vars)


def test_gradient_penalties(setup):
    s = setup
    d_vars = list(s.D.trainables.values())
    mixed = s.reals + (s.fakes - s.reals) * 0.5
    s_mixed = s.D.get_output_for(mixed, s.labels, is_training=True)
    norms = tf.sqrt(tf.reduce_sum(tf.square(tf.gradients(tf.reduce_sum(s_mixed), [mixed])[0]), axis=[1, 2, 3]))[:, np.newaxis]
    gp = tf.square(norms - 2.0) * (5.0 / 4.0)
    expected = s.s_fake - s.s_real + gp + 0.01 * tf.square(s.s_real)
    check(loss.D_wgan_gp(**d_args(s), wgan_lambda=5.0, wgan_epsilon=0.01, wgan_target=2.0), expected, d_vars)

    fake_grad = tf.gradients(tf.reduce_sum(s.s_fake), [s.fakes])[0]
    r2 = tf.reduce_sum(tf.square(fake_grad), axis=[1, 2, 3])[:, np.newaxis]
    check(loss.D_logistic_simplegp(**d_args(s), r1_gamma=0.0, r2_gamma=4.0), softplus(s.s_fake) + softplus(-s.s_real) + r2 * 2.0, d_vars)


def test_fp32_helper(session):
    one = loss.fp32(tf.constant(1, tf.float16))
    pair = loss.fp32((tf.constant(1, tf.float16), tf.constant(2, tf.int32)))
    assert one.dtype == tf.float32 and [t.dtype for t in pair] == [tf.float32, tf.float32]
