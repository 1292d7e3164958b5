"""RunContext: what a running job uses to report progress and to notice abort.txt."""

import datetime
import os
import pprint
import time
import types

from .submit import SubmitConfig

_NOT_SETTINGS = (types.ModuleType, types.FunctionType, types.LambdaType, SubmitConfig, type)


def _now() -> str:
    return datetime.datetime.now().isoformat(sep=" ")


def _write_pretty(path, data) -> None:
    with open(path, "wt") as f:
        pprint.pprint(data, stream=f, indent=4, width=200, compact=False)


def settings_text(config_module) -> str:
    """config.txt of a run: the module's plain settings (e.g. train.py's dataset, train, sched), pretty-printed."""
    settings = {key: value for key, value in vars(config_module).items() if not key.startswith("_") and not isinstance(value, _NOT_SETTINGS)}
    return pprint.pformat(settings, indent=4, width=200, compact=False) + "\n"


class RunContext(object):
    """Writes run.txt/config.txt, tracks update intervals and the abort.txt stop request."""

    def __init__(self, submit_config, config_module=None, max_epoch=None):
        self.submit_config = submit_config
        self.should_stop_flag = False
        self.has_closed = False
        self.start_time = self.last_update_time = time.time()
        self.last_update_interval = 0.0
        self.max_epoch = max_epoch

        if config_module is not None:
            with open(self._path("config.txt"), "wt") as f:
                f.write(settings_text(config_module))
        self.run_txt_data = dict(task_name=submit_config.task_name, host_name=submit_config.host_name, start_time=_now())
        _write_pretty(self._path("run.txt"), self.run_txt_data)

    def _path(self, name):
        return os.path.join(self.submit_config.run_dir, name)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def update(self, loss=0, cur_epoch=0, max_epoch=None):
        """Mark progress; raises the stop flag when <run_dir>/abort.txt appears."""
        assert not self.has_closed
        now = time.time()
        self.last_update_interval, self.last_update_time = now - self.last_update_time, now
        self.should_stop_flag = self.should_stop_flag or os.path.exists(self._path("abort.txt"))

    def should_stop(self):
        return self.should_stop_flag

    def get_time_since_start(self):
        return time.time() - self.start_time

    def get_time_since_last_update(self):
        now = time.time()
        return now - self.last_update_time

    def get_last_update_interval(self):
        return self.last_update_interval

    def close(self):
        if self.has_closed:
            return
        self.run_txt_data.update(stop_time=_now())
        _write_pretty(self._path("run.txt"), self.run_txt_data)
        self.has_closed = True
