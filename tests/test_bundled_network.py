"""The bundled Fashion-MNIST generator: loads safely, works offline, and is not degenerate."""

import os

import numpy as np
import PIL.Image
import pytest

import dnnlib.tflib as tflib
import pretrained_networks
from conftest import run_python


def test_bundled_pickle_loads_safely_and_varies(session):
    assert os.path.getsize(pretrained_networks.BUNDLED) <= 25 * 2 ** 20
    G, D, Gs = tflib.load_network_pkl(pretrained_networks.BUNDLED, safe=True)
    assert Gs.output_shape == [None, 1, 32, 32] and Gs.input_shapes[1] == [None, 10]
    latents = np.random.RandomState(0).randn(10, *Gs.input_shape[1:])
    per_class = Gs.run(latents, pretrained_networks.one_hot_labels(Gs, range(10)), truncation_psi=0.7, randomize_noise=False)
    per_seed = Gs.run(latents, pretrained_networks.one_hot_labels(Gs, [3] * 10), truncation_psi=0.7, randomize_noise=False)
    assert np.all(np.isfinite(per_class))
    assert per_class.std(axis=0).mean() > 0.05 and per_seed.std(axis=0).mean() > 0.02  # differs across classes and across seeds
    scores = D.run(per_class[:8], pretrained_networks.one_hot_labels(Gs, range(8)))  # minibatch stddev: batches of 4
    assert scores.shape == (8, 1) and np.all(np.isfinite(scores))


@pytest.mark.slow
def test_pretrained_example_without_arguments_is_offline(tmp_path):
    result = run_python([os.path.abspath("pretrained_example.py")], cwd=str(tmp_path),
                        env_extra={"STYLEGAN_CACHE_DIR": str(tmp_path / "no-cache"), "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"})
    assert result.returncode == 0, result.stderr[-2000:]
    image = PIL.Image.open(tmp_path / "results" / "example.png")
    assert image.size == (32, 32) and image.mode == "L"
    assert np.asarray(image).std() > 10
    assert not os.path.exists(tmp_path / "no-cache")


@pytest.mark.slow
def test_demo_figures(tmp_path):
    result = run_python(["generate_figures.py", "--demo", "--outdir", str(tmp_path)])
    assert result.returncode == 0, result.stderr[-2000:]
    sizes = {name: PIL.Image.open(tmp_path / name).size for name in os.listdir(tmp_path)}
    assert sizes == {"figure-classes.png": (16 * 32, 10 * 32), "figure03-style-mixing.png": (192, 224),
                     "figure04-noise-detail.png": (96, 64), "figure05-noise-components.png": (64, 64),
                     "figure08-truncation-trick.png": (6 * 32, 10 * 32)}  # one truncation row per class
