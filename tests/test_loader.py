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


# ----------------------------------------------------------------------------
# Hostile pickles: the safe loader must run nothing they name, and refuse each with one clear message.

import io  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from conftest import REPO_ROOT  # noqa: E402
from dnnlib.tflib import loader  # noqa: E402

MARKER_FUNC = b"tests.hostile\nleave_marker\n"


def _global(module_and_name: bytes) -> bytes:
    return pickle.GLOBAL + module_and_name


def _str(text: str) -> bytes:
    data = text.encode()
    return pickle.SHORT_BINUNICODE + bytes([len(data)]) + data


NETWORK = _global(b"dnnlib.tflib.network\nNetwork\n")
HOSTILE_PICKLES = {
    # REDUCE on the admitted Network class used to call Network(name, func_name): import and call anything.
    "reduce_network": b"\x80\x02" + NETWORK + _str("Evil") + _str("tests.hostile.leave_marker") + pickle.TUPLE2 + pickle.REDUCE + pickle.STOP,
    "reduce_network_this": b"\x80\x02" + NETWORK + _str("Evil") + _str("this.d") + pickle.TUPLE2 + pickle.REDUCE + pickle.STOP,
    # NEWOBJ_EX passes keyword arguments to __new__.
    "newobj_ex_network": b"\x80\x04" + NETWORK + _str("Evil") + pickle.TUPLE1 + pickle.EMPTY_DICT + _str("func_name")
                         + _str("tests.hostile.leave_marker") + pickle.SETITEM + pickle.NEWOBJ_EX + pickle.STOP,
    # Protocol 0/1 instantiation by name.
    "inst": b"(S'x'\ni" + MARKER_FUNC + b".",
    "obj": b"(" + pickle.GLOBAL + MARKER_FUNC + b"S'x'\no.",
    # STACK_GLOBAL and GLOBAL of a callable, then REDUCE.
    "stack_global": b"\x80\x04" + _str("tests.hostile") + _str("leave_marker") + pickle.STACK_GLOBAL + pickle.EMPTY_TUPLE + pickle.REDUCE + pickle.STOP,
    "global_os_system": b"\x80\x02" + _global(b"os\nsystem\n") + _str("true") + pickle.TUPLE1 + pickle.REDUCE + pickle.STOP,
    # Extension registry and persistent ids reach objects outside find_class.
    "ext1": b"\x80\x02" + pickle.EXT1 + b"\x01" + pickle.EMPTY_TUPLE + pickle.REDUCE + pickle.STOP,
    "persid": b"\x80\x02" + pickle.BINPERSID.join([_str("x"), b""]) + pickle.STOP,
    # An admitted helper asked to do something else: _codecs.encode with a non-latin1 codec.
    "codecs_rot13": b"\x80\x02" + _global(b"_codecs\nencode\n") + _str("abc") + _str("rot13") + pickle.TUPLE2 + pickle.REDUCE + pickle.STOP,
}


@pytest.mark.parametrize("name", sorted(HOSTILE_PICKLES))
def test_hostile_pickle_runs_nothing(session, tmp_path, monkeypatch, name):
    marker = tmp_path / "marker"
    monkeypatch.setenv("STYLEGAN_TEST_MARKER", str(marker))
    with pytest.raises(NetworkPickleError) as info:
        loads_network_pkl(HOSTILE_PICKLES[name], label="'evil.pkl'")
    assert not marker.exists()
    message = str(info.value)
    assert message.startswith("Cannot ") and "'evil.pkl'" in message and "\n" not in message


def test_hostile_pickles_import_nothing():
    """In a fresh process: loading 'this.d' / 'antigravity' pickles imports neither module (no Zen, no browser)."""
    antigravity = b"\x80\x02" + NETWORK + _str("x") + _str("antigravity.geohash") + pickle.TUPLE2 + pickle.REDUCE + pickle.STOP
    code = ("import sys\nimport dnnlib.tflib as tflib\ntflib.init_tf()\n"
            "for data in %r:\n    try:\n        tflib.loader.loads_network_pkl(data)\n    except tflib.loader.NetworkPickleError:\n        pass\n"
            "print(sorted(m for m in ('this', 'antigravity', 'webbrowser') if m in sys.modules))\n") % ([HOSTILE_PICKLES["reduce_network_this"], antigravity],)
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, PYTHONPATH=REPO_ROOT))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert "Beautiful is better than ugly" not in result.stdout


