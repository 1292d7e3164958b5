"""The layers depend one way (dnnlib <- training / metrics <- scripts); TensorFlow starts quietly; --help is instant."""

import os
import subprocess
import sys

import pytest

from conftest import DATA_DIR, REPO_ROOT

SCRIPTS = ["train.py", "run_metrics.py", "dataset_tool.py", "pretrained_example.py", "generate_figures.py"]
APPLICATION = ("training", "metrics", "config", "train", "run_metrics", "dataset_tool", "pretrained_example", "generate_figures",
               "pretrained_networks", "projector", "run_projector")
TF_STARTUP_LINES = ("absl::InitializeLog", "oneDNN custom operations", "Could not find cuda drivers", "cuInit")


def python(code, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "STYLEGAN_VERBOSE_TF")}
    env["PYTHONPATH"] = REPO_ROOT
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)


def application_modules_after(code):
    result = python(code + "\nimport sys\nprint(sorted(m for m in sys.modules if m.split('.')[0] in %r))" % (APPLICATION,))
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip().splitlines()[-1])


def test_dnnlib_imports_no_application_module():
    assert application_modules_after("import dnnlib, dnnlib.tflib, dnnlib.tflib.loader, dnnlib.util") == []


def test_official_pickle_loads_with_dnnlib_alone():
    """pickle.load of an official-format pickle finds G_style through the package's entry point, importing only the networks."""
    code = ("import pickle, dnnlib.tflib as tflib\ntflib.init_tf()\nG, D, Gs = pickle.load(open(%r, 'rb'))\nassert Gs.name == 'Gs'\n"
            % os.path.join(DATA_DIR, "sgan32.pkl"))
    modules = application_modules_after(code)
    assert "training.networks_stylegan" in modules
    assert not [m for m in modules if m.split(".")[0] != "training" or m in ("training.training_loop", "training.dataset", "training.misc")]


def test_tensorflow_starts_quietly():
    result = python("import dnnlib.tflib as tflib\ntflib.init_tf()\nprint('ok')")
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
    assert not [line for line in TF_STARTUP_LINES if line in result.stderr], result.stderr


def test_verbose_switch_and_real_import_errors_stay_visible(tmp_path):
    fake = tmp_path / "tensorflow"
    fake.mkdir()
    (fake / "__init__.py").write_text("import os\nos.write(2, b'native: libfoo.so missing\\n')\nraise ImportError('broken install')\n")
    result = python("import dnnlib\nimport tensorflow", env_extra={"PYTHONPATH": str(tmp_path) + os.pathsep + REPO_ROOT})
    assert result.returncode != 0
    assert "native: libfoo.so missing" in result.stderr and "broken install" in result.stderr
    verbose = python("import dnnlib, sys\nfrom dnnlib import tf_startup\nprint(tf_startup._finder in sys.meta_path)", {"STYLEGAN_VERBOSE_TF": "1"})
    assert verbose.stdout.strip() == "False", verbose.stderr


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_needs_no_tensorflow(script):
    code = ("import runpy, sys\nsys.argv = [%r, '--help']\ntry:\n    runpy.run_path(%r, run_name='__main__')\nexcept SystemExit as e:\n"
            "    assert e.code in (0, None), e.code\nprint('TF' if 'tensorflow' in sys.modules else 'no TF')" % (script, script))
    result = python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "no TF"
    assert "usage:" in result.stdout


def test_training_and_metrics_import_no_script():
    modules = application_modules_after("import training.training_loop, training.networks_progan, metrics.metric_base, "
                                        "metrics.frechet_inception_distance, metrics.perceptual_path_length, metrics.linear_separability")
    scripts = [m for m in modules if m.split(".")[0] not in ("training", "metrics", "config")]
    assert scripts == []


def test_scripts_find_architectures_without_package_metadata():
    """A checkout that was never pip-installed has no entry point: importing `training` announces the architectures."""
    code = ("from dnnlib import architectures\narchitectures._entry_points_loaded = True  # as if no package metadata existed\n"
            "import dnnlib.tflib as tflib, pretrained_networks\ntflib.init_tf()\n"
            "G, D, Gs = pretrained_networks.load_networks('demo')\nprint(Gs.output_shape)")
    result = python(code)
    assert result.returncode == 0 and result.stdout.strip().splitlines()[-1] == "[None, 1, 32, 32]", result.stderr[-2000:]
