"""RunContext: what a running job uses to report progress and to notice abort.txt."""

import datetime
import os
import pprint
import time
import types

from .submit import SubmitConfig


def _printable_config(config_module) -> dict:
    """The module's plain settings: no private names, modules, functions, classes or SubmitConfigs."""
    skipped = (types.ModuleType, types.FunctionType, types.LambdaType, SubmitConfig, type)
    return {k: v for k, v in vars(config_module).items() if not k.startswith("_") and not isinstance(v, skipped)}


class RunContext(object):
    """Writes run.txt/config.txt, tracks update intervals and the abort.txt stop request."""

    def __init__(self, submit_config: SubmitConfig, config_module: types.ModuleType = None, max_epoch: int = None):
        self.submit_config = submit_config
        self.should_stop_flag = False
        self.has_closed = False
        self.start_time = time.time()
        self.last_update_time = time.time()
        self.last_update_interval = 0.0
        self.max_epoch = max_epoch

        if config_module is not None:
            with open(os.path.join(submit_config.run_dir, "config.txt"), "w") as f:
                pprint.pprint(_printable_config(config_module), stream=f, indent=4, width=200, compact=False)

        self.run_txt_data = {"task_name": submit_config.task_name, "host_name": submit_config.host_name,
                             "start_time": datetime.datetime.now().isoformat(sep=" ")}
        self._write_run_txt()

    def __enter__(self) -> "RunContext":
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        self.close()

    def _write_run_txt(self) -> None:
        with open(os.path.join(self.submit_config.run_dir, "run.txt"), "wt") as f:
            pprint.pprint(self.run_txt_data, stream=f, indent=4, width=200, compact=False)

    def update(self, loss: float = 0, cur_epoch: int = 0, max_epoch: int = None) -> None:
        """Mark progress; raises the stop flag when <run_dir>/abort.txt appears."""
        assert not self.has_closed
        now = time.time()
        self.last_update_interval = now - self.last_update_time
        self.last_update_time = now
        if os.path.exists(os.path.join(self.submit_config.run_dir, "abort.txt")):
            self.should_stop_flag = True

    def should_stop(self) -> bool:
        return self.should_stop_flag

    def get_time_since_start(self) -> float:
        return time.time() - self.start_time

    def get_time_since_last_update(self) -> float:
        return time.time() - self.last_update_time

    def get_last_update_interval(self) -> float:
        return self.last_update_interval

    def close(self) -> None:
        if not self.has_closed:
            self.run_txt_data["stop_time"] = datetime.datetime.now().isoformat(sep=" ")
            self._write_run_txt()
            self.has_closed = True