def test_huge_declared_bytes_are_not_allocated(session):
    data = b"\x80\x04" + pickle.BINBYTES8 + struct.pack("<Q", 2 ** 40) + b"xx"  # 13 bytes declaring 1 TiB
    with pytest.raises(NetworkPickleError, match="truncated file"):
        loads_network_pkl(data)


def test_complete_but_malformed_pickle_is_not_called_truncated(session):
    data = b"\x80\x04" + pickle.NONE + pickle.EMPTY_TUPLE + pickle.REDUCE + pickle.STOP  # calls None(): structurally wrong
    with pytest.raises(NetworkPickleError, match="not a valid network pickle") as info:
        loads_network_pkl(data)
    assert "truncated" not in str(info.value)


def _tiny_synthesis():
    return tflib.Network("G_synthesis", func_name="training.networks_stylegan.G_synthesis", num_channels=1, resolution=8,
                         fmap_base=16, fmap_max=8, dlatent_size=8)


def _pickle_with_state(monkeypatch, state):
    with monkeypatch.context() as patch:
        patch.setattr(Network, "__getstate__", lambda self: state)
        return pickle.dumps(object.__new__(Network), protocol=4)


def _broken_states(net):
    """(label, state, expected message) for states that are complete pickles but wrong networks."""
    good = net.__getstate__()
    variables = dict(good["variables"])
    first = next(name for name in variables if name.startswith("4x4/Const"))

    def with_vars(**changes):
        return dict(good, variables=[(k, changes.get(k, v)) for k, v in variables.items() if changes.get(k, v) is not None])
    cases = [
        ("missing variable", with_vars(**{first: None}), "needs variable '%s', which the pickle does not hold" % first),
        ("extra variable", dict(good, variables=good["variables"] + [("bogus", np.zeros(3, np.float32))]), "holds variable 'bogus'"),
        ("NaN weights", with_vars(**{first: np.full_like(variables[first], np.nan)}), "'%s' of network 'G_synthesis' holds NaN" % first),
        ("Inf weights", with_vars(**{first: np.full_like(variables[first], np.inf)}), "holds NaN or infinite"),
        ("complex weights", with_vars(**{first: variables[first].astype(np.complex64)}), "complex64, not a real floating-point array"),
        ("integer weights", with_vars(**{first: variables[first].astype(np.int32)}), "int32, not a real floating-point array"),
        ("object weights", with_vars(**{first: np.array([None], dtype=object)}), "object, not a real floating-point array"),
        ("wrong shape", with_vars(**{first: np.zeros([1, 2, 3], np.float32)}), "has shape [1, 2, 3] in the pickle"),
        ("no components key", {k: v for k, v in good.items() if k != "components"}, "lacks 'components'"),
        ("state not a dict", [1, 2, 3], "not a dict"),
        ("bad structure", dict(good, static_kwargs=dict(good["static_kwargs"], structure="bogus")), "structure must be one of"),
        ("resolution 33", dict(good, static_kwargs=dict(good["static_kwargs"], resolution=33)), "resolution must be a power of two"),
        ("resolution 2^15", dict(good, static_kwargs=dict(good["static_kwargs"], resolution=2 ** 15)), "resolution must be a power of two from 4 to 4096"),
        ("version 7", dict(good, version=7), "unsupported network pickle state version 7"),
        ("version 3.0", dict(good, version=3.0), "'version' is a float, not a int"),
        ("NaN setting", dict(good, static_kwargs=dict(good["static_kwargs"], truncation_psi=float("nan"))), "truncation_psi=nan that is not a finite"),
        ("overflowing filter", dict(good, static_kwargs=dict(good["static_kwargs"], blur_filter=[1e308] * 3)), "blur_filter=[1e+308, 1e+308, 1e+308] that"),
        ("gigantic int", dict(good, static_kwargs=dict(good["static_kwargs"], resolution=2 ** 20000)), "resolution=<int> that is not a finite"),
        ("int beyond int32", dict(good, static_kwargs=dict(good["static_kwargs"], fmap_base=2 ** 40)), "fmap_base=1099511627776 that is not"),
        ("NaN inside an array", dict(good, static_kwargs=dict(good["static_kwargs"], truncation_psi=np.array(np.nan))), "truncation_psi=array(nan) that"),
        ("complex setting", dict(good, static_kwargs=dict(good["static_kwargs"], fmap_decay=1j)), "fmap_decay=1j that is not a finite number or plain"),
        ("overflowing fmap_decay", dict(good, static_kwargs=dict(good["static_kwargs"], fmap_decay=1e20)), "cannot be built with its stored settings"),
        ("blur filter of 4000 taps", dict(good, static_kwargs=dict(good["static_kwargs"], blur_filter=[1] * 4000)), "blur_filter has 4000 taps; at most 16"),
        ("float64 weights beyond float32", with_vars(**{first: np.full(variables[first].shape, 1e300)}), "holds values beyond float32's range"),
    ]
    return cases


