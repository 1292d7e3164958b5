"""bench/bench_original.py: the side-by-side protocol, against a stand-in checkout of the original (the real one needs
TensorFlow 1.x in another Python; its figures are in the README)."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO_ROOT

STANDIN_TFLIB = '''
import json, os, time

TF2_BEHAVIOR_AT_IMPORT = os.environ.get("TF2_BEHAVIOR")  # before the child imports TensorFlow (2 here, 1.x for real)

def init_tf(config=None):
    if os.environ.get("STANDIN_FAIL"):
        raise RuntimeError("stand-in refuses to start")
    _log("init_tf", config, TF2_BEHAVIOR_AT_IMPORT)

def _log(*record):
    with open(os.environ["STANDIN_LOG"], "a") as f:
        f.write(json.dumps(record) + "\\n")

class Network:
    input_shape = [None, 512]

    def __init__(self, name, func_name, **kwargs):
        _log("Network", name, func_name, kwargs)

    def clone(self, name):
        return self

    def run(self, latents, labels, **kwargs):
        _log("run", len(latents), kwargs)
        if os.environ.get("STANDIN_GARBAGE"):  # a child that ends "successfully" with no result line
            print("not json {")
            os._exit(0)
        time.sleep(0.02 * len(latents))  # 50 img/s
'''


@pytest.fixture
def standin_checkout(tmp_path):
    """A directory shaped like a checkout of NVlabs/stylegan whose dnnlib.tflib records what it is asked to do."""
    root = tmp_path / "stylegan"
    (root / "dnnlib" / "tflib").mkdir(parents=True)
    (root / "training").mkdir()
    (root / "dnnlib" / "__init__.py").write_text("")
    (root / "dnnlib" / "tflib" / "__init__.py").write_text(textwrap.dedent(STANDIN_TFLIB))
    (root / "training" / "networks_stylegan.py").write_text("")
    return root


def bench(checkout, log, *args, env_extra=None):
    """Run the driver as from a shell: without the TF2_BEHAVIOR that this test process's own TensorFlow set."""
    env = {key: value for key, value in os.environ.items() if key != "TF2_BEHAVIOR"}
    env.update(PYTHONPATH=REPO_ROOT, TF_CPP_MIN_LOG_LEVEL="3", STANDIN_LOG=str(log), **(env_extra or {}))
    return subprocess.run([sys.executable, "bench/bench_original.py", "--python", sys.executable, "--original", str(checkout), "--train", ""] + list(args),
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_original_and_ours_side_by_side(standin_checkout, tmp_path):
    log = tmp_path / "calls.jsonl"
    result = bench(standin_checkout, log, "--generate", "32:2", "--repeats", "2")
    assert result.returncode == 0, result.stderr
    row = [line for line in result.stdout.splitlines() if line.startswith("Gs.run 32x32 mb 2")]
    assert len(row) == 1, result.stdout
    fields = row[0].split()  # Gs.run 32x32 mb 2 | round | original img/s | ours img/s | ratio
    original, ours, ratio = float(fields[5]), float(fields[7]), float(fields[9].rstrip("x"))
    assert 30 < original < 51  # the stand-in sleeps 20 ms per image
    assert ours > 0 and ratio == pytest.approx(ours / original, abs=0.006)  # printed with 2 decimals
    assert "original: Python %d.%d" % sys.version_info[:2] in result.stdout
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls[0] == ["init_tf", {"allow_soft_placement": True}, None]  # no TensorFlow 2 settings leak into the child
    assert calls[1] == ["Network", "G", "training.networks_stylegan.G_style", dict(num_channels=3, resolution=32, label_size=0)]
    runs = [call for call in calls if call[0] == "run"]
    assert len(runs) == 3  # warm-up + 2 timed
    assert runs[0] == ["run", 2, dict(truncation_psi=0.7, randomize_noise=False, minibatch_size=2)]


@pytest.mark.parametrize("case,message", [
    ("not-a-checkout", "must be a checkout of NVlabs/stylegan"),
    ("child-fails", "The original's generate run failed"),
    ("bad-config", "Unknown --train config 'nope'"),
    ("bad-python", "no-such-python3.7 is not an executable"),
    ("no-rounds", "must be at least 1"),
    ("child-garbage", "The original's generate run failed in"),
])
def test_bad_setups_give_one_line(standin_checkout, tmp_path, case, message):
    log = tmp_path / "calls.jsonl"
    checkout = tmp_path if case == "not-a-checkout" else standin_checkout
    extra = {"bad-config": ["--train", "nope"], "bad-python": ["--python", "no-such-python3.7"], "no-rounds": ["--rounds", "0"]}.get(case, [])
    result = bench(checkout, log, "--generate", "32:1", "--repeats", "1", *extra, env_extra={"child-fails": dict(STANDIN_FAIL="1"), "child-garbage": dict(STANDIN_GARBAGE="1")}.get(case))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.stderr
    if case == "child-fails":
        assert "stand-in refuses to start" in errors[0]

