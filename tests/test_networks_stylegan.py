"""StyleGAN networks against the original code's reference vectors (tests/data, see its README)."""

import json
import os
import pickle

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import dnnlib.tflib as tflib
from conftest import DATA_DIR

CONFIGS = ["sgan32", "sgan32_cond_fused"]
FLOAT_KEYS = ["Gs_default", "Gs_validation", "Gs_psi05_cut3", "mapping", "synthesis", "synthesis_fixed",
              "D_score", "D_grad", "G_grad_latents"] + ["Gs_lod%s" % L for L in (0.0, 0.5, 1.0, 1.7)] + ["D_lod%s" % L for L in (0.0, 0.5, 1.0, 1.7)]


def compute_reference_calls(G, D, Gs, ref):
    """Repeat every call listed in the reference README with our networks."""
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
    x = tf.constant(ref["Gs_default"])
    scores = D.get_output_for(x, tf.constant(lab), is_training=True)
    out["D_score"], out["D_grad"] = tflib.run([scores, tf.gradients(tf.reduce_sum(scores), [x])[0]])
    z = tf.constant(lat)
    images = G.get_output_for(z, tf.constant(lab), is_training=False, is_validation=True, randomize_noise=False)
    out["G_grad_latents"] = tflib.run(tf.gradients(tf.reduce_sum(images * images), [z])[0])
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


def assert_within_tolerance(ours, ref):
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    error = np.abs(ours - ref).max()
    assert error <= 1e-4 * np.abs(ref).max() + 1e-5, "max error %g" % error


@pytest.mark.parametrize("key", FLOAT_KEYS)
def test_matches_reference(parity, key):
    ours, ref = parity
    assert_within_tolerance(ours[key], ref[key])


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
