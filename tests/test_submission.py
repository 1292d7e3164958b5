"""submit_run and RunContext: numbered run dirs, log tee, config/run files, abort.txt."""

import ast
import os
import pickle

import pytest

import dnnlib
from dnnlib.submission.submit import get_template_from_path


def make_config(root):
    config = dnnlib.SubmitConfig()
    config.run_dir_root = get_template_from_path(str(root))
    config.run_desc = "test-run"
    config.run_dir_ignore += ["data", "*.pkl", ".git", "results"]
    return config


def test_submit_run_creates_numbered_dirs(tmp_path, capsys):
    os.makedirs(tmp_path / "00007-older")
    dnnlib.submit_run(make_config(tmp_path), "tests.submission_target.record_run", message="hello run")
    run_dir = tmp_path / "00008-test-run"
    assert run_dir.is_dir()
    log = (run_dir / "log.txt").read_text()
    assert "dnnlib: Running tests.submission_target.record_run() on localhost..." in log
    assert "hello run" in log and "should_stop=True" in log and "dnnlib: Finished" in log
    for name in ["_finished.txt", "run.txt", "config.txt", "submit_config.pkl", "submit_config.txt", "run.py", "src/dnnlib/util.py", "src/tests/submission_target.py"]:
        assert (run_dir / name).exists(), name
    assert ast.literal_eval((run_dir / "config.txt").read_text()) == {"SETTING": {"lr": 0.5}}
    run_txt = ast.literal_eval((run_dir / "run.txt").read_text())
    assert run_txt["task_name"].endswith("-00008-test-run") and "stop_time" in run_txt
    with open(run_dir / "submit_config.pkl", "rb") as f:
        assert pickle.load(f).run_name == "00008-test-run"
    assert dnnlib.submit_config is None
    assert "Creating the run dir: " in capsys.readouterr().out


def test_failing_run_reraises_and_marks_finished(tmp_path):
    import sys
    try:
        with pytest.raises(ValueError, match="boom"):
            dnnlib.submit_run(make_config(tmp_path), "tests.submission_target.record_run", message="x", fail=True)
        assert (tmp_path / "00000-test-run" / "_finished.txt").exists()
    finally:
        if isinstance(sys.stdout, dnnlib.util.Logger):  # the original leaves the logger installed after a local failure
            sys.stdout.close()


def test_a_run_refused_on_its_input_leaves_no_run_dir(tmp_path):
    """A file the OS refuses (reported as one 'Error:' line, like a UserError) before the run made anything: the
    run dir goes, as for a UserError, and run_command_line has the line to print."""
    import sys
    try:
        with pytest.raises(FileNotFoundError) as info:
            dnnlib.submit_run(make_config(tmp_path), "tests.submission_target.read_input", path=str(tmp_path / "missing.pkl"))
        assert not os.path.exists(tmp_path / "00000-test-run")
        assert dnnlib.util.user_error_message(info.value) == "No such file or directory: '%s'." % (tmp_path / "missing.pkl")
    finally:
        if isinstance(sys.stdout, dnnlib.util.Logger):
            sys.stdout.close()
