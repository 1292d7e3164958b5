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
_PPRINT = dict(indent=4, width=200, compact=False)


class SubmitConfig(EasyDict):
    """Everything submit_run needs: where results go, what to copy, how many GPUs; filled in further by submit_run."""

    def __init__(self):
        super().__init__()
        self.run_dir_root = ""                  # template of the results root, e.g. 'results'
        self.run_desc = ""                      # suffix of the run dir name
        self.run_dir_ignore = ["__pycache__", "*.pyproj", "*.sln", "*.suo"] + [".cache", ".idea", ".vs", ".vscode", ".*", "*.egg-info", "build", "dist"]
        self.run_dir_extra_files = None         # [(absolute source, path relative to <run_dir>/src)]
        self.run_dir_files = None               # ours: {file name: text} written into the run dir before the run starts
        self.submit_target = SubmitTarget.LOCAL
        self.num_gpus = 1
        self.print_info = False
        self.ask_confirmation = False
        for field in ("run_id", "run_name", "run_dir", "run_func_name", "run_func_kwargs", "user_name", "task_name"):
            self[field] = None                  # filled in by submit_run
        self.host_name = "localhost"


def _platform_path_type() -> PathType:
    system = platform.system()
    if system not in ("Windows", "Linux"):
        raise RuntimeError("Unknown platform")
    return PathType.WINDOWS if system == "Windows" else PathType.LINUX


def get_path_from_template(path_template, path_type=PathType.AUTO):
    """Resolve <USERNAME> and normalise the path for the platform."""
    if path_type == PathType.AUTO:
        path_type = _platform_path_type()
    resolved = path_template.replace("<USERNAME>", get_user_name())
    flavour = {PathType.WINDOWS: pathlib.PureWindowsPath, PathType.LINUX: pathlib.PurePosixPath}.get(path_type)
    if flavour is None:
        raise RuntimeError("Unknown platform")
    return str(flavour(resolved))


def get_template_from_path(path):
    return "/".join(path.split("\\"))


def convert_path(path, path_type=PathType.AUTO):
    return get_path_from_template(get_template_from_path(path), path_type)


def set_user_name_override(name):
    global _user_name_override
    _user_name_override = name


def get_user_name():
    if _user_name_override is not None:
        return _user_name_override
    system = platform.system()
    if system == "Windows":
        return os.getlogin()
    if system == "Linux":
        try:
            import pwd
            return pwd.getpwuid(os.geteuid())[0]
        except Exception:
            return "unknown"
    raise RuntimeError("Unknown platform")


def _next_run_id(root):
    """1 + the largest leading number among the root's subdirectories (0 when there is none)."""
    numbers = [int(m.group()) for name in os.listdir(root) if os.path.isdir(os.path.join(root, name)) for m in [re.match(r"\d+", name)] if m]
    return 1 + max(numbers, default=-1)


def _create_run_dir_local(config):
    root = get_path_from_template(config.run_dir_root, PathType.AUTO)
    if not os.path.exists(root):
        print("Creating the run dir root: %s" % root)
        os.makedirs(root)
    config.run_id = _next_run_id(root)
    config.run_name = "%05d-%s" % (config.run_id, config.run_desc)
    run_dir = os.path.join(root, config.run_name)
    if os.path.exists(run_dir):
        raise RuntimeError("The run dir %s exists already" % run_dir)
    print("Creating the run dir: %s" % run_dir)
    os.makedirs(run_dir)
    return run_dir


def _installed_sources(module_file, code_root):
    """(path, relative path) of every .py file of the installed distribution holding module_file; None when it is
    not installed as files (a source checkout, an editable install): then the checkout is the code root. Only the
    distributions installed in code_root are asked (reading every RECORD of an environment takes seconds)."""
    from importlib import metadata
    for dist in metadata.distributions(path=[code_root]):
        if dist.read_text("RECORD") is None:  # not installed by pip (e.g. a checkout's *.egg-info listing every source file)
            continue
        files = [f for f in (dist.files or []) if str(f).endswith(".py")]
        located = {os.path.realpath(str(f.locate())): str(f) for f in files}
        if os.path.realpath(module_file) in located:
            return [(path, rel) for path, rel in located.items() if not rel.startswith("..")]
    return None


