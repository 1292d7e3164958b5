"""StyleGAN networks against the original code's reference vectors (tests/data; its README gives the tolerance model)."""

import json
import os
import pickle
import platform
import subprocess
import sys

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import dnnlib.tflib as tflib
from conftest import DATA_DIR, REPO_ROOT
from training import networks_stylegan as ns

CONFIGS = ["sgan32", "sgan32_cond_fused"]

# Gradients jump where a leaky ReLU's input crosses zero, so a unit that sits within float rounding of its kink can
# take the other slope on another CPU (sgan32 D_grad: unit 1442 of D/4x4/Conv in sample 1, input 7.5e-7 of a 3.7 scale).
# One such flip spoils at most 4.8% of D_grad entries (the unit's receptive field) but a whole sample's row of
# G_grad_latents (25%); a wrong gradient formula spoils 43-100% of them. Measured numbers: tests/data/README.md.
GRADIENT_TOLERANCE = {  # key -> (largest fraction of entries outside the elementwise tolerance, largest ||ours-ref|| / ||ref||)
    "D_grad": (0.10, 0.02),          # one flip: 4.7% and 0.95%; two flips of near-kink units: <= 6.7% and 1.9%
    "G_grad_latents": (0.50, 0.01),  # one flip: 25% and 0.32%, so two samples may flip; a 1% error in one op's gradient: 97%
}
PERTURBATIONS = {"D_grad": (1e-6, 1e-5), "G_grad_latents": (1e-6,)}  # input noise (absolute, Gaussian) the comparison must survive
PERTURBATION_SEEDS = range(4)
FLOAT_KEYS = ["Gs_default", "Gs_validation", "Gs_psi05_cut3", "mapping", "synthesis", "synthesis_fixed", "D_score"] + list(GRADIENT_TOLERANCE) + \
             ["Gs_lod%s" % L for L in (0.0, 0.5, 1.0, 1.7)] + ["D_lod%s" % L for L in (0.0, 0.5, 1.0, 1.7)]


def gradient_calls(G, D, ref):
    """(images -> (D_score, D_grad)) and (latents -> G_grad_latents) as the reference README defines them."""
    labels = tf.constant(ref["labels"])
    x = tf.placeholder(tf.float32, ref["Gs_default"].shape)
    scores = D.get_output_for(x, labels, is_training=True)
    d_grad = tf.gradients(tf.reduce_sum(scores), [x])[0]
    z = tf.placeholder(tf.float32, ref["latents"].shape)
    images = G.get_output_for(z, labels, is_training=False, is_validation=True, randomize_noise=False)
    g_grad = tf.gradients(tf.reduce_sum(images * images), [z])[0]
    return (lambda value: tflib.run([scores, d_grad], {x: value})), (lambda value: tflib.run(g_grad, {z: value}))


def perturbed(array, magnitude, seed):
    return array + (magnitude * np.random.RandomState(seed).standard_normal(array.shape)).astype(array.dtype)


def compute_reference_calls(G, D, Gs, ref):
    """Repeat every call listed in the reference README with our networks; out["perturbed"] holds the gradients
    at inputs moved by PERTURBATIONS, keyed (key, magnitude, seed)."""
    lat, lab = ref["latents"], ref["labels"]
    out = {}
    out["Gs_default"] = Gs.run(lat, lab, randomize_noise=False)
    out["Gs_validation"] = Gs.run(lat, lab, is_validation=True, randomize_noise=False)
    out["Gs_psi05_cut3"] = Gs.run(lat, lab, truncation_psi=0.5, truncation_cutoff=3, randomize_noise=False)
    out["mapping"] = Gs.components.mapping.run(lat, lab)
    out["synthesis"] = Gs.components.synthesis.run(ref["mapping"], randomize_noise=False)
    out["synthesis_fixed"] = Gs.components.synthesis.run(ref["mapping"], randomize_noise=False, structure="fixed")
    out["Gs_uint8"] = Gs.run(lat, lab, truncation_psi=0.7, randomize_noise=False,
                             output_transform=dict(func=tflib.convert_images_to_uint8, nchw_to_nhwc=True))
    d_call, g_call = gradient_calls(G, D, ref)
    out["D_score"], out["D_grad"] = d_call(ref["Gs_default"])
    out["G_grad_latents"] = g_call(lat)
    out["perturbed"] = {}
    for seed in PERTURBATION_SEEDS:
        for magnitude in PERTURBATIONS["D_grad"]:
            out["perturbed"]["D_grad", magnitude, seed] = d_call(perturbed(ref["Gs_default"], magnitude, seed))[1]
        for magnitude in PERTURBATIONS["G_grad_latents"]:
            out["perturbed"]["G_grad_latents", magnitude, seed] = g_call(perturbed(lat, magnitude, seed))
    for lod in (0.0, 0.5, 1.0, 1.7):
        Gs.set_var("lod", lod)
        Gs.components.synthesis.set_var("lod", lod)
        D.set_var("lod", lod)
        out["Gs_lod%s" % lod] = Gs.run(lat, lab, is_validation=True, randomize_noise=False)
        out["D_lod%s" % lod] = D.run(ref["Gs_default"], lab)
    return out


