"""Packaging: a wheel built from the checkout holds every module the scripts import and the bundled networks, and a
non-editable install of it runs the scripts' imports from outside the checkout. Offline: pip uses only local files."""

import ast
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import REPO_ROOT

NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "venv", "results", "cache", "datasets", "build", "dist", "*.egg-info",
                                     "__pycache__", ".pytest_cache", ".ruff_cache")
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]


def is_script(path):
    with open(path, encoding="utf-8") as f:
        return re.search(r"""^if __name__ == ["']__main__["']:""", f.read(), re.M) is not None


def local_module_files(name):
    """Repository files that make up top-level module or package `name` ([] if it is not ours)."""
    if os.path.isfile(os.path.join(REPO_ROOT, name + ".py")):
        return [name + ".py"]
    if os.path.isfile(os.path.join(REPO_ROOT, name, "__init__.py")):
        return sorted(os.path.relpath(os.path.join(folder, file), REPO_ROOT).replace(os.sep, "/")
                      for folder, _, files in os.walk(os.path.join(REPO_ROOT, name)) if "__pycache__" not in folder
                      for file in files if file.endswith(".py"))
    return []


def imported_top_level_names(path):
    """First components of every absolute import in a file, lazy imports inside functions included."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def scripts_and_their_modules():
    """(script module names, every repository file they need): the scripts' imports followed through our own modules."""
    scripts = sorted(name[:-3] for name in os.listdir(REPO_ROOT) if name.endswith(".py") and name != "setup.py"
                     and is_script(os.path.join(REPO_ROOT, name)))
    needed, queue = set(), list(scripts)
    while queue:
        for file in local_module_files(queue.pop()):
            if file not in needed:
                needed.add(file)
                queue.extend(imported_top_level_names(os.path.join(REPO_ROOT, file)))
    return scripts, needed


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel built from a copy of the checkout (the build writes build/ and *.egg-info next to its sources)."""
    root = tmp_path_factory.mktemp("install")
    shutil.copytree(REPO_ROOT, root / "src", ignore=NOT_SOURCES)
    result = subprocess.run(PIP + ["wheel", ".", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(root / "dist")],
                            cwd=root / "src", capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (path,) = (root / "dist").glob("*.whl")
    return root, path


def test_import_graph_is_found():
    scripts, needed = scripts_and_their_modules()
    assert {"train", "run_metrics", "generate_figures", "pretrained_example", "dataset_tool"} <= set(scripts)
    assert {"config.py", "pretrained_networks.py", "dnnlib/__init__.py", "dnnlib/tflib/network.py", "training/networks_stylegan.py",
            "metrics/metric_base.py"} <= needed


@pytest.mark.slow
def test_wheel_holds_every_imported_module_and_the_networks(wheel):
    _, path = wheel
    files = set(zipfile.ZipFile(path).namelist())
    _, needed = scripts_and_their_modules()
    networks = {"networks/" + name for name in os.listdir(os.path.join(REPO_ROOT, "networks"))}
    assert "networks/stylegan-fashion-mnist-32x32.pkl" in networks and "networks/README.md" in networks
    missing = sorted((needed | networks) - files)
    assert not missing, "not in the wheel: %s (setup.py: py_modules, packages, package_data)" % ", ".join(missing)


@pytest.mark.slow
def test_non_editable_install_runs_outside_the_checkout(wheel):
    root, path = wheel
    target = root / "site"
    result = subprocess.run(PIP + ["install", "--no-deps", "--no-index", "--target", str(target), str(path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    _, needed = scripts_and_their_modules()
    top_level = sorted({os.path.splitext(file.split("/")[0])[0] for file in needed})  # train, config, dnnlib, ...
    check = ("import importlib, os, sys\n"
             "mods = [importlib.import_module(name) for name in sys.argv[2:]]\n"
             "outside = [m.__name__ for m in mods if not os.path.abspath(m.__file__).startswith(sys.argv[1] + os.sep)]\n"
             "assert not outside, 'imported from outside the install: %s' % outside\n"
             "import pretrained_networks\n"
             "assert pretrained_networks.BUNDLED.startswith(sys.argv[1] + os.sep), pretrained_networks.BUNDLED\n"
             "assert os.path.getsize(pretrained_networks.BUNDLED) > 1000000, pretrained_networks.BUNDLED\n"
             "import run_metrics\n"
             "from dnnlib.submission import submit\n"
             "sources = submit._installed_sources(run_metrics.__file__, os.path.dirname(run_metrics.__file__))\n"  # a run copies our files, not all of site-packages
             "assert sources and all(path.startswith(sys.argv[1] + os.sep) for path, _ in sources), sources[:3]\n"
             "assert {'run_metrics.py', 'dnnlib/util.py', 'training/training_loop.py'} <= {rel for _, rel in sources}\n"
             "print('ok')\n")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(PYTHONPATH=str(target), TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, "-c", check, str(target)] + top_level, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stdout[-3000:] + result.stderr[-3000:]
