"""Shared fixtures: every test gets its own TensorFlow graph and session, and fresh autosummary state."""

import os
import subprocess
import sys
from collections import OrderedDict

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"  # test servers are local: never through a proxy

import dnnlib.tflib as tflib  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(REPO_ROOT, "tests", "data")


@pytest.fixture
def session():
    """A fresh default graph and session (two logical CPU devices, so towers can be tested)."""
    graph = tf.Graph()
    with graph.as_default():
        sess = tflib.create_session({"device_count.CPU": 2, "rnd.tf_random_seed": None})
        with sess.as_default():
            tf.set_random_seed(1234)
            yield sess
        sess.close()


@pytest.fixture
def fresh_autosummary(monkeypatch):
    from dnnlib.tflib import autosummary
    monkeypatch.setattr(autosummary, "_vars", OrderedDict())
    monkeypatch.setattr(autosummary, "_immediate", OrderedDict())
    monkeypatch.setattr(autosummary, "_finalized", False)
    monkeypatch.setattr(autosummary, "_merge_op", None)
    return autosummary


def run_python(args, cwd=None, env_extra=None, timeout=900):
    """Run a Python script of the repo in a fresh process; returns CompletedProcess with text output."""
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env.update(env_extra or {})
    return subprocess.run([sys.executable] + list(args), cwd=cwd or REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