@pytest.fixture(scope="module", params=CONFIGS)
def parity(request):
    """(ours, reference) for one configuration, loaded with plain pickle.load as the original README does."""
    ref = np.load(os.path.join(DATA_DIR, request.param + ".npz"))
    with tf.Graph().as_default(), tflib.create_session().as_default():
        with open(os.path.join(DATA_DIR, request.param + ".pkl"), "rb") as f:
            G, D, Gs = pickle.load(f)
        yield compute_reference_calls(G, D, Gs, ref), ref


def elementwise_tolerance(ref):
    return 1e-4 * np.abs(ref).max() + 1e-5


def assert_within_tolerance(ours, ref):
    """Forward outputs are continuous in every input: strict elementwise bound."""
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    error = np.abs(ours - ref).max()
    assert error <= elementwise_tolerance(ref), "max error %g" % error


def assert_gradient_within_tolerance(ours, ref, key):
    """Exact (elementwise bound) almost everywhere, and close in L2 overall: robust to a few leaky-ReLU kinks."""
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    max_outside, max_rel_l2 = GRADIENT_TOLERANCE[key]
    outside = float(np.mean(np.abs(ours - ref) > elementwise_tolerance(ref)))
    rel_l2 = float(np.linalg.norm(ours - ref) / np.linalg.norm(ref))
    assert outside <= max_outside and rel_l2 <= max_rel_l2, "%s: %.2f%% of entries outside the elementwise tolerance (at most %g%%), " \
        "relative L2 error %.3g (at most %g)" % (key, 100 * outside, 100 * max_outside, rel_l2, max_rel_l2)


@pytest.mark.parametrize("key", FLOAT_KEYS)
def test_matches_reference(parity, key):
    ours, ref = parity
    if key in GRADIENT_TOLERANCE:
        assert_gradient_within_tolerance(ours[key], ref[key], key)
    else:
        assert_within_tolerance(ours[key], ref[key])


@pytest.mark.parametrize("key", list(GRADIENT_TOLERANCE))
def test_gradient_comparison_survives_input_noise(parity, key):
    """Float-level input differences (1e-6, and 1e-5 for D) must not break the gradient comparison: it is not tuned to one CPU."""
    ours, ref = parity
    for magnitude in PERTURBATIONS[key]:
        for seed in PERTURBATION_SEEDS:
            grad = ours["perturbed"][key, magnitude, seed]
            assert not np.array_equal(grad, ours[key])  # the noise reached the gradient
            assert_gradient_within_tolerance(grad, ref[key], key)


def test_uint8_matches_reference(parity):
    ours, ref = parity
    diff = np.abs(ours["Gs_uint8"].astype(np.int32) - ref["Gs_uint8"].astype(np.int32))
    assert ours["Gs_uint8"].dtype == np.uint8 and diff.max() <= 1 and (diff > 0).mean() <= 0.001


@pytest.mark.parametrize("config", CONFIGS)
def test_variables_match_reference_layout(session, config):
    with open(os.path.join(DATA_DIR, config + ".pkl"), "rb") as f:
        G, D, Gs = pickle.load(f)
    layout = json.load(open(os.path.join(DATA_DIR, config + ".json")))
    assert {k: v.shape.as_list() for k, v in G.vars.items()} == layout["G_vars"]
    assert {k: v.shape.as_list() for k, v in D.vars.items()} == layout["D_vars"]
    assert list(Gs.components.keys()) == ["synthesis", "mapping"]


@pytest.mark.slow
def test_official_ffhq_layout_and_parameter_count(session, capsys):
    kwargs = dict(num_channels=3, resolution=1024, label_size=0)
    G = tflib.Network("G", func_name="training.networks_stylegan.G_style", **kwargs)
    D = tflib.Network("D", func_name="training.networks_stylegan.D_basic", **kwargs)
    Gs = G.clone("Gs")
    layout = json.load(open(os.path.join(DATA_DIR, "ffhq1024_official_layout.json")))
    assert {k: v.shape.as_list() for k, v in Gs.vars.items()} == layout["G_vars"]
    assert {k: v.shape.as_list() for k, v in D.vars.items()} == layout["D_vars"]
    Gs.print_layers()
    D.print_layers()
    out = capsys.readouterr().out
    assert "Total                           26219627" in out
    assert "Total                 23087249" in out
    assert "G_synthesis/4x4/Const           534528    (?, 512, 4, 4)       (512,)" in out
    assert "images_out                      -         (?, 3, 1024, 1024)   -" in out


