"""Launcher for a run whose submit_config.pkl already sits in its run dir: run.py RUN_DIR TASK_NAME HOST_NAME."""

import os
import pickle
import sys

# The run dir's src/ holds the copied code; make it importable before dnnlib.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))

from dnnlib.submission.submit import run_wrapper, set_user_name_override  # noqa: E402


def main():
    if len(sys.argv) < 4:
        raise RuntimeError("usage: run.py RUN_DIR TASK_NAME HOST_NAME")
    run_dir, task_name, host_name = sys.argv[1:4]
    with open(os.path.join(run_dir, "submit_config.pkl"), "rb") as f:
        submit_config = pickle.load(f)
    set_user_name_override(submit_config.user_name)
    submit_config.task_name = task_name
    submit_config.host_name = host_name
    run_wrapper(submit_config)


if __name__ == "__main__":
    main()