def test_broken_network_states_are_refused_by_name(session, monkeypatch):
    cases = _broken_states(_tiny_synthesis())
    for label, state, expected in cases:
        data = _pickle_with_state(monkeypatch, state)
        with pytest.raises(NetworkPickleError) as info:
            loads_network_pkl(data, label="'x.pkl'")
        assert expected in str(info.value), (label, str(info.value))
        assert "\n" not in str(info.value), label


def test_settings_that_would_load_and_then_fail_or_give_nan_are_refused(session, monkeypatch):
    """Settings that built a network whose run crashed (a negative broadcast count, a label width of None, True
    channels) or gave NaN (a pixel norm epsilon of 0 or below) are refused at load time, with one line."""
    mapping = tflib.Network("G_mapping", func_name="training.networks_stylegan.G_mapping", latent_size=8, dlatent_size=8,
                            mapping_fmaps=8, mapping_layers=1, dlatent_broadcast=2)
    paper = tflib.Network("G_paper", func_name="training.networks_progan.G_paper", num_channels=1, resolution=8, fmap_base=16,
                          fmap_max=8, latent_size=8)
    discriminator = tflib.Network("D_paper", func_name="training.networks_progan.D_paper", num_channels=1, resolution=8, fmap_base=16, fmap_max=8)
    for net, setting, expected in [(mapping, dict(dlatent_broadcast=-1), "dlatent_broadcast must be None or a count of at least 1, not -1"),
                                   (paper, dict(pixelnorm_epsilon=0), "the pixel norm's epsilon must be above 0, not 0"),
                                   (discriminator, dict(label_size=None), "label_size must be a whole number of at least 0, not None"),
                                   (paper, dict(num_channels=True), "num_channels must be a whole number of at least 1, not True")]:
        state = net.__getstate__()
        state = dict(state, static_kwargs=dict(state["static_kwargs"], **setting))
        with pytest.raises(NetworkPickleError, match="cannot be built with its stored settings .*: %s" % expected):
            loads_network_pkl(_pickle_with_state(monkeypatch, state))


def test_networks_that_share_stored_data_are_refused(session, monkeypatch):
    """Records that refer to one state, or to one weight list, through the pickle memo would each build a network
    and allocate its weights again: a small file could ask for gigabytes."""
    state = _tiny_synthesis().__getstate__()
    for shared_state in (True, False):  # one state dict, or a dict each around one weight list
        with monkeypatch.context() as patch:
            patch.setattr(Network, "__getstate__", (lambda self: state) if shared_state else (lambda self: dict(state)))
            data = pickle.dumps(tuple(object.__new__(Network) for _ in range(3)), protocol=4)
        with pytest.raises(NetworkPickleError, match="networks 'G_synthesis' and 'G_synthesis' share stored data"):
            loads_network_pkl(data)
    shared_arrays = [dict(state, variables=list(state["variables"])) for _ in range(2)]  # own dicts and lists, the same arrays
    with monkeypatch.context() as patch:
        patch.setattr(Network, "__getstate__", lambda self: shared_arrays.pop())
        data = pickle.dumps(tuple(object.__new__(Network) for _ in range(2)), protocol=4)
    with pytest.raises(NetworkPickleError, match="networks 'G_synthesis' and 'G_synthesis' share stored data"):
        loads_network_pkl(data)
    arrays = [(name, value) for name, value in state["variables"] if isinstance(value, np.ndarray) and value.ndim]
    (first, value), (second, _) = arrays[:2]
    one_value_twice = dict(state, variables=[(name, value if name == second else other) for name, other in state["variables"]])
    with pytest.raises(NetworkPickleError, match="network 'G_synthesis' stores one value for several variables"):
        loads_network_pkl(_pickle_with_state(monkeypatch, one_value_twice))
    copies = [dict(state, variables=[(name, value.copy()) for name, value in state["variables"]]) for _ in range(3)]
    with monkeypatch.context() as patch:
        patch.setattr(Network, "__getstate__", lambda self: copies.pop())
        data = pickle.dumps(tuple(object.__new__(Network) for _ in range(3)), protocol=4)
    assert len(loads_network_pkl(data)) == 3  # copies are fine: the file holds what is built
    monkeypatch.setattr(loader, "MAX_NETWORKS", 2)
    with pytest.raises(NetworkPickleError, match="holds more than 2 networks"):
        loads_network_pkl(data)