def test_style_mixing_and_dlatent_avg_in_training(session):
    G = tflib.Network("G", func_name="training.networks_stylegan.G_style", num_channels=1, resolution=16,
                      fmap_base=64, fmap_max=16, latent_size=8, dlatent_size=8, mapping_fmaps=8, mapping_layers=2)
    latents = tf.constant(np.random.RandomState(0).randn(4, 8).astype(np.float32))
    dlatents = G.components.mapping.get_output_for(latents, None)
    images = G.get_output_for(latents, None, is_training=True, style_mixing_prob=0.0, dlatent_avg_beta=0.5)
    w0, _ = tflib.run([dlatents, images])
    np.testing.assert_allclose(G.get_var("dlatent_avg"), 0.5 * w0[:, 0].mean(axis=0), rtol=1e-5, atol=1e-7)

# ----------------------------------------------------------------------------
# Resampling convolutions above the reference vectors' 32x32: each implementation against the layer's plain definition.


def definition_of_upscale_conv(x, w, fused):
    """What the 2x upsampling conv is: nearest upsampling then the 3x3 conv, or (fused) the original's transposed
    convolution with the pad-and-add 4x4 kernel."""
    if not fused:
        return tf.nn.conv2d(ns.nearest_upscale2d(x), w, strides=[1, 1, 1, 1], padding="SAME")
    h, width = x.shape[1].value, x.shape[2].value
    kernel = tf.transpose(ns._pad_and_add(w), [0, 1, 3, 2])
    return tf.nn.conv2d_transpose(x, kernel, [tf.shape(x)[0], 2 * h, 2 * width, w.shape[3].value], strides=[1, 2, 2, 1], padding="SAME")


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("size,transposed", [(32, None), (16, False), (32, False), (16, True), (32, True)])  # None: chosen for this machine
def test_upscale_conv_matches_its_definition_with_gradients(session, fused, size, transposed):
    rnd = np.random.RandomState(size)
    x = tf.constant(rnd.randn(2, size, size, 6).astype(np.float32))
    w = tf.constant(rnd.randn(3, 3, 6, 5).astype(np.float32))
    coef = 0.37  # a runtime weight constant, which the implementation folds into its tap mixes
    ours = ns._upscale_conv_2x(x, w, ns._UP_ROWS_FUSED if fused else ns._UP_ROWS_UNFUSED, coef, transposed)
    reference = definition_of_upscale_conv(x, w * coef, fused)
    probe = tf.constant(rnd.randn(2, 2 * size, 2 * size, 5).astype(np.float32))
    results = tflib.run([ours, reference] + tf.gradients(tf.reduce_sum(ours * probe), [x, w]) + tf.gradients(tf.reduce_sum(reference * probe), [x, w]))
    ours_value, reference_value, ours_grads, reference_grads = results[0], results[1], results[2:4], results[4:6]
    for got, want in zip([ours_value] + ours_grads, [reference_value] + reference_grads):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * np.abs(want).max())


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("size", [16, 64])
def test_downscale_conv_matches_its_definition_with_gradients(session, fused, size):
    """conv then 2x2 box average (unfused), or the original's stride-2 conv with a quarter of the pad-and-add kernel (fused)."""
    rnd = np.random.RandomState(size)
    x = tf.constant(rnd.randn(2, size, size, 6).astype(np.float32))
    with tf.variable_scope("downscale_%d_%s" % (size, fused)) as scope:
        ours = ns.conv2d_downscale2d(x, fmaps=5, kernel=3, fused_scale=fused, use_wscale=True)
    with tf.variable_scope(scope, reuse=True):
        variable = tf.get_variable("weight")
    w = variable * np.sqrt(2 / (3 * 3 * 6))  # the He constant, applied at runtime
    tflib.init_uninitialized_vars()
    if fused:
        reference = tf.nn.conv2d(x, ns._pad_and_add(w) * 0.25, strides=[1, 2, 2, 1], padding="SAME")
    else:
        reference = tf.nn.avg_pool(tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME"), ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")
    probe = tf.constant(rnd.randn(2, size // 2, size // 2, 5).astype(np.float32))
    results = tflib.run([ours, reference] + tf.gradients(tf.reduce_sum(ours * probe), [x, variable]) +
                        tf.gradients(tf.reduce_sum(reference * probe), [x, variable]))
    for got, want in zip([results[0]] + results[2:4], [results[1]] + results[4:6]):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * np.abs(want).max())

def is_strips_conv(op):
    """The strips' convolution: padded explicitly, in width only (the plain one is 'SAME')."""
    return op.type == "Conv2D" and op.get_attr("padding") == b"EXPLICIT"


@pytest.mark.parametrize("height,static_batch", [(64, 1), (64, None), (1024, None)])
def test_single_image_strips_match_the_plain_conv_with_gradients(session, monkeypatch, height, static_batch):
    """conv2d's strips (a minibatch of one, where they are faster) compute the plain convolution, first and second
    derivatives included; minibatches of several images take the plain convolution."""
    monkeypatch.setattr(ns, "_strips_are_faster", lambda x: True)
    rnd = np.random.RandomState(height)
    x = tf.placeholder(tf.float32, [static_batch, height, 8, 6])
    with tf.variable_scope("strips_%d_%s" % (height, static_batch)) as scope:
        ours = ns.conv2d(x, fmaps=5, kernel=3, use_wscale=True, split_single_images=True)
    with tf.variable_scope(scope, reuse=True):
        variable = tf.get_variable("weight")
    tflib.init_uninitialized_vars()
    reference = tf.nn.conv2d(x, variable * np.sqrt(2 / (3 * 3 * 6)), strides=[1, 1, 1, 1], padding="SAME")
    assert any(is_strips_conv(op) for op in tf.get_default_graph().get_operations())  # the strips are in the graph

    probe = tf.constant(rnd.randn(1, height, 8, 5).astype(np.float32))

    def with_derivatives(y):
        grad_x, grad_w = tf.gradients(tf.reduce_sum(y * probe), [x, variable])
        return [y, grad_x, grad_w, tf.gradients(tf.reduce_sum(tf.square(grad_x)), [variable])[0]]
    ours, reference = with_derivatives(ours), with_derivatives(reference)
    for batch in [1] if static_batch else [1, 3]:
        feed = {x: rnd.randn(batch, height, 8, 6).astype(np.float32)}
        for got, want in zip(tflib.run(ours, feed), tflib.run(reference, feed)):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * np.abs(want).max())


