"""ProGAN networks: parameter counts of the official configuration, structures agree, pickles round-trip."""

import pickle

import numpy as np
import pytest

import dnnlib.tflib as tflib


def trainable_count(net):
    return sum(int(np.prod(v.shape.as_list())) for v in net.trainables.values())


@pytest.mark.slow
def test_official_parameter_counts(session):
    G = tflib.Network("G", func_name="training.networks_progan.G_paper", num_channels=3, resolution=1024, label_size=0)
    D = tflib.Network("D", func_name="training.networks_progan.D_paper", num_channels=3, resolution=1024, label_size=0)
    assert trainable_count(G) == 23079115
    assert trainable_count(D) == 23087249
    assert G.input_shapes == [[None, 512], [None, 0]] and G.output_shape == [None, 3, 1024, 1024]


@pytest.mark.parametrize("fused", [True, False])
def test_recursive_matches_linear_and_pickles(session, fused):
    G = tflib.Network("G", func_name="training.networks_progan.G_paper", num_channels=3, resolution=32, fmap_base=256,
                      latent_size=16, label_size=2, fused_scale=fused)
    D = tflib.Network("D", func_name="training.networks_progan.D_paper", num_channels=3, resolution=32, fmap_base=256,
                      label_size=2, fused_scale=fused)
    assert ("16x16/Conv0_up/weight" in G.vars) == fused and ("16x16/Conv1_down/weight" in D.vars) == fused
    latents = np.random.RandomState(0).randn(4, 16)
    labels = np.eye(2)[[0, 1, 0, 1]]
    for lod in (0.0, 0.5, 1.3, 3.0):
        G.set_var("lod", lod)
        D.set_var("lod", lod)
        images = G.run(latents, labels)
        np.testing.assert_allclose(images, G.run(latents, labels, structure="linear"), atol=1e-5)
        np.testing.assert_allclose(D.run(images, labels), D.run(images, labels, structure="linear"), atol=1e-5)
    restored = pickle.loads(pickle.dumps(G))
    np.testing.assert_allclose(restored.run(latents, labels), G.run(latents, labels), atol=1e-6)
