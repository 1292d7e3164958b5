"""submit_run: create the numbered run dir, snapshot the code, and run the function with a log tee."""

import copy
import os
import pathlib
import pickle
import platform
import pprint
import re
import shutil
import time
import traceback
from enum import Enum

from .. import util
from ..util import EasyDict


class SubmitTarget(Enum):
    """Where a run executes. Only local runs exist in this release."""
    LOCAL = 1


class PathType(Enum):
    """Which path flavour a template resolves to."""
    WINDOWS = 1
    LINUX = 2
    AUTO = 3


_user_name_override = None


class SubmitConfig(EasyDict):
    """Everything submit_run needs: where results go, what to copy, how many GPUs; filled in further by submit_run."""

    def __init__(self):
        super().__init__()
        self.run_dir_root = ""
        self.run_desc = ""
        self.run_dir_ignore = ["__pycache__", "*.pyproj", "*.sln", "*.suo", ".cache", ".idea", ".vs", ".vscode"]
        self.run_dir_extra_files = None
        self.submit_target = SubmitTarget.LOCAL
        self.num_gpus = 1
        self.print_info = False
        self.ask_confirmation = False
        self.run_id = None
        self.run_name = None
        self.run_dir = None
        self.run_func_name = None
        self.run_func_kwargs = None
        self.user_name = None
        self.task_name = None
        self.host_name = "localhost"


def get_path_from_template(path_template: str, path_type: PathType = PathType.AUTO) -> str:
    """Resolve <USERNAME> and normalise the path for this platform."""
    if path_type == PathType.AUTO:
        if platform.system() == "Windows":
            path_type = PathType.WINDOWS
        elif platform.system() == "Linux":
            path_type = PathType.LINUX
        else:
            raise RuntimeError("Unknown platform")
    path_template = path_template.replace("<USERNAME>", get_user_name())
    if path_type == PathType.WINDOWS:
        return str(pathlib.PureWindowsPath(path_template))
    if path_type == PathType.LINUX:
        return str(pathlib.PurePosixPath(path_template))
    raise RuntimeError("Unknown platform")


def get_template_from_path(path: str) -> str:
    return path.replace("\\", "/")


def convert_path(path: str, path_type: PathType = PathType.AUTO) -> str:
    return get_path_from_template(get_template_from_path(path), path_type)


def set_user_name_override(name: str) -> None:
    global _user_name_override
    _user_name_override = name


def get_user_name() -> str:
    if _user_name_override is not None:
        return _user_name_override
    if platform.system() == "Windows":
        return os.getlogin()
    if platform.system() == "Linux":
        try:
            import pwd
            return pwd.getpwuid(os.geteuid()).pw_name
        except Exception:
            return "unknown"
    raise RuntimeError("Unknown platform")


def _next_run_id(run_dir_root: str) -> int:
    """1 + the largest leading number among the root's subdirectories (0 when there is none)."""
    ids = []
    for name in os.listdir(run_dir_root):
        if os.path.isdir(os.path.join(run_dir_root, name)):
            match = re.match(r"^\d+", name)
            if match:
                ids.append(int(match.group()))
    return max(ids) + 1 if ids else 0


def _create_run_dir_local(submit_config: SubmitConfig) -> str:
    run_dir_root = get_path_from_template(submit_config.run_dir_root, PathType.AUTO)
    if not os.path.exists(run_dir_root):
        print("Creating the run dir root: {}".format(run_dir_root))
        os.makedirs(run_dir_root)
    submit_config.run_id = _next_run_id(run_dir_root)
    submit_config.run_name = "{0:05d}-{1}".format(submit_config.run_id, submit_config.run_desc)
    run_dir = os.path.join(run_dir_root, submit_config.run_name)
    if os.path.exists(run_dir):
        raise RuntimeError("The run dir already exists! ({0})".format(run_dir))
    print("Creating the run dir: {}".format(run_dir))
    os.makedirs(run_dir)
    return run_dir