def compiled_convs(graph):
    """Conv2D ops XLA compiles: those built in a jit scope."""
    return [op for op in graph.get_operations() if op.type == "Conv2D" and "_XlaCompile" in op.node_def.attr and op.get_attr("_XlaCompile")]


@pytest.mark.parametrize("upsampling", [False, True])
@pytest.mark.parametrize("static_batch", [1, None])
def test_single_image_xla_convs_match_the_plain_ones_with_gradients(session, monkeypatch, upsampling, static_batch):
    """conv2d's and the upsampling phases' single-image XLA convolutions compute the plain ones, first and second
    derivatives included; minibatches of several images take the plain ones."""
    monkeypatch.setattr(ns, "_xla_convs_are_faster", lambda x: True)
    rnd = np.random.RandomState(7)
    x = tf.placeholder(tf.float32, [static_batch, 16, 16, 6])
    w = tf.constant(rnd.randn(3, 3, 6, 5).astype(np.float32))
    graph = tf.get_default_graph()
    before = set(graph.get_operations())
    if upsampling:
        def conv(single_image_xla):
            return ns._upscale_conv_2x(x, w, ns._UP_ROWS_UNFUSED, 0.5, transposed=False, single_image_xla=single_image_xla)
    else:
        def conv(single_image_xla):
            with tf.variable_scope("xla_conv_%s_%s" % (static_batch, single_image_xla)):
                return ns.conv2d(x, fmaps=5, kernel=3, single_image_xla=single_image_xla)
    ours = conv(True)
    assert len([op for op in compiled_convs(graph) if op not in before]) == (4 if upsampling else 1)
    reference = conv(False)
    tflib.init_uninitialized_vars()
    probe = tf.constant(rnd.randn(*[1] + reference.shape.as_list()[1:]).astype(np.float32))
    weights = [w] if upsampling else [v for v in tf.global_variables() if v.name.startswith("xla_conv_%s_" % static_batch)]

    def with_derivatives(y, weight):
        grad_x, grad_w = tf.gradients(tf.reduce_sum(y * probe), [x, weight])
        return [y, grad_x, grad_w, tf.gradients(tf.reduce_sum(tf.square(grad_x)), [weight])[0]]
    ours, reference = with_derivatives(ours, weights[0]), with_derivatives(reference, weights[-1])
    if not upsampling:
        tflib.set_vars({weights[-1]: tflib.run(weights[0])})
    for batch in [1] if static_batch else [1, 3]:
        feed = {x: rnd.randn(batch, 16, 16, 6).astype(np.float32)}
        for got, want in zip(tflib.run(ours, feed), tflib.run(reference, feed)):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * np.abs(want).max())


def is_winograd_product(op):
    return op.type == "BatchMatMulV2" and ns.built_in_scope(op, ns.WINOGRAD_SCOPE)


