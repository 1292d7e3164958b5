"""train.py: the default block reproduces the original's config.txt exactly; command-line overrides and errors."""

import importlib
import os

from conftest import run_python
from dnnlib.submission.run_context import settings_text

ORIGINAL_DEFAULT_CONFIG_TXT = """{   'D': {'func_name': 'training.networks_stylegan.D_basic'},
    'D_loss': {'func_name': 'training.loss.D_logistic_simplegp', 'r1_gamma': 10.0},
    'D_opt': {'beta1': 0.0, 'beta2': 0.99, 'epsilon': 1e-08},
    'G': {'func_name': 'training.networks_stylegan.G_style'},
    'G_loss': {'func_name': 'training.loss.G_logistic_nonsaturating'},
    'G_opt': {'beta1': 0.0, 'beta2': 0.99, 'epsilon': 1e-08},
    'dataset': {'tfrecord_dir': 'ffhq'},
    'desc': 'sgan-ffhq-8gpu',
    'grid': {'layout': 'random', 'size': '4k'},
    'metrics': [{'func_name': 'metrics.frechet_inception_distance.FID', 'minibatch_per_gpu': 8, 'name': 'fid50k', 'num_images': 50000}],
    'sched': {   'D_lrate_dict': {128: 0.0015, 256: 0.002, 512: 0.003, 1024: 0.003},
                 'G_lrate_dict': {128: 0.0015, 256: 0.002, 512: 0.003, 1024: 0.003},
                 'lod_initial_resolution': 8,
                 'minibatch_base': 32,
                 'minibatch_dict': {4: 512, 8: 256, 16: 128, 32: 64, 64: 32}},
    'tf_config': {'rnd.np_random_seed': 1000},
    'train': {'mirror_augment': True, 'run_func_name': 'training.training_loop.training_loop', 'total_kimg': 25000}}
"""


def test_default_block_gives_the_original_config_txt():
    train = importlib.import_module("train")
    assert settings_text(train) == ORIGINAL_DEFAULT_CONFIG_TXT  # what train.py writes into the run dir


def test_dry_run_with_overrides():
    result = run_python(["train.py", "--config=pgan", "--dataset=mnist", "--num-gpus=2", "--total-kimg=100", "--metrics=none", "--dry-run"])
    assert result.returncode == 0, result.stderr
    assert "Run dir: results/NNNNN-pgan-mnist-preset-v2-2gpus-fp32" in result.stdout
    assert "'metric_arg_list': []" in result.stdout and "'total_kimg': 100.0" in result.stdout
    assert "{4: 256, 8: 256, 16: 128, 32: 64, 64: 32, 128: 16, 256: 8}" in result.stdout


def test_bad_arguments(tmp_path):
    for args, message in [(["--metrics=fid1k"], "Unknown metric 'fid1k'"),
                          (["--dataset=nope", "--data-dir", str(tmp_path)], "Dataset 'nope' not found"),
                          (["--config=sgan", "--num-gpus=3"], "--num-gpus must be one of [1, 2, 4, 8]")]:
        result = run_python(["train.py"] + args)
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert result.returncode == 1 and len(errors) == 1 and message in errors[0], result.stderr[-1500:]
        assert "Traceback" not in result.stderr


def test_senseless_numbers_are_refused_before_any_run(tmp_path):
    """NaN or negative lengths, zero GPUs, resolutions no dataset has: argparse's error (status 2), no run dir."""
    for args, message in [(["--total-kimg=nan"], "argument --total-kimg: nan is not a finite number above 0"),
                          (["--total-kimg=-1"], "argument --total-kimg: -1 is not a finite number above 0"),
                          (["--num-gpus=0"], "argument --num-gpus: 0 is below 1"),
                          (["--resolution=12"], "argument --resolution: 12 is not a power of two")]:
        result = run_python(["train.py", "--result-dir", str(tmp_path)] + args)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, result.stderr[-1500:]
    assert os.listdir(tmp_path) == []
