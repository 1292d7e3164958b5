"""The scripts and benchmarks refuse numbers that make no sense, and --variants that are not literals, with one error line."""

import os
import sys
import time

import pytest

from conftest import run_python

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import dnnlib  # noqa: E402
from bench import bench_train  # noqa: E402


@pytest.mark.parametrize("args, message", [
    (["bench/bench_generate.py", "--minibatch", "0"], "argument --minibatch: 0 is below 1"),
    (["bench/bench_generate.py", "--repeats", "-1"], "argument --repeats: -1 is below 1"),
    (["bench/bench_generate.py", "--resolutions", ""], "argument --resolutions: give at least one value"),
    (["bench/bench_metrics.py", "--num-images", "abc"], "argument --num-images: 'abc' is not an integer"),
    (["bench/bench_projector.py", "--warmup", "-3"], "argument --warmup: -3 is below 0"),
    (["bench/bench_cluster.py", "--workers", "1,-1"], "argument --workers: -1 is below 0"),
    (["bench/bench_train.py", "--kimg", "0"], "argument --kimg: 0 is not a finite number above 0"),
    (["bench/bench_cluster.py", "--kimg", "inf"], "argument --kimg: inf is not a finite number above 0"),
    (["pretrained_example.py", "--seed", "-1"], "argument --seed: -1 is below 0"),
    (["pretrained_example.py", "--seed", "4294967296"], "argument --seed: 4294967296 is above 2**32-1, the largest seed"),
    (["pretrained_example.py", "--truncation-psi", "nan"], "argument --truncation-psi: nan is not a finite number"),
    (["run_projector.py", "project-generated-images", "--num-steps", "0"], "argument --num-steps: 0 is below 1"),
    (["dataset_tool.py", "create_mnistrgb", "out", "mnist", "--random_seed", "-1"], "argument --random_seed: -1 is below 0"),
    (["dataset_tool.py", "create_lsun_wide", "out", "lsun", "--width", "0"], "argument --width: 0 is below 4"),
    (["dataset_tool.py", "create_lsun", "out", "lsun", "--resolution", "48"], "argument --resolution: 48 is not a power of two"),
    (["metrics/floor.py", "--dataset", "a", "--reference", "b", "--num-images", "1"], "argument --num-images: 1 is below 2"),
    (["metrics/floor.py", "--dataset", "a", "--reference", "b", "--max-subset-size", "1"], "argument --max-subset-size: 1 is below 2"),
    (["run_metrics.py", "--num-images", "1"], "argument --num-images: 1 is below 2"),
    (["run_metrics.py", "--num-images", "1" + "0" * 20], "argument --num-images: %s is above 100000000" % ("1" + "0" * 20)),
    (["metrics/floor.py", "--dataset", "a", "--reference", "b", "--num-subsets", "1" + "0" * 12], "argument --num-subsets: %s is above 1000000" % ("1" + "0" * 12)),
    (["bench/bench_metrics.py", "--num-images", "1"], "argument --num-images: 1 is below 2"),
])
def test_senseless_counts_are_refused_before_any_work(args, message):
    result = run_python(args)
    assert result.returncode == 2 and result.stderr.strip().splitlines()[-1].endswith(message) and "Traceback" not in result.stderr


def test_every_sensible_value_is_accepted():
    """The types refuse only what makes no sense: the ends of each range, negative and large truncations pass."""
    from dnnlib import arguments
    assert [arguments.seed(text) for text in ("0", "4294967295")] == [0, 2 ** 32 - 1]
    assert [arguments.finite_float(text) for text in ("-0.5", "1.5", "0")] == [-0.5, 1.5, 0.0]
    assert [arguments.image_size(text) for text in ("4", "1024", "8192")] == [4, 1024, 8192]
    assert arguments.positive_float("1e-3") == 1e-3 and arguments.nonnegative_float("0") == 0.0
    assert arguments.positive_int("1") == 1 and arguments.nonnegative_int("0") == 0