def winograd_products(graph):
    """The batched matmuls of Winograd convolutions in graph."""
    return [op for op in graph.get_operations() if is_winograd_product(op)]


def tiny_generator(name, resolution):
    """A G_style of at most 16 channels and 8-wide latents, for tests of the graphs it builds."""
    return tflib.Network(name, func_name="training.networks_stylegan.G_style", num_channels=3, resolution=resolution,
                         fmap_base=64, fmap_max=16, latent_size=8, dlatent_size=8, mapping_fmaps=8, mapping_layers=2)


def images_and_new_ops(G, latents, select, **kwargs):
    """G's images of latents (fixed noise) built with kwargs, and those ops the building added for which select(op) holds."""
    graph = tf.get_default_graph()
    before = set(graph.get_operations())
    images = G.get_output_for(latents, None, randomize_noise=False, **kwargs)
    return images, [op for op in graph.get_operations() if op not in before and select(op)]


@pytest.mark.parametrize("static_batch, height, width", [(1, 8, 6), (None, 8, 6), (None, 2, 4)])
def test_winograd_convs_match_the_plain_ones_with_gradients(session, monkeypatch, static_batch, height, width):
    """conv2d by Winograd's F(2x2, 3x3) computes the plain 'SAME' convolution, borders included, with first and second
    derivatives (the plain ones), for any minibatch; a Winograd convolution that slid its tiles or dropped a term
    of a transform fails here."""
    monkeypatch.setattr(ns, "_winograd_is_faster", lambda x, fmaps: True)
    rnd = np.random.RandomState(height + width)
    x = tf.placeholder(tf.float32, [static_batch, height, width, 6])
    graph = tf.get_default_graph()
    scope = "winograd_%s_%d_%d" % (static_batch, height, width)
    with tf.variable_scope(scope) as variables:
        ours = ns.conv2d(x, fmaps=5, kernel=3, use_wscale=True, winograd=True) + 0.5  # an op after it, as in the networks
    with tf.variable_scope(variables, reuse=True):
        variable = tf.get_variable("weight")
    assert len(winograd_products(graph)) == 1 and not [op for op in graph.get_operations() if op.type == "Conv2D" and op.name.startswith(scope)]
    variable_values = rnd.randn(3, 3, 6, 5).astype(np.float32)
    tflib.set_vars({variable: variable_values})
    reference = tf.nn.conv2d(x, variable * np.sqrt(2 / (3 * 3 * 6)), strides=[1, 1, 1, 1], padding="SAME") + 0.5
    probe = tf.constant(rnd.randn(1, height, width, 5).astype(np.float32))

    def with_derivatives(y):
        grad_x, grad_w = tf.gradients(tf.reduce_sum(y * probe), [x, variable])
        return [y, grad_x, grad_w, tf.gradients(tf.reduce_sum(tf.square(grad_x)), [variable])[0]]
    before = set(graph.get_operations())
    ours, reference = with_derivatives(ours), with_derivatives(reference)
    gradient_ops = [op for op in graph.get_operations() if op not in before]
    assert not [op for op in gradient_ops if op.type == "BatchMatMulV2" or ns.built_in_scope(op, ns.WINOGRAD_SCOPE)]  # the plain gradient
    for batch in [1] if static_batch else [1, 3]:
        feed = {x: (rnd.randn(batch, height, width, 6) + 2).astype(np.float32)}  # an offset, as after an activation
        for got, want in zip(tflib.run(ours, feed), tflib.run(reference, feed)):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * np.abs(want).max())


@pytest.mark.parametrize("onednn, gpu", [(True, False), (False, False), (True, True)])
def test_winograd_only_where_it_was_measured_faster(monkeypatch, onednn, gpu):
    """oneDNN's CPU kernels, float32, from 32x32 and 256 channels in and out; even sizes (2x2 tiles)."""
    monkeypatch.setattr(tflib, "onednn_enabled", lambda: onednn)
    monkeypatch.setattr(tflib, "gpu_available", lambda: gpu)
    expected = onednn and not gpu
    with tf.Graph().as_default():
        def faster(shape, fmaps=256, dtype=tf.float32):
            return ns._winograd_is_faster(tf.placeholder(dtype, shape), fmaps)
        assert faster([None, 32, 32, 256]) is expected and faster([8, 64, 128, 512], 512) is expected
        assert not faster([None, 16, 16, 512], 512)  # too few tiles for the kernel's transform
        assert not faster([None, 16, 64, 256]) and not faster([None, 64, 16, 256])
        assert not faster([None, 32, 32, 128]) and not faster([None, 32, 32, 512], 128)  # memory-bound
        assert not faster([None, 33, 32, 256]) and not faster([None, 32, 33, 256])  # odd sizes have no 2x2 tiles
        assert not faster([None, 32, None, 256])
        assert not faster([None, 32, 32, 256], dtype=tf.bfloat16)