def _files_to_copy(config, run_dir):
    """(source, destination) pairs: the Python code of the run function's project (checkout or installed
    distribution), dnnlib, extras, and run.py."""
    module, _ = util.get_module_from_obj_name(config.run_func_name)
    dnnlib_dir = util.get_module_dir_by_obj_name("dnnlib")
    code_root = os.path.dirname(module.__file__)
    for _ in range(config.run_func_name.count(".") - 1):  # 'training.training_loop.training_loop' -> the repo root
        code_root = os.path.dirname(code_root)
    sources = _installed_sources(module.__file__, code_root)
    if sources is None:
        sources = util.list_dir_recursively_with_ignore(code_root, ignores=config.run_dir_ignore)
        sources += util.list_dir_recursively_with_ignore(dnnlib_dir, ignores=config.run_dir_ignore, add_base_to_relative=True)
    sources = [(src, rel) for src, rel in sources if src.endswith(".py")]  # ours: the code, not data, caches or pickles
    sources += list(config.run_dir_extra_files or [])
    pairs = [(src, os.path.join(run_dir, "src", rel)) for src, rel in sources]
    pairs.append((os.path.join(dnnlib_dir, "submission", "_internal", "run.py"), os.path.join(run_dir, "run.py")))
    return pairs


def _populate_run_dir(run_dir, config):
    print("Copying files to the run dir")
    util.copy_files_and_create_dirs(_files_to_copy(config, run_dir))
    with open(os.path.join(run_dir, "submit_config.pkl"), "wb") as f:
        pickle.dump(config, f)
    with open(os.path.join(run_dir, "submit_config.txt"), "wt") as f:
        pprint.pprint(config, stream=f, **_PPRINT)
    for name, text in (config.get("run_dir_files") or {}).items():
        with open(os.path.join(run_dir, name), "wt") as f:
            f.write(text)


def run_wrapper(submit_config):
    """Run the submitted function with stdout/stderr teed to <run_dir>/log.txt; always leaves _finished.txt."""
    import dnnlib
    config = submit_config
    local = config.submit_target == SubmitTarget.LOCAL
    logger = util.Logger(file_name=os.path.join(config.run_dir, "log.txt") if local else None, file_mode="w", should_flush=True)
    dnnlib.submit_config = config
    started = time.time()
    try:
        print("dnnlib: Running %s() on %s..." % (config.run_func_name, config.host_name))
        util.call_func_by_name(func_name=config.run_func_name, submit_config=config, **config.run_func_kwargs)
        print("dnnlib: Finished %s() in %s." % (config.run_func_name, util.format_time(time.time() - started)))
    except Exception as err:
        message = util.user_error_message(err)
        if local and message is not None:  # one line for the user (run_command_line prints it), also in log.txt
            if logger.file is not None:
                logger.file.write("Error: %s\n" % message)
            logger.close()
            if _produced_nothing(config):  # bad input found before the run made anything: leave no run dir behind
                shutil.rmtree(config.run_dir, ignore_errors=True)
            raise
        if local:
            raise
        traceback.print_exc()
        error_log = os.path.join(get_path_from_template(config.run_dir_root), "%s-error.txt" % config.run_name)
        shutil.copyfile(os.path.join(config.run_dir, "log.txt"), error_log)
    finally:
        if os.path.isdir(config.run_dir):
            with open(os.path.join(config.run_dir, "_finished.txt"), "w"):
                pass
    dnnlib.submit_config = None
    logger.close()


def _produced_nothing(config):
    """Whether the run dir holds only what submit_run and RunContext put there (no results yet)."""
    setup_files = {"src", "run.py", "submit_config.pkl", "submit_config.txt", "log.txt", "run.txt"} | set(config.get("run_dir_files") or {})
    return set(os.listdir(config.run_dir)) <= setup_files


def submit_run(submit_config, run_func_name, **run_func_kwargs):
    """Create a new run dir under run_dir_root and run `run_func_name(submit_config=..., **run_func_kwargs)` in it."""
    config = copy.copy(submit_config)
    if config.submit_target != SubmitTarget.LOCAL:
        raise ValueError("only SubmitTarget.LOCAL is supported")
    config.user_name = config.user_name or get_user_name()
    config.run_func_name, config.run_func_kwargs = run_func_name, run_func_kwargs

    config.run_dir = _create_run_dir_local(config)
    config.task_name = "%s-%05d-%s" % (config.user_name, config.run_id, config.run_desc)
    _populate_run_dir(config.run_dir, config)

    if config.print_info:
        print("\nSubmit config:\n")
        pprint.pprint(config, **_PPRINT)
        print()
    if config.ask_confirmation and not util.ask_yes_no("Continue submitting the job?"):
        return
    run_wrapper(config)