def _populate_run_dir(run_dir: str, submit_config: SubmitConfig) -> None:
    """Copy the code the run needs into <run_dir>/src and save the config next to it."""
    print("Copying files to the run dir")
    run_func_module_dir_path = util.get_module_dir_by_obj_name(submit_config.run_func_name)
    for _ in range(submit_config.run_func_name.count(".") - 1):
        run_func_module_dir_path = os.path.dirname(run_func_module_dir_path)
    files = util.list_dir_recursively_with_ignore(run_func_module_dir_path, ignores=submit_config.run_dir_ignore, add_base_to_relative=False)
    dnnlib_module_dir_path = util.get_module_dir_by_obj_name("dnnlib")
    files += util.list_dir_recursively_with_ignore(dnnlib_module_dir_path, ignores=submit_config.run_dir_ignore, add_base_to_relative=True)
    if submit_config.run_dir_extra_files is not None:
        files += submit_config.run_dir_extra_files
    files = [(f[0], os.path.join(run_dir, "src", f[1])) for f in files]
    files += [(os.path.join(dnnlib_module_dir_path, "submission", "_internal", "run.py"), os.path.join(run_dir, "run.py"))]
    util.copy_files_and_create_dirs(files)

    with open(os.path.join(run_dir, "submit_config.pkl"), "wb") as f:
        pickle.dump(submit_config, f)
    with open(os.path.join(run_dir, "submit_config.txt"), "w") as f:
        pprint.pprint(submit_config, stream=f, indent=4, width=200, compact=False)


def run_wrapper(submit_config: SubmitConfig) -> None:
    """Run the submitted function with stdout/stderr teed to <run_dir>/log.txt."""
    import dnnlib
    is_local = submit_config.submit_target == SubmitTarget.LOCAL
    if is_local:
        logger = util.Logger(file_name=os.path.join(submit_config.run_dir, "log.txt"), file_mode="w", should_flush=True)
    else:
        logger = util.Logger(file_name=None, should_flush=True)

    dnnlib.submit_config = submit_config
    try:
        print("dnnlib: Running {0}() on {1}...".format(submit_config.run_func_name, submit_config.host_name))
        start_time = time.time()
        util.call_func_by_name(func_name=submit_config.run_func_name, submit_config=submit_config, **submit_config.run_func_kwargs)
        print("dnnlib: Finished {0}() in {1}.".format(submit_config.run_func_name, util.format_time(time.time() - start_time)))
    except Exception:
        if is_local:
            raise
        traceback.print_exc()
        log_src = os.path.join(submit_config.run_dir, "log.txt")
        log_dst = os.path.join(get_path_from_template(submit_config.run_dir_root), "{0}-error.txt".format(submit_config.run_name))
        shutil.copyfile(log_src, log_dst)
    finally:
        open(os.path.join(submit_config.run_dir, "_finished.txt"), "w").close()

    dnnlib.submit_config = None
    logger.close()


def submit_run(submit_config: SubmitConfig, run_func_name: str, **run_func_kwargs) -> None:
    """Create a new run dir under run_dir_root and run `run_func_name(submit_config=..., **run_func_kwargs)` in it."""
    submit_config = copy.copy(submit_config)
    if submit_config.user_name is None:
        submit_config.user_name = get_user_name()
    submit_config.run_func_name = run_func_name
    submit_config.run_func_kwargs = run_func_kwargs
    assert submit_config.submit_target == SubmitTarget.LOCAL

    run_dir = _create_run_dir_local(submit_config)
    submit_config.task_name = "{0}-{1:05d}-{2}".format(submit_config.user_name, submit_config.run_id, submit_config.run_desc)
    submit_config.run_dir = run_dir
    _populate_run_dir(run_dir, submit_config)

    if submit_config.print_info:
        print("\nSubmit config:\n")
        pprint.pprint(submit_config, indent=4, width=200, compact=False)
        print()
    if submit_config.ask_confirmation and not util.ask_yes_no("Continue submitting the job?"):
        return
    run_wrapper(submit_config)