def test_bench_metrics_end_to_end_takes_feature_network_metrics_only():
    result = run_python(["bench/bench_metrics.py", "--metric", "ppl_zend"])
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "Error: --metric: the end-to-end run measures a metric of a feature network (FID, KID), not ppl_zend."


@pytest.mark.parametrize("args, message", [
    (["bench/bench_generate.py", "--resolutions", "33"], "Error: Official layout: resolution must be a power of two from 4"),
    (["bench/bench_generate.py", "--resolutions", "2"], "Error: Official layout: resolution must be a power of two from 4"),
    (["bench/bench_projector.py", "--networks", "official-33", "--distances", "pixel"], "Error: Official layout: resolution must be a power of two from 4"),
    (["bench/bench_projector.py", "--networks", "official-abc", "--distances", "pixel"], "Error: --networks: official-RES takes a resolution, not 'official-abc'."),
])
def test_official_layout_resolutions_are_checked(args, message):
    result = run_python(args)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(message)


def test_resolutions_are_not_taken_with_a_network_pickle():
    result = run_python(["bench/bench_generate.py", "--network", "any.pkl", "--resolutions", "256"])
    assert result.returncode == 1 and result.stderr.strip().splitlines()[-1] == "Error: --resolutions is for the official layout; a --network has its own resolution."


def test_variants_are_literal_keyword_arguments():
    assert bench_train.parse_variants("xla=False; fmap_base=1024, xla=True") == [("xla=False", dict(xla=False)), ("fmap_base=1024, xla=True", dict(fmap_base=1024, xla=True))]
    assert bench_train.parse_variants("") == [("default", {})]
    for hostile in ["xla=", "xla=Flase", "1", "**{'xla': 1}", "x=__import__('os').system('echo owned')", "xla=False, xla=True",
                    "xla=False)(fmap_base=1", "fmap_base={[1]: 2}"]:
        with pytest.raises(dnnlib.util.UserError, match="is not keyword=value pairs of Python literals"):
            bench_train.parse_variants(hostile)
    with pytest.raises(dnnlib.util.UserError, match="resolution is set by the configuration"):
        bench_train.parse_variants("resolution=64")
    for ignored in ("bogus", "kwargs", "labels_in"):  # not settings: the networks would ignore them or fail
        with pytest.raises(dnnlib.util.UserError, match="no network takes '%s'" % ignored):
            bench_train.parse_variants("xla=False; %s=1" % ignored)


def test_a_cluster_worker_that_does_not_start_is_one_error_and_leaves_nothing_running(tmp_path):
    """Worker 0 starts and waits; worker 1 fails at once: one UserError, and worker 0 is stopped, not left behind."""
    from bench import bench_cluster
    (tmp_path / "train.py").write_text(
        "import os, sys, time\n"
        "if sys.argv[-1] == '--task=1':\n    sys.exit(2)\n"
        "open(os.path.join(os.path.dirname(__file__), 'pid'), 'w').write(str(os.getpid()))\n"
        "print('listening', flush=True)\ntime.sleep(600)\n")
    with pytest.raises(dnnlib.util.UserError, match="did not start"):
        bench_cluster.start_workers(2, timeout=60, repo=str(tmp_path))
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped by start_workers


def test_a_silent_cluster_worker_is_an_error_at_the_deadline(tmp_path):
    """A worker that neither listens nor exits: one UserError once the timeout has passed, and it is stopped."""
    from bench import bench_cluster
    (tmp_path / "train.py").write_text(
        "import os, time\n"
        "open(os.path.join(os.path.dirname(__file__), 'pid'), 'w').write(str(os.getpid()))\n"
        "time.sleep(600)\n")
    start = time.time()
    with pytest.raises(dnnlib.util.UserError, match="did not start within 3 s"):
        bench_cluster.start_workers(1, timeout=3, repo=str(tmp_path))
    assert time.time() - start < 60
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
