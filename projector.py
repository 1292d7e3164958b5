"""Projector: find the dlatents (and noise maps) with which a StyleGAN generator reproduces a given image.

The method of StyleGAN2 (Karras et al. 2020, section 5 and appendix D), for StyleGAN 1 networks: start
from the mean of W, optimise one dlatent (W, tiled to every layer) or one per layer (W+, optional) and
every noise map of the synthesis network with Adam, under a learning-rate ramp, Gaussian noise on the
dlatent that fades out, and a penalty on the noise maps' autocorrelation at several scales.

Distances: 'lpips' (NVIDIA's vgg16_zhang_perceptual.pkl, the network PPL uses, or any replacement) or
'pixel' (mean squared difference in image space, no download). For LPIPS, images above 256x256 are
box-averaged down to 256x256 (as StyleGAN2 does); images below 64x64 are enlarged by pixel repetition
(nearest neighbour, an integer factor) to 64x64, the patch size LPIPS was calibrated on, where VGG16's
last block still sees 4x4 positions (enlarging further to 256 costs 16 times more and adds nothing the
network can use); sizes in between are used as they are. Grayscale images are repeated to RGB.

    proj = Projector(distance="pixel")
    proj.set_network(Gs)
    proj.start(target_images)          # [1, C, H, W] in [-1, 1]
    while proj.get_cur_step() < proj.num_steps:
        proj.step()
    dlatents, noises = proj.get_dlatents(), proj.get_noises()
"""

import numpy as np
import tensorflow.compat.v1 as tf

import dnnlib
import dnnlib.tflib as tflib
from metrics import metric_base
from metrics.perceptual_path_length import LPIPS_URL  # noqa: F401 (also registers the official file and its CDN mirror)

DISTANCES = ("lpips", "pixel")
LPIPS_MAX_SIZE = 256  # larger images are box-averaged down to this size for the perceptual network (StyleGAN2)
LPIPS_MIN_SIZE = 64   # smaller ones are enlarged to this size by pixel repetition


def learning_rate_at(t, initial_learning_rate=0.1, lr_rampdown_length=0.25, lr_rampup_length=0.05):
    """The learning rate at fraction t (0..1) of the steps: a short linear ramp up, a cosine ramp down at the end."""
    ramp = min(1.0, (1.0 - t) / lr_rampdown_length)
    ramp = 0.5 - 0.5 * np.cos(ramp * np.pi)
    ramp *= min(1.0, t / lr_rampup_length)
    return initial_learning_rate * ramp


def dlatent_noise_strength_at(t, dlatent_std, initial_noise_factor=0.05, noise_ramp_length=0.75):
    """Std of the Gaussian noise added to the dlatent at fraction t of the steps; zero after noise_ramp_length."""
    return dlatent_std * initial_noise_factor * max(0.0, 1.0 - t / noise_ramp_length) ** 2


