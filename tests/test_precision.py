"""Reduced precision: the original's float16 networks with loss scaling (built and stepped on CPU), and bfloat16 generation."""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import dnnlib.tflib as tflib
import pretrained_networks
from training import dataset, training_loop

ARCHITECTURES = {  # (G, D, G's extra settings) as train.py's presets use them
    "stylegan": ("training.networks_stylegan.G_style", "training.networks_stylegan.D_basic", dict(mapping_layers=2, latent_size=16, dlatent_size=16)),
    "progan": ("training.networks_progan.G_paper", "training.networks_progan.D_paper", dict(pixelnorm_epsilon=1e-4)),  # train.py's -fp16 line
}
SMALL = dict(num_channels=3, resolution=16, fmap_base=64, fmap_max=16)
COMPUTE_OPS = ("Conv2D", "MatMul", "Conv2DBackpropInput", "Conv2DBackpropFilter")


def networks(architecture, dtype):
    G_func, D_func, G_extra = ARCHITECTURES[architecture]
    G = tflib.Network("G", func_name=G_func, dtype=dtype, **SMALL, **G_extra)
    D = tflib.Network("D", func_name=D_func, dtype=dtype, mbstd_group_size=2, **SMALL)
    return G, D


def compute_dtypes(graph, scope):
    """{op type: {output dtypes}} of the convolutions and matmuls on activations under `scope` (not the constant
    weight mixing of the resampling convolutions, which stays in the weights' float32)."""
    found = {}
    for op in graph.get_operations():
        if op.type in COMPUTE_OPS and op.name.startswith(scope) and op.inputs[0].op.type != "Const":
            found.setdefault(op.type, set()).add(op.outputs[0].dtype.name)
    return found


@pytest.mark.parametrize("architecture", list(ARCHITECTURES))
def test_float16_networks_compute_in_half_and_keep_float32_variables(session, architecture):
    G, D = networks(architecture, "float16")
    latents = np.random.RandomState(0).randn(4, *G.input_shape[1:])
    images = G.run(latents, np.zeros([4, 0]))
    scores = D.run(images.astype(np.float32), np.zeros([4, 0]))
    assert images.dtype == np.float16 and scores.dtype == np.float16
    assert np.all(np.isfinite(images)) and np.all(np.isfinite(scores))
    for net in (G, D):
        assert {var.dtype.base_dtype for var in net.vars.values()} == {tf.float32}
    graph = tf.get_default_graph()
    for scope in ("G/", "D/"):
        dtypes = compute_dtypes(graph, scope)
        assert dtypes.get("Conv2D") == {"float16"} and set().union(*dtypes.values()) == {"float16"}, (scope, dtypes)


@pytest.mark.parametrize("architecture", list(ARCHITECTURES))
def test_float16_training_step_with_loss_scaling(session, architecture):
    with tf.Graph().as_default(), tflib.create_session({"rnd.tf_random_seed": 1}).as_default():
        training_set = dataset.SyntheticDataset(resolution=16, num_channels=3)
        with tf.device("/gpu:0"):
            G, D = networks(architecture, "float16")
        opt_args = dict(tf_optimizer="tf.train.AdamOptimizer", beta1=0.0, beta2=0.99, epsilon=1e-8, use_loss_scaling=True)
        graph = training_loop.build_training_graph(
            G=G, D=D, Gs=G.clone("Gs"), training_set=training_set, G_opt_args=opt_args, D_opt_args=opt_args,
            G_loss_args=dict(func_name="training.loss.G_wgan"), D_loss_args=dict(func_name="training.loss.D_wgan_gp"))
        training_set.configure(4, 0)
        scaling = {var.name.split("/")[0]: var for var in tf.global_variables() if "loss_scaling_var" in var.name}
        before = tflib.run(scaling)
        start = {name: tflib.run(var) for name, var in D.trainables.items()}
        feed = {graph.inputs.lod_in: 0.0, graph.inputs.lrate_in: 0.001, graph.inputs.minibatch_in: 4}
        tflib.run([graph.G_train_op], feed)
        tflib.run([graph.D_train_op], feed)
        after = tflib.run(scaling)
        weights = {name: tflib.run(var) for name, var in D.trainables.items()}
        dtypes = compute_dtypes(tf.get_default_graph(), "GPU0/")
    assert before == {"TrainG": 64.0, "TrainD": 64.0}  # log2 of the loss scale: 2^64 at first
    for name in scaling:
        assert after[name] != before[name]  # one step: +0.0005 when finite, -1 on overflow (2^64 overflows float16 at first)
        np.testing.assert_allclose(after[name], before[name] + 0.0005 if after[name] > before[name] else before[name] - 1.0, rtol=0, atol=1e-6)
    assert all(np.all(np.isfinite(value)) for value in weights.values())
    changed = any(not np.array_equal(weights[name], start[name]) for name in start)
    assert changed == (after["TrainD"] > before["TrainD"])  # an overflowing step leaves the weights alone
    assert dtypes["Conv2D"] == {"float16"} and dtypes["Conv2DBackpropInput"] == {"float16"}, dtypes  # losses and gradients through half


def test_bfloat16_generation_stays_close_to_float32(session):
    _, _, Gs = pretrained_networks.load_networks("demo")
    latents = np.random.RandomState(0).randn(64, *Gs.input_shape[1:])
    labels = pretrained_networks.one_hot_labels(Gs, range(64), wrap=True)
    to_uint8 = dict(func=tflib.convert_images_to_uint8)
    kwargs = dict(truncation_psi=0.7, randomize_noise=False, minibatch_size=16, output_transform=to_uint8)
    reference = Gs.run(latents, labels, **kwargs).astype(np.float64)
    lower = Gs.run(latents, labels, dtype="bfloat16", **kwargs).astype(np.float64)
    psnr = 10 * np.log10(255 ** 2 / np.mean((reference - lower) ** 2))
    assert 35 < psnr < 70, psnr  # measured 44 dB: close, yet really computed in bfloat16 (identical images would be inf)
    _placeholders, outputs = list(Gs._run_cache.values())[-1]  # the bfloat16 run's
    assert {op.outputs[0].dtype.name for op in upstream_ops(outputs[0]) if op.type == "Conv2D"} == {"bfloat16"}


def upstream_ops(tensor):
    """The ops a tensor is computed from."""
    seen, todo = set(), [tensor.op]
    while todo:
        op = todo.pop()
        if op not in seen:
            seen.add(op)
            todo += [t.op for t in op.inputs] + list(op.control_inputs)
    return seen