def test_generator_takes_winograd_convs_in_generation_not_in_training(session, monkeypatch):
    """A generator's images are the same by Winograd convolutions; xla=False, winograd=False and training graphs have none."""
    monkeypatch.setattr(ns, "_winograd_is_faster", lambda x, fmaps: x.shape[1].value >= 8)
    G = tiny_generator("G_winograd", 16)
    latents = tf.placeholder(tf.float32, [None, 8])

    def images_and_products(**kwargs):
        return images_and_new_ops(G, latents, is_winograd_product, **kwargs)
    (winograd, products), (plain, no_products) = images_and_products(), images_and_products(winograd=False)
    assert len(products) == 2 and not no_products  # Conv1 at 8x8 and 16x16
    assert not images_and_products(xla=False)[1] and not images_and_products(is_training=True)[1]
    assert not images_and_products(is_training=True, xla=True)[1]  # training graphs have none even with XLA's tails
    for batch in (1, 3):
        feed = {latents: np.random.RandomState(batch).randn(batch, 8).astype(np.float32)}
        got, want = tflib.run([winograd, plain], feed)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * np.abs(want).max())


def test_generator_strips_single_images_in_generation_not_in_training(session, monkeypatch):
    """A 64x64 generator's one-image output is the same with strips; training graphs get none (no branch, no slices)."""
    monkeypatch.setattr(ns, "_strips_are_faster", lambda x: True)
    G = tiny_generator("G_strips", 64)
    latents = tf.placeholder(tf.float32, [None, 8])

    def strips_ops(**kwargs):  # xla=False: no XLA compilations to wait for
        return images_and_new_ops(G, latents, lambda op: is_strips_conv(op) and "/Conv1/" in op.name, xla=False, **kwargs)
    (with_strips, ops), (without, no_ops) = strips_ops(), strips_ops(single_image_strips=False)
    assert ops and not no_ops and not strips_ops(is_training=True)[1]
    probe = tf.constant(np.random.RandomState(0).randn(1, 3, 64, 64).astype(np.float32))
    gradients = [tf.gradients(tf.reduce_sum(images[:1] * probe), [latents])[0] for images in (with_strips, without)]  # the projector's path
    for batch in (1, 2):
        feed = {latents: np.random.RandomState(batch).randn(batch, 8).astype(np.float32)}
        for got, want in zip(*tflib.run([[with_strips, gradients[0]], [without, gradients[1]]], feed)):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * np.abs(want).max())


ONEDNN_AVX2_CASES = [  # (CPU flags, oneDNN on, GPU visible, whether oneDNN's AVX2 kernels run)
    ({"avx2"}, True, False, True), ({"avx2", "avx512f"}, True, False, False), (set(), True, False, False),
    ({"avx2"}, False, False, False), ({"avx2"}, True, True, False)]


@pytest.mark.parametrize("flags, onednn, gpu, expected", ONEDNN_AVX2_CASES)
def test_single_image_kernels_only_where_they_were_measured_faster(monkeypatch, flags, onednn, gpu, expected):
    """oneDNN's AVX2 kernels only: cuDNN, TensorFlow's own kernels and oneDNN's AVX-512 ones are not slow for one
    image. Strips from 64x64 up, XLA's kernels at 16x16 and 32x32."""
    monkeypatch.setattr(tflib, "cpu_flags", lambda: frozenset(flags))
    monkeypatch.setattr(tflib, "onednn_enabled", lambda: onednn)
    monkeypatch.setattr(tflib, "gpu_available", lambda: gpu)
    with tf.Graph().as_default():
        assert ns._strips_are_faster(tf.placeholder(tf.float32, [None, 64, 64, 8])) is expected
        assert not ns._strips_are_faster(tf.placeholder(tf.float32, [None, 32, 32, 8]))  # too small to gain
        assert not ns._strips_are_faster(tf.placeholder(tf.float32, [2, 64, 64, 8]))  # several images
        assert not ns._strips_are_faster(tf.placeholder(tf.bfloat16, [None, 64, 64, 8]))  # TensorFlow's own kernels on AVX2
        assert not ns._strips_are_faster(tf.placeholder(tf.float32, [None, 776, 64, 8]))  # 3 strips do not divide 776 rows
        assert not ns._strips_are_faster(tf.placeholder(tf.float32, [None, 64, None, 8]))  # reshapes need the width
        for size in (16, 32):
            assert ns._xla_convs_are_faster(tf.placeholder(tf.float32, [None, size, size, 8])) is expected
            assert ns._xla_convs_are_faster(tf.placeholder(tf.float32, [1, size, size, 8])) is expected
        for size in (8, 64):  # oneDNN's kernels; the strips
            assert not ns._xla_convs_are_faster(tf.placeholder(tf.float32, [None, size, size, 8]))
        assert not ns._xla_convs_are_faster(tf.placeholder(tf.float32, [2, 16, 16, 8]))
        assert not ns._xla_convs_are_faster(tf.placeholder(tf.bfloat16, [None, 16, 16, 8]))