def noise_regularization(noise_vars):
    """Sum over noise maps and their 2x box-downsampled pyramids (down to 8x8) of the squared horizontal and vertical
    autocorrelation at a one-pixel shift: zero for white noise, large for noise that carries image content."""
    total = tf.constant(0.0)
    for var in noise_vars:
        v, size = var, int(var.shape[2])
        while True:
            total += tf.reduce_mean(v * tf.roll(v, shift=1, axis=3)) ** 2 + tf.reduce_mean(v * tf.roll(v, shift=1, axis=2)) ** 2
            if size <= 8:
                break
            v = tf.reduce_mean(tf.reshape(v, [1, 1, size // 2, 2, size // 2, 2]), axis=[3, 5])
            size //= 2
    return total


def images_for_lpips(images, min_size=LPIPS_MIN_SIZE, max_size=LPIPS_MAX_SIZE):
    """NCHW images in [-1, 1] -> RGB in [0, 255], box-averaged down to max_size or enlarged by pixel repetition to min_size."""
    images = (images + 1) * (255 / 2)
    _, channels, height, width = [int(d) for d in images.shape]
    if channels == 1:
        images = tf.broadcast_to(images, [tf.shape(images)[0], 3, height, width])  # not tile: see nearest_upscale2d
        channels = 3
    if height > max_size:
        factor = height // max_size
        images = tf.reduce_mean(tf.reshape(images, [-1, channels, height // factor, factor, width // factor, factor]), axis=[3, 5])
    elif height < min_size:
        factor = -(-min_size // height)
        repeated = tf.broadcast_to(tf.reshape(images, [-1, channels, height, 1, width, 1]), [tf.shape(images)[0], channels, height, factor, width, factor])
        images = tf.reshape(repeated, [-1, channels, height * factor, width * factor])
    return images


def psnr(images_a, images_b, drange=2.0):
    """Peak signal-to-noise ratio in dB of two image arrays whose values span `drange` (2 for [-1, 1], 255 for uint8)."""
    mse = np.mean(np.square(np.asarray(images_a, np.float64) - np.asarray(images_b, np.float64)))
    return float("inf") if mse == 0 else float(10 * np.log10(drange ** 2 / mse))


class Projector:
    """Projects images into a generator's W (or W+) space and noise maps; one image at a time."""

    def __init__(self,
                 distance                = "lpips",      # 'lpips' or 'pixel'
                 perceptual_network      = LPIPS_URL,    # for 'lpips': URL, .pkl, 'module.function' or a tflib.Network
                 trust_pickles           = False,        # let a perceptual network pickle run code stored in it
                 w_plus                  = False,        # optimise one dlatent per layer instead of one for all
                 num_steps               = 1000,
                 dlatent_avg_samples     = 10000,
                 initial_learning_rate   = 0.1,
                 initial_noise_factor    = 0.05,
                 lr_rampdown_length      = 0.25,
                 lr_rampup_length        = 0.05,
                 noise_ramp_length       = 0.75,
                 regularize_noise_weight = 1e5,
                 lpips_min_size          = LPIPS_MIN_SIZE,  # smaller images are enlarged to this size for LPIPS
                 seed                    = 0):           # initial noise maps and dlatent noise: a projection is reproducible
        if distance not in DISTANCES:
            raise dnnlib.util.UserError("Unknown distance '%s'; choose from %s." % (distance, ", ".join(DISTANCES)))
        self.distance, self.perceptual_network, self.trust_pickles = distance, perceptual_network, trust_pickles
        self.w_plus = w_plus
        self.num_steps = num_steps
        self.dlatent_avg_samples = dlatent_avg_samples
        self.initial_learning_rate = initial_learning_rate
        self.initial_noise_factor = initial_noise_factor
        self.lr_rampdown_length = lr_rampdown_length
        self.lr_rampup_length = lr_rampup_length
        self.noise_ramp_length = noise_ramp_length
        self.regularize_noise_weight = regularize_noise_weight
        self.lpips_min_size = lpips_min_size
        self.seed = seed
        self._Gs = None
        self._stats = {}  # label bytes -> (dlatent_avg [1, 1, D], dlatent_std)
        self._cur_step = None

    # ------------------------------------------------------------------------
    # Graph.

    def set_network(self, Gs):
        """Build the optimisation graph for Gs. Its synthesis network is cloned: Gs's own noise maps stay untouched."""
        self._Gs = Gs
        self._stats = {}
        self._synthesis = Gs.components.synthesis.clone()
        _, self.num_layers, self.dlatent_size = self._synthesis.input_shape
        self.noise_names = [name for name in self._synthesis.vars if name.startswith("noise")]
        self._noise_vars = [self._synthesis.vars[name] for name in self.noise_names]
        shape = [1, self.num_layers if self.w_plus else 1, self.dlatent_size]

        with tf.name_scope("Projector"):
            self._dlatents_var = tf.Variable(tf.zeros(shape), name="dlatents_var")
            self._dlatent_noise_in = tf.placeholder(tf.float32, shape, name="dlatent_noise_in")
            dlatents = self._dlatents_var + self._dlatent_noise_in
            self._dlatents_expr = tf.broadcast_to(dlatents, [1, self.num_layers, shape[2]])
            self._images_expr = self._synthesis.get_output_for(self._dlatents_expr, randomize_noise=False)
            self._target_var = tf.Variable(tf.zeros([1] + self._images_expr.shape.as_list()[1:]), name="target_images_var")
            self._dist = self._distance_expr(self._images_expr, self._target_var)
            self._reg = noise_regularization(self._noise_vars)
            self._loss = tf.reduce_sum(self._dist) + self._reg * self.regularize_noise_weight

            self._lr_in = tf.placeholder(tf.float32, [], name="lr_in")
            self._opt = tf.train.AdamOptimizer(learning_rate=self._lr_in, beta1=0.9, beta2=0.999, epsilon=1e-8)
            self._opt_step = self._opt.minimize(self._loss, var_list=[self._dlatents_var] + self._noise_vars)
            self._normalize_noise = tf.group(*[tf.assign(v, (v - tf.reduce_mean(v)) * tf.math.rsqrt(tf.reduce_mean(tf.square(v - tf.reduce_mean(v)))))
                                               for v in self._noise_vars])
        tflib.run([self._dlatents_var.initializer, self._target_var.initializer])

    def _distance_expr(self, images, targets):
        """[N] distances between NCHW images in [-1, 1]."""
        if self.distance == "pixel":
            return tf.reduce_mean(tf.square(images - targets), axis=[1, 2, 3])
        if isinstance(self.perceptual_network, tflib.Network):
            lpips = self.perceptual_network
        else:
            lpips = metric_base.load_aux_network(self.perceptual_network, "The projector's perceptual network", self.trust_pickles, num_inputs=2)
        images, targets = [images_for_lpips(x, min_size=self.lpips_min_size) for x in (images, targets)]
        return tf.reshape(lpips.get_output_for(images, targets), [-1])

    # ------------------------------------------------------------------------
    # Starting point.

    def dlatent_stats(self, labels=None):
        """(mean [1, 1, D], std) of W over dlatent_avg_samples mapped latents (RandomState(123)), as StyleGAN2 computes them.

        labels: [1, label_size] for a class-conditional network (that class), or None (classes drawn uniformly at random).
        """
        label_size = self._Gs.input_shapes[1][1]
        key = None if labels is None or label_size == 0 else np.asarray(labels, np.float32).tobytes()
        if key not in self._stats:
            rnd = np.random.RandomState(123)
            latents = rnd.randn(self.dlatent_avg_samples, *self._Gs.input_shape[1:])
            if label_size == 0:
                label_rows = None
            elif key is None:
                label_rows = np.eye(label_size, dtype=np.float32)[rnd.randint(label_size, size=self.dlatent_avg_samples)]
            else:
                label_rows = np.repeat(np.asarray(labels, np.float32).reshape(1, label_size), self.dlatent_avg_samples, axis=0)
            samples = self._Gs.components.mapping.run(latents, label_rows, minibatch_size=1000)[:, :1, :]  # [N, 1, D]
            avg = np.mean(samples, axis=0, keepdims=True)
            std = float(np.sqrt(np.sum(np.square(samples - avg)) / self.dlatent_avg_samples))
            self._stats[key] = (avg.astype(np.float32), std)
        return self._stats[key]

    def start(self, target_images, labels=None):
        """Begin projecting one image: target_images [1, C, H, W] in [-1, 1] at the network's resolution."""
        assert self._Gs is not None, "set_network() first"
        target_images = np.asarray(target_images, np.float32)
        expected = [1] + self._target_var.shape.as_list()[1:]
        if list(target_images.shape) != expected:
            raise ValueError("target_images must have shape %s, not %s" % (expected, list(target_images.shape)))
        avg, self._dlatent_std = self.dlatent_stats(labels)
        self._rnd = np.random.RandomState(self.seed)
        values = {self._target_var: target_images, self._dlatents_var: np.tile(avg, [1, self._dlatents_var.shape[1], 1])}
        values.update({var: self._rnd.randn(*var.shape.as_list()).astype(np.float32) for var in self._noise_vars})
        tflib.set_vars(values)
        tflib.run([var.initializer for var in self._opt.variables()])
        self._cur_step = 0

    # ------------------------------------------------------------------------
    # Steps and results.

    def step(self):
        """One optimisation step; returns (distance, loss) before the step."""
        assert self._cur_step is not None, "start() first"
        t = self._cur_step / self.num_steps
        strength = dlatent_noise_strength_at(t, self._dlatent_std, self.initial_noise_factor, self.noise_ramp_length)
        lr = learning_rate_at(t, self.initial_learning_rate, self.lr_rampdown_length, self.lr_rampup_length)
        noise = (self._rnd.randn(*self._dlatents_var.shape.as_list()) * strength).astype(np.float32)
        _, dist, loss = tflib.run([self._opt_step, self._dist, self._loss], {self._dlatent_noise_in: noise, self._lr_in: lr})
        tflib.run(self._normalize_noise)
        self._cur_step += 1
        return float(dist[0]), float(loss)

    def get_cur_step(self):
        return self._cur_step

    def _without_noise(self):
        return {self._dlatent_noise_in: np.zeros(self._dlatents_var.shape.as_list(), np.float32)}

    def get_dlatents(self):
        """[1, num_layers, dlatent_size]: what the synthesis network takes."""
        return tflib.run(self._dlatents_expr, self._without_noise())

    def get_noises(self):
        """{noise variable name: [1, 1, H, W] array}, to set on Gs.components.synthesis."""
        return dict(zip(self.noise_names, tflib.run(self._noise_vars)))

    def get_images(self):
        """[1, C, H, W] in [-1, 1]: the current projection."""
        return tflib.run(self._images_expr, self._without_noise())

    def get_distance(self):
        """The distance of the current projection (no dlatent noise) to the target."""
        return float(tflib.run(self._dist, self._without_noise())[0])
