"""The safe network-pickle loader: what it admits, what it refuses, and its error messages."""

import os
import pickle

import numpy as np
import pytest

import dnnlib.tflib as tflib
from conftest import DATA_DIR
from dnnlib.tflib.loader import NetworkPickleError, load_network_pkl, loads_network_pkl
from dnnlib.tflib.network import Network


class _RunsShell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ("touch %s" % self.marker,))


def pickled_network_with_source(monkeypatch, marker, func_name):
    """Bytes of a Network pickle whose embedded source would create `marker` when executed."""
    state = dict(version=3, name="Evil", static_kwargs={}, components={}, build_func_name=func_name, variables=[],
                 build_module_src="open(%r, 'w').write('ran')\ndef %s(x_in, **kwargs):\n    pass\n" % (marker, func_name))
    with monkeypatch.context() as patch:
        patch.setattr(Network, "__getstate__", lambda self: state)
        return pickle.dumps(object.__new__(Network), protocol=4)


def test_refuses_arbitrary_globals(session, tmp_path):
    marker = tmp_path / "pwned"
    data = pickle.dumps(_RunsShell(marker))
    with pytest.raises(NetworkPickleError, match="posix.system|os.system"):
        loads_network_pkl(data)
    assert not marker.exists()


def test_refuses_unknown_architecture_without_running_it(session, tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    data = pickled_network_with_source(monkeypatch, str(marker), "my_custom_net")
    with pytest.raises(NetworkPickleError, match="my_custom_net.*not a known architecture"):
        loads_network_pkl(data, label="'evil.pkl'")
    assert not marker.exists()


def test_truncated_and_missing_files(session, tmp_path):
    with open(os.path.join(DATA_DIR, "sgan32.pkl"), "rb") as f:
        data = f.read()
    (tmp_path / "cut.pkl").write_bytes(data[: len(data) // 3])
    with pytest.raises(NetworkPickleError, match=r"Cannot read '.*cut.pkl': truncated"):
        load_network_pkl(str(tmp_path / "cut.pkl"))
    with pytest.raises(NetworkPickleError, match="no such file"):
        load_network_pkl(str(tmp_path / "absent.pkl"))
    (tmp_path / "text.pkl").write_bytes(b"hello, this is not a pickle")
    with pytest.raises(NetworkPickleError, match="Cannot read"):
        load_network_pkl(str(tmp_path / "text.pkl"))


def test_loads_official_format_safely(session):
    G, D, Gs = load_network_pkl(os.path.join(DATA_DIR, "sgan32_cond_fused.pkl"))
    assert (G.name, D.name, Gs.name) == ("G", "D", "Gs")
    assert Gs.components.synthesis.static_kwargs.fused_scale is True
    ref = np.load(os.path.join(DATA_DIR, "sgan32_cond_fused.npz"))
    out = Gs.run(ref["latents"], ref["labels"], randomize_noise=False)
    np.testing.assert_allclose(out, ref["Gs_default"], atol=1e-4 * np.abs(ref["Gs_default"]).max() + 1e-5, rtol=0)


def test_our_pickles_load_safely(session):
    G = tflib.Network("G", func_name="training.networks_stylegan.G_style", num_channels=1, resolution=8,
                      fmap_base=32, fmap_max=16, latent_size=8, dlatent_size=8, mapping_fmaps=8, mapping_layers=2)
    latents = np.random.RandomState(0).randn(2, 8)
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        restored = loads_network_pkl(pickle.dumps(G, protocol=protocol))
        np.testing.assert_allclose(restored.run(latents, None, randomize_noise=False), G.run(latents, None, randomize_noise=False), atol=1e-6)