@pytest.mark.parametrize("flags, onednn, gpu, expected", ONEDNN_AVX2_CASES)
def test_instance_norm_means_as_matmuls_only_where_they_were_measured_faster(monkeypatch, flags, onednn, gpu, expected):
    """oneDNN's AVX2 matmuls beat TensorFlow's Mean, its AVX-512 ones do not; training graphs (xla=False) keep Mean."""
    monkeypatch.setattr(tflib, "cpu_flags", lambda: frozenset(flags))
    monkeypatch.setattr(tflib, "onednn_enabled", lambda: onednn)
    monkeypatch.setattr(tflib, "gpu_available", lambda: gpu)
    for xla in (True, False):
        with tf.Graph().as_default() as graph:
            ns.instance_norm(tf.placeholder(tf.float32, [None, 8, 8, 4]), xla=xla)
            kinds = {op.type for op in graph.get_operations()}
            assert ("BatchMatMulV2" in kinds) is (expected and xla)
            assert ("Mean" in kinds) is not (expected and xla)


# ----------------------------------------------------------------------------
# XLA-compiled layer tails (xla=True) against the plain TensorFlow ops, for each layer layout the synthesis offers.

LAYER_LAYOUTS = {
    "styled": {},
    "no_noise": dict(use_noise=False),
    "pixel_norm_traditional": dict(use_styles=False, use_pixel_norm=True, use_instance_norm=False, use_noise=False, const_input_layer=False),
    "instance_norm_unstyled": dict(use_styles=False),
    "styled_without_instance_norm": dict(use_instance_norm=False),
}


@pytest.mark.parametrize("layout", sorted(LAYER_LAYOUTS))
def test_xla_layer_tails_match_plain_ops_with_gradients(session, layout):
    """Images elementwise; each weight's gradient in relative L2 (1%), which a unit that sits within float rounding of a
    leaky ReLU's kink moves by far less, and a wrong gradient formula in any layer by far more. Every variable is
    random (the constant input starts as ones, biases and noise weights as zeros), so that no instance norm sees a
    constant map, whose 1e4 factor would swamp the other gradients."""
    synthesis = tflib.Network("G_synthesis_" + layout, func_name="training.networks_stylegan.G_synthesis", dlatent_size=16,
                              num_channels=3, resolution=32, fmap_base=128, fmap_max=32, **LAYER_LAYOUTS[layout])
    rnd = np.random.RandomState(0)
    tflib.set_vars({var: rnd.randn(*var.shape.as_list()).astype(np.float32) for var in synthesis.trainables.values()})
    dlatents = tf.constant(rnd.randn(2, *synthesis.input_shape[1:]).astype(np.float32))
    weights = list(synthesis.trainables.values())
    outputs = {}
    for xla in (False, True):
        images = synthesis.get_output_for(dlatents, randomize_noise=False, xla=xla)
        outputs[xla] = [images] + tf.gradients(tf.reduce_sum(images * images), weights)
    metadata = tf.RunMetadata()
    plain, compiled = tf.get_default_session().run([outputs[False], outputs[True]], options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                                                    run_metadata=metadata)
    kernels = [node.timeline_label for device in metadata.step_stats.dev_stats for node in device.node_stats]
    assert any("= _XlaRun(" in kernel for kernel in kernels), "no XLA cluster ran"
    assert np.abs(plain[0]).max() > 0.1
    np.testing.assert_allclose(compiled[0], plain[0], rtol=0, atol=1e-5 * np.abs(plain[0]).max())
    compared = 0
    for weight, want, got in zip(weights, plain[1:], compiled[1:]):
        if not want.any():  # the ToRGB layers of lower levels, which lod 0 does not use
            assert not got.any(), weight.name
            continue
        assert np.linalg.norm(got - want) <= 0.01 * np.linalg.norm(want), weight.name
        compared += 1
    assert compared == len([w for w in weights if "ToRGB" not in w.name or "ToRGB_lod0" in w.name])


