"""Run functions for tests/test_submission.py (submit_run needs them importable by name)."""

import os

import dnnlib

SETTING = {"lr": 0.5}
_private = 1


def record_run(submit_config, message, fail=False):
    with dnnlib.RunContext(submit_config, config_module=__import__("tests.submission_target", fromlist=["x"])) as ctx:
        assert dnnlib.submit_config is submit_config
        print(message)
        open(os.path.join(submit_config.run_dir, "abort.txt"), "w").close()
        ctx.update(loss=1.0, cur_epoch=1, max_epoch=2)
        print("should_stop=%s" % ctx.should_stop())
        if fail:
            raise ValueError("boom")


def read_input(submit_config, path):
    with open(path, "rb"):  # a missing input: an OSError naming the file, reported as one line
        pass
