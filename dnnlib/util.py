"""Small helpers shared by the whole code base: EasyDict, logging, names to objects, downloads."""

import ctypes
import fnmatch
import glob
import hashlib
import html
import importlib
import inspect
import io
import os
import re
import shutil
import sys
import time
import types
import urllib.parse
import uuid
from typing import Any, List, Tuple, Union

import numpy as np


class EasyDict(dict):
    """A dict whose items can also be read and written as attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]


class Logger(object):
    """Tees stdout and stderr into a log file (the run dir's log.txt)."""

    def __init__(self, file_name: str = None, file_mode: str = "w", should_flush: bool = True):
        self.file = open(file_name, file_mode) if file_name is not None else None
        self.should_flush = should_flush
        self.stdout = sys.stdout
        self.stderr = sys.stderr
        sys.stdout = self
        sys.stderr = self

    def __enter__(self) -> "Logger":
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        self.close()

    def write(self, text: str) -> None:
        if len(text) == 0:
            return
        if self.file is not None:
            self.file.write(text)
        self.stdout.write(text)
        if self.should_flush:
            self.flush()

    def flush(self) -> None:
        if self.file is not None:
            self.file.flush()
        self.stdout.flush()

    def close(self) -> None:
        self.flush()
        if sys.stdout is self:
            sys.stdout = self.stdout
        if sys.stderr is self:
            sys.stderr = self.stderr
        if self.file is not None:
            self.file.close()
            self.file = None


def format_time(seconds: Union[int, float]) -> str:
    """Human-readable duration: 42s, 2m 05s, 1h 02m 05s, 1d 01h 01m."""
    s = int(np.rint(seconds))
    if s < 60:
        return "{0}s".format(s)
    if s < 60 * 60:
        return "{0}m {1:02}s".format(s // 60, s % 60)
    if s < 24 * 60 * 60:
        return "{0}h {1:02}m {2:02}s".format(s // 3600, (s // 60) % 60, s % 60)
    return "{0}d {1:02}h {2:02}m".format(s // 86400, (s // 3600) % 24, (s // 60) % 60)


def strtobool(text: str) -> int:
    """distutils.util.strtobool, which Python 3.12 removed."""
    text = text.lower()
    if text in ("y", "yes", "t", "true", "on", "1"):
        return 1
    if text in ("n", "no", "f", "false", "off", "0"):
        return 0
    raise ValueError("invalid truth value %r" % (text,))


def ask_yes_no(question: str) -> bool:
    """Ask on the console until the answer parses as yes or no."""
    while True:
        try:
            print("{0} [y/n]".format(question))
            return strtobool(input().lower())
        except ValueError:
            pass


def tuple_product(t: Tuple) -> Any:
    result = 1
    for v in t:
        result *= v
    return result


_str_to_ctype = {
    "uint8": ctypes.c_ubyte, "uint16": ctypes.c_uint16, "uint32": ctypes.c_uint32, "uint64": ctypes.c_uint64,
    "int8": ctypes.c_byte, "int16": ctypes.c_int16, "int32": ctypes.c_int32, "int64": ctypes.c_int64,
    "float32": ctypes.c_float, "float64": ctypes.c_double,
}


def get_dtype_and_ctype(type_obj: Any) -> Tuple[np.dtype, Any]:
    """Map a dtype given as string, class or object to (numpy dtype, ctypes type)."""
    if isinstance(type_obj, str):
        type_str = type_obj
    elif hasattr(type_obj, "__name__"):
        type_str = type_obj.__name__
    elif hasattr(type_obj, "name"):
        type_str = type_obj.name
    else:
        raise RuntimeError("Cannot infer type name from input")
    assert type_str in _str_to_ctype
    my_dtype = np.dtype(type_str)
    my_ctype = _str_to_ctype[type_str]
    assert my_dtype.itemsize == ctypes.sizeof(my_ctype)
    return my_dtype, my_ctype


def is_pickleable(obj: Any) -> bool:
    import pickle
    try:
        with io.BytesIO() as stream:
            pickle.dump(obj, stream)
        return True
    except Exception:
        return False


# ----------------------------------------------------------------------------
# Objects by dotted name.

def get_module_from_obj_name(obj_name: str) -> Tuple[types.ModuleType, str]:
    """Split 'pkg.module.obj.attr' into the longest importable module and the rest."""
    obj_name = re.sub("^np.", "numpy.", obj_name)
    obj_name = re.sub("^tf.", "tensorflow.", obj_name)
    parts = obj_name.split(".")
    candidates = [(".".join(parts[:i]), ".".join(parts[i:])) for i in range(len(parts), 0, -1)]

    for module_name, local_name in candidates:
        try:
            module = importlib.import_module(module_name)
            get_obj_from_module(module, local_name)
            return module, local_name
        except Exception:
            pass

    # Nothing worked: surface a real bug inside a module rather than "not found".
    for module_name, _local_name in candidates:
        try:
            importlib.import_module(module_name)
        except ImportError as err:
            if not str(err).startswith("No module named '" + module_name + "'"):
                raise
    for module_name, local_name in candidates:
        try:
            module = importlib.import_module(module_name)
            get_obj_from_module(module, local_name)
        except ImportError:
            pass
    raise ImportError(obj_name)


def get_obj_from_module(module: types.ModuleType, obj_name: str) -> Any:
    if obj_name == "":
        return module
    obj = module
    for part in obj_name.split("."):
        obj = getattr(obj, part)
    return obj


def get_obj_by_name(name: str) -> Any:
    module, obj_name = get_module_from_obj_name(name)
    return get_obj_from_module(module, obj_name)


def call_func_by_name(*args, func_name: str = None, **kwargs) -> Any:
    assert func_name is not None
    func_obj = get_obj_by_name(func_name)
    assert callable(func_obj)
    return func_obj(*args, **kwargs)


def get_module_dir_by_obj_name(obj_name: str) -> str:
    module, _ = get_module_from_obj_name(obj_name)
    return os.path.dirname(inspect.getfile(module))


def is_top_level_function(obj: Any) -> bool:
    return callable(obj) and obj.__name__ in sys.modules[obj.__module__].__dict__


def get_top_level_function_name(obj: Any) -> str:
    assert is_top_level_function(obj)
    return obj.__module__ + "." + obj.__name__


# ----------------------------------------------------------------------------
# Files.

def list_dir_recursively_with_ignore(dir_path: str, ignores: List[str] = None, add_base_to_relative: bool = False) -> List[Tuple[str, str]]:
    """(absolute path, relative path) of every file below dir_path, fnmatch patterns pruned."""
    assert os.path.isdir(dir_path)
    base_name = os.path.basename(os.path.normpath(dir_path))
    ignores = ignores or []
    result = []
    for root, dirs, files in os.walk(dir_path, topdown=True):
        for pattern in ignores:
            dirs[:] = [d for d in dirs if not fnmatch.fnmatch(d, pattern)]
            files = [f for f in files if not fnmatch.fnmatch(f, pattern)]
        absolute = [os.path.join(root, f) for f in files]
        relative = [os.path.relpath(p, dir_path) for p in absolute]
        if add_base_to_relative:
            relative = [os.path.join(base_name, p) for p in relative]
        result += zip(absolute, relative)
    return result


def copy_files_and_create_dirs(files: List[Tuple[str, str]]) -> None:
    for src, dst in files:
        target_dir = os.path.dirname(dst)
        if target_dir and not os.path.exists(target_dir):
            os.makedirs(target_dir)
        shutil.copyfile(src, dst)


# ----------------------------------------------------------------------------
# URLs and downloads.

def is_url(obj: Any) -> bool:
    """True for strings like 'https://host.tld/x'; a host needs a dot (127.0.0.1 does, localhost does not)."""
    if not isinstance(obj, str) or "://" not in obj:
        return False
    try:
        res = urllib.parse.urlparse(obj)
        if not res.scheme or not res.netloc or "." not in res.netloc:
            return False
        res = urllib.parse.urlparse(urllib.parse.urljoin(obj, "/"))
        if not res.scheme or not res.netloc or "." not in res.netloc:
            return False
    except Exception:
        return False
    return True


class DownloadError(IOError):
    """Raised when a URL cannot be fetched; the message tells the user how to work offline."""


def _fetch_once(session, url: str) -> Tuple[bytes, str, str]:
    """One GET. Returns (data, file name); raises on any failure, _Redirect for Drive's warning page."""
    with session.get(url, timeout=60) as res:
        res.raise_for_status()
        data = res.content
        expected = res.headers.get("Content-Length")
        if expected is not None and res.headers.get("Content-Encoding") in (None, "identity") and int(expected) != len(data):
            raise IOError("Truncated download: got %d of %s bytes" % (len(data), expected))
        if len(data) == 0:
            raise IOError("No data received")
        if len(data) < 8192:
            content_str = data.decode("utf-8")
            if "download_warning" in res.headers.get("Set-Cookie", ""):
                links = [html.unescape(link) for link in content_str.split('"') if "export=download" in link]
                if len(links) == 1:
                    raise _Redirect(urllib.parse.urljoin(url, links[0]))
            if "Google Drive - Quota exceeded" in content_str:
                raise IOError("Google Drive quota exceeded for %s; try again later" % url)
        match = re.search(r'filename="([^"]*)"', res.headers.get("Content-Disposition", ""))
        return data, (match[1] if match else url)


class _Redirect(Exception):
    def __init__(self, url):
        super().__init__(url)
        self.url = url


def open_url(url: str, cache_dir: str = None, num_attempts: int = 10, verbose: bool = True) -> Any:
    """Download a URL (or reuse its cached copy) and return a binary file object.

    The cache holds only complete downloads: data is written to a temporary
    name and renamed into place, so an interrupted run never leaves a partial file.
    """
    import requests  # imported here so 'import dnnlib' stays light

    assert is_url(url)
    assert num_attempts >= 1

    url_md5 = hashlib.md5(url.encode("utf-8")).hexdigest()
    if cache_dir is not None:
        cache_files = glob.glob(os.path.join(cache_dir, url_md5 + "_*"))
        if len(cache_files) == 1:
            return open(cache_files[0], "rb")

    fetch_url = url
    data = file_name = None
    with requests.Session() as session:
        if verbose:
            print("Downloading %s ..." % url, end="", flush=True)
        for attempts_left in reversed(range(num_attempts)):
            try:
                data, file_name = _fetch_once(session, fetch_url)
                if verbose:
                    print(" done")
                break
            except _Redirect as redirect:
                fetch_url = redirect.url
                if attempts_left == 0:
                    if verbose:
                        print(" failed")
                    raise DownloadError("Cannot download %s: Google Drive kept asking for confirmation" % url)
            except Exception as err:
                if attempts_left == 0:
                    if verbose:
                        print(" failed")
                    raise DownloadError(_offline_message(url, cache_dir, err)) from err
                if verbose:
                    print(".", end="", flush=True)
                time.sleep(min(0.25 * (num_attempts - attempts_left), 2.0))

    if cache_dir is not None:
        safe_name = re.sub(r"[^0-9a-zA-Z-._]", "_", file_name)
        cache_file = os.path.join(cache_dir, url_md5 + "_" + safe_name)
        temp_file = os.path.join(cache_dir, "tmp_" + uuid.uuid4().hex + "_" + url_md5 + "_" + safe_name)
        os.makedirs(cache_dir, exist_ok=True)
        with open(temp_file, "wb") as f:
            f.write(data)
        os.replace(temp_file, cache_file)
    return io.BytesIO(data)


def _offline_message(url: str, cache_dir: str, err: Exception) -> str:
    import requests
    if isinstance(err, requests.ConnectionError):
        reason = "cannot connect to %s; no network?" % urllib.parse.urlparse(url).netloc
    elif isinstance(err, requests.HTTPError) and err.response is not None:
        reason = "server answered HTTP %d" % err.response.status_code
    else:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
    message = "Cannot download %s (%s). Pass a local file path instead" % (url, reason)
    if cache_dir is not None:
        message += ", or place the file in '%s' as %s_<name>" % (cache_dir, hashlib.md5(url.encode("utf-8")).hexdigest())
    return message + "."


# ----------------------------------------------------------------------------
# Command-line tools.

class UserError(Exception):
    """Bad input from the user; command-line tools print it as one line and exit non-zero."""


def run_command_line(main_func, *args, **kwargs) -> Any:
    """Call main_func; turn user-facing errors into 'Error: <message>' on stderr and exit status 1."""
    from_loader = ()
    if "dnnlib.tflib.loader" in sys.modules:
        from_loader = (sys.modules["dnnlib.tflib.loader"].NetworkPickleError,)
    try:
        return main_func(*args, **kwargs)
    except (UserError, DownloadError) + from_loader as err:
        print("Error: %s" % err, file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        sys.exit(130)