@pytest.mark.parametrize("batch,height,width,channels", [(1, 64, 32, 3), (3, 16, 16, 8), (2, 256, 256, 2)])
def test_spatial_mean_of_generation_graphs_matches_float64(session, batch, height, width, channels):
    """The matmul means of generation graphs' instance norm, per sample and channel, against numpy's in float64; on
    maps with a large offset and each channel's own, where a swapped axis or a missing sample would show at once."""
    rnd = np.random.RandomState(1)
    x = (rnd.randn(batch, height, width, channels) * 0.3 + 3.0 * rnd.randn(batch, 1, 1, channels)).astype(np.float32)
    got = tf.get_default_session().run(ns._spatial_mean(tf.constant(x)))
    want = x.astype(np.float64).mean(axis=(1, 2), keepdims=True)
    assert got.shape == (batch, 1, 1, channels)
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-5)


def test_generation_is_the_same_on_every_call(session):
    """A new minibatch size's first call runs the XLA loops too (no lazy compilation), so it equals the later calls."""
    Gs = tflib.Network("G_repeat", func_name="training.networks_stylegan.G_style", num_channels=3, resolution=32,
                       fmap_base=128, fmap_max=32, latent_size=16, dlatent_size=16, mapping_fmaps=16, mapping_layers=2)
    rnd = np.random.RandomState(0)
    tflib.set_vars({var: rnd.randn(*var.shape.as_list()).astype(np.float32) for var in Gs.trainables.values()})
    latents = rnd.randn(3, 16)
    Gs.run(latents[:2], None, randomize_noise=False)
    first, second = [Gs.run(latents, None, randomize_noise=False) for _ in range(2)]
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("preset, expected", [
    ("", "--tf_xla_enable_lazy_compilation=false"),
    ("--tf_xla_cpu_global_jit", "--tf_xla_cpu_global_jit --tf_xla_enable_lazy_compilation=false"),
    ("--tf_xla_enable_lazy_compilation=true", "--tf_xla_enable_lazy_compilation=true"),  # the user's own setting wins
])
def test_lazy_xla_compilation_off_unless_the_user_says(monkeypatch, preset, expected):
    monkeypatch.setenv("TF_XLA_FLAGS", preset)
    tflib.tfutil._compile_xla_clusters_at_once()
    assert os.environ["TF_XLA_FLAGS"] == expected


def test_training_graphs_have_no_xla_clusters_unless_asked(session):
    """G_style turns the synthesis's XLA loops off when is_training (a training step gains nothing from them)."""
    G = tflib.Network("G_train_xla", func_name="training.networks_stylegan.G_style", num_channels=3, resolution=16,
                      fmap_base=64, fmap_max=16, latent_size=8, dlatent_size=8, mapping_fmaps=8, mapping_layers=2)
    latents = tf.constant(np.random.RandomState(0).randn(2, 8).astype(np.float32))

    def compiled_ops(**kwargs):
        """The ops this build marks for XLA compilation."""
        graph = tf.get_default_graph()
        before = set(graph.get_operations())
        G.get_output_for(latents, None, **kwargs)
        return [op for op in graph.get_operations() if op not in before and "_XlaCompile" in op.node_def.attr and op.get_attr("_XlaCompile")]
    assert not compiled_ops(is_training=True)
    assert compiled_ops(is_training=True, xla=True)
    assert compiled_ops(is_training=False)


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64") or sys.platform != "linux", reason="oneDNN's x86 kernels on Linux")
@pytest.mark.parametrize("preset,expected", [(None, True), ("0", False), ("1", True)])
def test_onednn_kernels_unless_the_user_says(preset, expected):
    """dnnlib turns oneDNN on before TensorFlow loads (TensorFlow itself does only on AVX-512 VNNI/BF16 and AMX CPUs);
    a user's TF_ENABLE_ONEDNN_OPTS wins. Checked in a fresh process, since TensorFlow reads it once."""
    env = {key: value for key, value in os.environ.items() if key != "TF_ENABLE_ONEDNN_OPTS"}
    if preset is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = preset
    code = "import dnnlib.tflib as tflib; print(tflib.onednn_enabled())"
    env["PYTHONPATH"] = REPO_ROOT
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == str(expected)


def test_a_4x4_generator_runs_in_every_structure(session):
    """The smallest resolution has no level to grow: the recursive structure is its one block and ToRGB."""
    G = tflib.Network("G_4x4", func_name="training.networks_stylegan.G_style", num_channels=3, resolution=4, fmap_base=32, fmap_max=8,
                      latent_size=8, dlatent_size=8, mapping_fmaps=8, mapping_layers=2)
    latents = np.random.RandomState(0).randn(2, 8)
    images = [G.run(latents, None, randomize_noise=False, structure=structure) for structure in ("fixed", "linear", "recursive")]
    assert images[0].shape == (2, 3, 4, 4)
    for other in images[1:]:
        np.testing.assert_allclose(other, images[0], rtol=0, atol=1e-5 * np.abs(images[0]).max())
