"""GAN losses of the original: WGAN(-GP), hinge, logistic (saturating / non-saturating) with R1/R2 penalties.

Each returns per-sample losses; the training loop averages them. Penalties
differentiate through D, which is why the networks define second-order
gradients for their custom ops.
"""

import numpy as np
import tensorflow.compat.v1 as tf

from dnnlib.tflib.autosummary import autosummary


def fp32(*values):
    """Cast to float32: one value gives a tensor, several a tuple."""
    items = values[0] if (len(values) == 1 and isinstance(values[0], tuple)) else values
    cast = tuple(tf.cast(item, tf.float32) for item in items)
    return cast[0] if len(cast) == 1 else cast


def _latents(G, minibatch_size):
    return tf.random_normal([minibatch_size] + G.input_shapes[0][1:])


def _fakes(G, minibatch_size, labels):
    return G.get_output_for(_latents(G, minibatch_size), labels, is_training=True)


def _scores(D, images, labels):
    return fp32(D.get_output_for(images, labels, is_training=True))


def _scaled_gradient(opt, value, wrt):
    """d(value)/d(wrt) computed under the optimizer's loss scaling, returned unscaled in float32."""
    grads = fp32(tf.gradients(opt.apply_loss_scaling(tf.reduce_sum(value)), [wrt])[0])
    return opt.undo_loss_scaling(grads)


def _real_and_fake_scores(G, D, minibatch_size, reals, labels):
    fakes = _fakes(G, minibatch_size, labels)
    real_scores = autosummary("Loss/scores/real", _scores(D, reals, labels))
    fake_scores = autosummary("Loss/scores/fake", _scores(D, fakes, labels))
    return fakes, real_scores, fake_scores


def _gradient_penalty(D, opt, reals, fakes, labels, wgan_lambda, wgan_target):
    """wgan_lambda / target^2 * (|grad D(mix)| - target)^2 at random mixes of reals and fakes."""
    with tf.name_scope("GradientPenalty"):
        mixing_factors = tf.random_uniform([tf.shape(reals)[0], 1, 1, 1], 0.0, 1.0, dtype=fakes.dtype)
        reals = tf.cast(reals, fakes.dtype)  # float16 networks mix in float16
        mixed_images = reals + (fakes - reals) * mixing_factors
        mixed_scores = autosummary("Loss/scores/mixed", _scores(D, mixed_images, labels))
        mixed_grads = _scaled_gradient(opt, mixed_scores, mixed_images)
        mixed_norms = autosummary("Loss/mixed_norms", tf.sqrt(tf.reduce_sum(tf.square(mixed_grads), axis=[1, 2, 3])))
        penalty = tf.square(mixed_norms - wgan_target)
    return penalty * (wgan_lambda / (wgan_target ** 2))

# ----------------------------------------------------------------------------
# WGAN and WGAN-GP (Gulrajani et al. 2017).


def _fake_scores_for_G(G, D, training_set, minibatch_size):
    """D's scores of fakes drawn with random dataset labels (what every G loss starts from)."""
    fake_labels = training_set.get_random_labels_tf(minibatch_size)
    return _scores(D, _fakes(G, minibatch_size, fake_labels), fake_labels)


def G_wgan(G, D, opt,
           training_set, minibatch_size):
    return -_fake_scores_for_G(G, D, training_set, minibatch_size)


def D_wgan(G, D, opt, training_set, minibatch_size, reals, labels, wgan_epsilon=0.001):
    _fakes_out, real_scores, fake_scores = _real_and_fake_scores(G, D, minibatch_size, reals, labels)
    loss = fake_scores - real_scores
    with tf.name_scope("EpsilonPenalty"):
        epsilon_penalty = autosummary("Loss/epsilon_penalty", tf.square(real_scores))
    return loss + epsilon_penalty * wgan_epsilon


def D_wgan_gp(G, D, opt, training_set, minibatch_size, reals, labels, wgan_lambda=10.0, wgan_epsilon=0.001, wgan_target=1.0):
    fakes, real_scores, fake_scores = _real_and_fake_scores(G, D, minibatch_size, reals, labels)
    loss = fake_scores - real_scores
    loss += _gradient_penalty(D, opt, reals, fakes, labels, wgan_lambda, wgan_target)[:, np.newaxis]
    with tf.name_scope("EpsilonPenalty"):
        epsilon_penalty = autosummary("Loss/epsilon_penalty", tf.square(real_scores))
    return loss + epsilon_penalty * wgan_epsilon

# ----------------------------------------------------------------------------
# Hinge loss.


def D_hinge(G, D, opt, training_set,
            minibatch_size, reals, labels):
    _fakes_out, real_scores, fake_scores = _real_and_fake_scores(G, D, minibatch_size, reals, labels)
    return tf.maximum(0.0, 1.0 + fake_scores) + tf.maximum(0.0, 1.0 - real_scores)


def D_hinge_gp(G, D, opt, training_set, minibatch_size, reals, labels, wgan_lambda=10.0, wgan_target=1.0):
    fakes, real_scores, fake_scores = _real_and_fake_scores(G, D, minibatch_size, reals, labels)
    loss = tf.maximum(0.0, 1.0 + fake_scores) + tf.maximum(0.0, 1.0 - real_scores)
    return loss + _gradient_penalty(D, opt, reals, fakes, labels, wgan_lambda, wgan_target)[:, np.newaxis]

# ----------------------------------------------------------------------------
# Logistic losses (Goodfellow et al. 2014) with R1/R2 (Mescheder et al. 2018).


def G_logistic_saturating(G, D, opt,
                          training_set, minibatch_size):
    return -tf.nn.softplus(_fake_scores_for_G(G, D, training_set, minibatch_size))  # log(1 - sigmoid(s)) = -softplus(s)


def G_logistic_nonsaturating(G, D, opt,
                             training_set, minibatch_size):
    return tf.nn.softplus(-_fake_scores_for_G(G, D, training_set, minibatch_size))  # -log(sigmoid(s))


def D_logistic(G, D, opt, training_set,
               minibatch_size, reals, labels):
    _fakes_out, real_scores, fake_scores = _real_and_fake_scores(G, D, minibatch_size, reals, labels)
    return tf.nn.softplus(fake_scores) + tf.nn.softplus(-real_scores)


def D_logistic_simplegp(G, D, opt, training_set, minibatch_size, reals, labels,
                        r1_gamma=10.0, r2_gamma=0.0):
    fakes, real_scores, fake_scores = _real_and_fake_scores(G, D, minibatch_size, reals, labels)
    loss = tf.nn.softplus(fake_scores) + tf.nn.softplus(-real_scores)
    if r1_gamma != 0.0:
        with tf.name_scope("R1Penalty"):
            real_grads = _scaled_gradient(opt, real_scores, reals)
            r1_penalty = autosummary("Loss/r1_penalty", tf.reduce_sum(tf.square(real_grads), axis=[1, 2, 3]))
        loss += r1_penalty[:, np.newaxis] * (r1_gamma * 0.5)
    if r2_gamma != 0.0:
        with tf.name_scope("R2Penalty"):
            fake_grads = _scaled_gradient(opt, fake_scores, fakes)
            r2_penalty = autosummary("Loss/r2_penalty", tf.reduce_sum(tf.square(fake_grads), axis=[1, 2, 3]))
        loss += r2_penalty[:, np.newaxis] * (r2_gamma * 0.5)
    return loss