def test_sets_of_lazy_ranges_are_refused():
    """set(range(2**62)) is 47 bytes of admitted globals; a set is only built from items stored in the file."""
    data = (b"\x80\x02" + _global(b"builtins\nset\n") + _global(b"builtins\nrange\n") + pickle.BININT + (2 ** 31 - 1).to_bytes(4, "little")
            + pickle.TUPLE1 + pickle.REDUCE + pickle.TUPLE1 + pickle.REDUCE + pickle.STOP)
    for reader in (loads_network_pkl, lambda d: loader.SafeUnpickler(io.BytesIO(d)).load()):
        with pytest.raises(Exception, match="refusing set\\(\\) of a range: only of items stored in the file"):
            reader(data)
    assert loader.SafeUnpickler(io.BytesIO(pickle.dumps({1, 2}, protocol=3))).load() == {1, 2}
    assert loader.SafeUnpickler(io.BytesIO(pickle.dumps(frozenset([3]), protocol=3))).load() == frozenset([3])


def test_missing_components_are_refused(session, monkeypatch):
    """A G_style without its components would build fresh random ones: that is refused, never silently random."""
    G = tflib.Network("G", func_name="training.networks_stylegan.G_style", num_channels=1, resolution=8, fmap_base=16, fmap_max=8,
                      latent_size=8, dlatent_size=8, mapping_fmaps=8, mapping_layers=1)
    state = dict(G.__getstate__(), components={})
    with pytest.raises(NetworkPickleError, match="network 'G' \\(G_style\\) would build a component the pickle does not hold"):
        loads_network_pkl(_pickle_with_state(monkeypatch, state))


def test_known_architecture_source_is_never_executed(session, tmp_path, monkeypatch):
    """A pickle naming G_synthesis whose embedded source also has side effects: rebuilt with our code, source not run."""
    marker = tmp_path / "ran"
    net = _tiny_synthesis()
    state = dict(net.__getstate__(), build_module_src="open(%r, 'w').write('x')\ndef G_synthesis(dlatents_in, **kw):\n    pass\n" % str(marker))
    restored = loads_network_pkl(_pickle_with_state(monkeypatch, state))
    assert not marker.exists()
    for name, var in net.vars.items():
        np.testing.assert_array_equal(tflib.run(restored.vars[name]), tflib.run(var))


def test_stale_reader_state_cannot_leak_networks():
    """The plain-data unpickler (datasets, caches) refuses the Network class outright."""
    with pytest.raises(Exception, match="refusing to load global 'dnnlib.tflib.network.Network'"):
        loader.SafeUnpickler(io.BytesIO(b"\x80\x02" + NETWORK + pickle.STOP)).load()


def test_network_that_contains_itself_is_refused(session):
    """A PickledNetwork whose components refer back to it (via the memo): one line, no endless recursion."""
    state = pickle.EMPTY_DICT + pickle.MARK + _str("components") + pickle.EMPTY_DICT + _str("self") + pickle.BINGET + b"\x00" + pickle.SETITEM + pickle.SETITEMS
    data = b"\x80\x02" + NETWORK + pickle.EMPTY_TUPLE + pickle.NEWOBJ + pickle.BINPUT + b"\x00" + state + pickle.BUILD + pickle.STOP
    with pytest.raises(NetworkPickleError, match="its own component"):
        loads_network_pkl(data)


@pytest.mark.parametrize("data", [
    b"\x80\x02]q\x00h\x00a.",                                            # a list that contains itself
    b"\x80\x02" + b"]" * 100000 + b"a" * 99999 + b".",                    # nested 100,000 deep
    b"cnumpy\nndarray\n(\x8a\x05\x00\x00\x00\x00\x02\x85tR.",                  # ndarray((2**33,)): 64 GiB from 30 bytes
])
def test_self_reference_depth_and_allocation_bombs(session, data):
    try:
        result = loads_network_pkl(data)
    except NetworkPickleError as err:
        assert "\n" not in str(err)
    else:
        assert isinstance(result, list)  # the self-referencing list is harmless data: it loads, and the loader ends
