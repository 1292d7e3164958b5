"""Network: graph template, variables, clone/copy/moving average, run(), layers listing, pickling."""

import pickle

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import dnnlib.tflib as tflib
from conftest import run_python
from tests import toy_networks


def make_toy(name="Toy", **kwargs):
    return tflib.Network(name, func_name="tests.toy_networks.toy_dense", **kwargs)


def test_template_attributes(session):
    net = make_toy(fmaps=5)
    assert net.scope == "Toy"
    assert net.input_names == ["x_in", "y_in"]
    assert net.input_shapes == [[None, 4], [None, 2]] and net.output_shapes == [[None, 5]]
    assert net.output_names == ["out"]
    assert list(net.vars.keys()) == ["weight", "Bias/bias", "counter"]
    assert list(net.trainables.keys()) == ["weight", "Bias/bias"]
    assert net.var_global_to_local["Toy/Bias/bias"] == "Bias/bias"
    assert make_toy().scope == "Toy_1"


def test_func_name_as_function_and_component_prefix(session):
    parent = tflib.Network("Parent", func_name=toy_networks.toy_parent)
    assert list(parent.vars.keys()) == ["scale", "Child/w"]
    clone = parent.clone("ParentClone")
    assert clone.components.child is not parent.components.child
    assert clone.components.child.scope == "Child_1"
    assert list(clone.vars.keys()) == ["scale", "Child/w"]


def test_get_output_for_and_run_agree(session):
    net = make_toy()
    x = np.random.RandomState(0).randn(7, 4).astype(np.float32)
    y = np.random.RandomState(1).randn(7, 2).astype(np.float32)
    expected = x @ net.get_var("weight") + y.sum(axis=1, keepdims=True)
    out_expr = net.get_output_for(tf.constant(x), tf.constant(y), scale=1.0)
    np.testing.assert_allclose(tflib.run(out_expr), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net.run(x, y), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net.run(x, y, minibatch_size=3), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net.run(x[:6], y[:6], num_gpus=2), expected[:6], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net.run(x, None), x @ net.get_var("weight"), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net.run(x, y, scale=2.0), 2 * (x @ net.get_var("weight")) + y.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-6)


def test_run_transforms_and_outputs(session):
    net = make_toy()
    x = np.ones([2, 4], np.float32)
    y = np.zeros([2, 2], np.float32)
    base = net.run(x, y)
    transformed = net.run(x, y, input_transform=dict(func=toy_networks.plus_one), output_transform=dict(func=toy_networks.times_ten))
    np.testing.assert_allclose(transformed, (2 * x) @ net.get_var("weight") * 10, rtol=1e-5, atol=1e-6)
    assert isinstance(net.run(x, y, return_as_list=True), list)
    legacy = net.run(x, y, out_mul=2.0, out_add=1.0)
    np.testing.assert_allclose(legacy, base * 2 + 1, rtol=1e-5, atol=1e-6)

    pair = tflib.Network("Pair", func_name="tests.toy_networks.toy_two_outputs")
    prod, total = pair.run(np.array([[1.0, 2.0]], np.float32))
    np.testing.assert_allclose(prod, [[1, 2]]) and np.testing.assert_allclose(total, [[2, 3]])


def test_run_prints_progress(session, capsys):
    net = make_toy()
    net.run(np.zeros([5, 4]), np.zeros([5, 2]), minibatch_size=2, print_progress=True)
    assert capsys.readouterr().out == "\r0 / 5\r2 / 5\r4 / 5\r5 / 5\n"


def test_assume_frozen_snapshots_weights(session):
    net = make_toy()
    x, y = np.ones([1, 4]), np.zeros([1, 2])
    frozen = net.run(x, y, assume_frozen=True)
    net.set_var("weight", net.get_var("weight") * 0)
    np.testing.assert_allclose(net.run(x, y, assume_frozen=True), frozen)  # graph cached with the old copy
    np.testing.assert_allclose(net.run(x, y), 0)


def test_copy_and_moving_average(session):
    src = make_toy("Src")
    dst = make_toy("Dst")
    src.set_var("counter", 5.0)
    dst.copy_trainables_from(src)
    np.testing.assert_array_equal(dst.get_var("weight"), src.get_var("weight"))
    assert dst.get_var("counter") == 0
    dst.copy_vars_from(src)
    assert dst.get_var("counter") == 5

    dst.set_var("weight", np.zeros([4, 3]))
    src.set_var("counter", 9.0)
    tflib.run(dst.setup_as_moving_average_of(src, beta=0.75))
    np.testing.assert_allclose(dst.get_var("weight"), src.get_var("weight") * 0.25, rtol=1e-6)
    assert dst.get_var("counter") == 9.0  # beta_nontrainable=0 copies


def test_clone_and_convert(session):
    net = make_toy("Net", fmaps=3)
    clone = net.clone("NetClone", scale=3.0)
    assert clone.static_kwargs.scale == 3.0 and net.static_kwargs.get("scale") is None
    np.testing.assert_array_equal(clone.get_var("weight"), net.get_var("weight"))
    converted = net.convert("tests.toy_networks.toy_dense", new_name="Converted", fmaps=3)
    np.testing.assert_array_equal(converted.get_var("weight"), net.get_var("weight"))


def test_print_layers_total_counts_trainables(session, capsys):
    net = make_toy(fmaps=3)
    net.print_layers()
    lines = capsys.readouterr().out.strip("\n").split("\n")
    assert lines[0].split() == ["Toy", "Params", "OutputShape", "WeightShape"]
    assert lines[-1].split() == ["Total", str(4 * 3 + 3)]
    assert any(line.split()[:2] == ["weight", "12"] for line in lines)


def test_pickle_round_trip_in_process(session):
    net = make_toy("Saved")
    net.set_var("counter", 3.0)
    restored = pickle.loads(pickle.dumps(net))
    assert restored.name == "Saved" and restored.scope != net.scope
    for name in net.vars:
        np.testing.assert_array_equal(restored.get_var(name), net.get_var(name))
    state = net.__getstate__()
    assert state["version"] == 3 and state["build_func_name"] == "toy_dense"
    assert isinstance(state["variables"][2][1], np.float32)  # 0-d variables pickle as NumPy scalars


@pytest.mark.slow
def test_pickle_round_trip_fresh_process(session, tmp_path):
    net = tflib.Network("Parent", func_name=toy_networks.toy_parent)
    net.set_var("scale", 7.0)
    x = np.array([[1.0, 2.0]], np.float32)
    expected = net.run(x)
    with open(tmp_path / "net.pkl", "wb") as f:
        pickle.dump(net, f)
    np.save(tmp_path / "x.npy", x)
    script = (
        "import pickle, sys, numpy as np\n"
        "import dnnlib.tflib as tflib\n"
        "tflib.init_tf()\n"
        "net = pickle.load(open(sys.argv[1] + '/net.pkl', 'rb'))\n"
        "np.save(sys.argv[1] + '/out.npy', net.run(np.load(sys.argv[1] + '/x.npy')))\n"
        "print(sorted(net.vars.keys()))\n")
    result = run_python(["-c", script, str(tmp_path)])
    assert result.returncode == 0, result.stderr
    assert "['Child/w', 'scale']" in result.stdout
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected)
