"""Small helpers shared by the whole code base: EasyDict, logging, names to objects, downloads, CLI errors."""

import ctypes
import fnmatch
import glob
import hashlib
import html
import importlib
import inspect
import io
import os
import pickle
import re
import shutil
import sys
import time
import urllib.parse
import uuid

import numpy as np


class EasyDict(dict):
    """A dict whose items can also be read and written as attributes."""

    def __getattr__(self, key):
        if key in self:
            return self[key]
        raise AttributeError(key)

    def __setattr__(self, key, value):
        self[key] = value

    def __delattr__(self, key):
        del self[key]


class Logger(object):
    """Tees stdout and stderr into a log file (the run dir's log.txt)."""

    def __init__(self, file_name=None, file_mode="w", should_flush=True):
        self.file = None if file_name is None else open(file_name, file_mode)
        self.should_flush = should_flush
        self.stdout, self.stderr = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = self

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def write(self, text):
        if not text:
            return
        for stream in (self.file, self.stdout):
            if stream is not None:
                stream.write(text)
        if self.should_flush:
            self.flush()

    def flush(self):
        for stream in (self.file, self.stdout):
            if stream is not None:
                stream.flush()

    def close(self):
        self.flush()
        if sys.stdout is self:
            sys.stdout = self.stdout
        if sys.stderr is self:
            sys.stderr = self.stderr
        if self.file is not None:
            self.file.close()
            self.file = None


def format_time(seconds):
    """Human-readable duration: 42s, 2m 05s, 1h 02m 05s, 1d 01h 01m (rounded half to even)."""
    total = int(np.rint(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if total < 60:
        return "%ds" % secs
    if total < 3600:
        return "%dm %02ds" % (minutes, secs)
    if total < 86400:
        return "%dh %02dm %02ds" % (hours, minutes, secs)
    return "%dd %02dh %02dm" % (days, hours, minutes)


def strtobool(text):
    """distutils.util.strtobool, which Python 3.12 removed: 1 or 0, ValueError otherwise."""
    answers = {"y": 1, "yes": 1, "t": 1, "true": 1, "on": 1, "1": 1, "n": 0, "no": 0, "f": 0, "false": 0, "off": 0, "0": 0}
    try:
        return answers[text.lower()]
    except KeyError:
        raise ValueError("invalid truth value %r" % (text,))


def ask_yes_no(question):
    """Ask on the console until the answer parses as yes or no."""
    while True:
        print("%s [y/n]" % question)
        try:
            return strtobool(input().lower())
        except ValueError:
            continue


def tuple_product(t):
    product = 1
    for value in t:
        product = product * value
    return product


_CTYPES = {
    "uint8": ctypes.c_ubyte, "uint16": ctypes.c_uint16, "uint32": ctypes.c_uint32, "uint64": ctypes.c_uint64,
    "int8": ctypes.c_byte, "int16": ctypes.c_int16, "int32": ctypes.c_int32, "int64": ctypes.c_int64,
    "float32": ctypes.c_float, "float64": ctypes.c_double,
}


def get_dtype_and_ctype(type_obj):
    """(NumPy dtype, ctypes type) for a dtype given as a string, a class or an object with .name."""
    if isinstance(type_obj, str):
        name = type_obj
    else:
        name = getattr(type_obj, "__name__", None) or getattr(type_obj, "name", None)
        if name is None:
            raise RuntimeError("Cannot tell the type name of %r" % (type_obj,))
    assert name in _CTYPES, "unsupported type %s" % name
    dtype, ctype = np.dtype(name), _CTYPES[name]
    assert ctypes.sizeof(ctype) == dtype.itemsize
    return dtype, ctype


def is_pickleable(obj):
    try:
        pickle.dump(obj, io.BytesIO())
    except Exception:
        return False
    return True


# ----------------------------------------------------------------------------
# Objects by dotted name.

def get_module_from_obj_name(obj_name):
    """Split 'pkg.module.obj.attr' into the longest importable module and the rest ('np.'/'tf.' prefixes allowed)."""
    for pattern, full in (("^np.", "numpy."), ("^tf.", "tensorflow.")):  # as in the original, '.' matches any character
        obj_name = re.sub(pattern, full, obj_name)
    parts = obj_name.split(".")
    splits = [(".".join(parts[:n]), ".".join(parts[n:])) for n in range(len(parts), 0, -1)]

    for module_name, attr_path in splits:
        try:
            found = importlib.import_module(module_name)
            get_obj_from_module(found, attr_path)
            return found, attr_path
        except Exception:
            continue

    # Nothing resolved. A module that exists but fails to import has a bug: let that error through.
    for module_name, _ in splits:
        try:
            importlib.import_module(module_name)
        except ImportError as err:
            if not str(err).startswith("No module named '%s'" % module_name):
                raise
    for module_name, attr_path in splits:  # a missing attribute of an importable module: AttributeError
        try:
            found = importlib.import_module(module_name)
        except ImportError:
            continue
        get_obj_from_module(found, attr_path)
    raise ImportError(obj_name)


def get_obj_from_module(module, obj_name):
    obj = module
    for attr in filter(None, obj_name.split(".")):
        obj = getattr(obj, attr)
    return obj


def get_obj_by_name(name):
    return get_obj_from_module(*get_module_from_obj_name(name))


def call_func_by_name(*args, func_name=None, **kwargs):
    assert func_name is not None, "func_name is required"
    func = get_obj_by_name(func_name)
    assert callable(func), "%s is not callable" % func_name
    return func(*args, **kwargs)


def get_module_dir_by_obj_name(obj_name):
    found, _ = get_module_from_obj_name(obj_name)
    return os.path.dirname(inspect.getfile(found))


def is_top_level_function(obj):
    if not callable(obj):
        return False
    return obj.__name__ in vars(sys.modules[obj.__module__])


def get_top_level_function_name(obj):
    assert is_top_level_function(obj)
    return "%s.%s" % (obj.__module__, obj.__name__)


# ----------------------------------------------------------------------------
# Files.

def list_dir_recursively_with_ignore(dir_path, ignores=None, add_base_to_relative=False):
    """(absolute path, relative path) of every file below dir_path; fnmatch patterns prune dirs and drop files."""
    assert os.path.isdir(dir_path)
    patterns = list(ignores or [])
    prefix = os.path.basename(os.path.normpath(dir_path)) if add_base_to_relative else ""

    def ignored(name):
        return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)

    found = []
    for folder, subdirs, names in os.walk(dir_path, topdown=True):
        subdirs[:] = [d for d in subdirs if not ignored(d)]
        for name in names:
            if not ignored(name):
                full = os.path.join(folder, name)
                found.append((full, os.path.join(prefix, os.path.relpath(full, dir_path)) if prefix else os.path.relpath(full, dir_path)))
    return found


def copy_files_and_create_dirs(files):
    for src, dst in files:
        parent = os.path.dirname(dst)
        if parent:
            os.makedirs(parent, exist_ok=True)
        shutil.copyfile(src, dst)


# ----------------------------------------------------------------------------
# URLs and downloads.

def is_url(obj):
    """True for strings like 'https://host.tld/x'; the host needs a dot (127.0.0.1 has one, localhost does not)."""
    if not isinstance(obj, str) or "://" not in obj:
        return False
    try:
        for candidate in (obj, urllib.parse.urljoin(obj, "/")):
            parsed = urllib.parse.urlparse(candidate)
            if not (parsed.scheme and parsed.netloc and "." in parsed.netloc):
                return False
    except Exception:
        return False
    return True


class DownloadError(IOError):
    """A URL could not be fetched; the message says how to work offline."""


class _Redirect(Exception):
    """Google Drive's 'cannot scan for viruses' page: the real download is at .url."""

    def __init__(self, url):
        super().__init__(url)
        self.url = url


def _fetch_once(session, url):
    """One GET: (data, file name). Raises on any failure, _Redirect for Drive's confirmation page."""
    with session.get(url, timeout=60) as response:
        response.raise_for_status()
        data = response.content
        declared = response.headers.get("Content-Length")
        plain = response.headers.get("Content-Encoding") in (None, "identity")
        if declared is not None and plain and int(declared) != len(data):
            raise IOError("Truncated download: got %d of %s bytes" % (len(data), declared))
        if not data:
            raise IOError("No data received")
        if len(data) < 8192:  # small bodies may be an HTML page instead of the file
            page = data.decode("utf-8")
            if "download_warning" in response.headers.get("Set-Cookie", ""):
                targets = [html.unescape(piece) for piece in page.split('"') if "export=download" in piece]
                if len(targets) == 1:
                    raise _Redirect(urllib.parse.urljoin(url, targets[0]))
            if "Google Drive - Quota exceeded" in page:
                raise IOError("Google Drive quota exceeded for %s; try again later" % url)
        disposition = re.search(r'filename="([^"]*)"', response.headers.get("Content-Disposition", ""))
        return data, (disposition.group(1) if disposition else url)


def _offline_message(url, cache_dir, err):
    import requests
    if isinstance(err, requests.ConnectionError):
        reason = "cannot connect to %s; no network?" % urllib.parse.urlparse(url).netloc
    elif isinstance(err, requests.HTTPError) and err.response is not None:
        reason = "server answered HTTP %d" % err.response.status_code
    else:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
    message = "Cannot download %s (%s). Pass a local file path instead" % (url, reason)
    if cache_dir is not None:
        message += ", or place the file in '%s' as %s_<name>" % (cache_dir, _url_md5(url))
    return message + "."


def _url_md5(url):
    return hashlib.md5(url.encode("utf-8")).hexdigest()


def _cache_atomically(cache_dir, url, name, data):
    """<cache_dir>/<md5 of url>_<name>, written under a temporary name and renamed, so it is never partial."""
    key = _url_md5(url)
    safe_name = re.sub(r"[^0-9a-zA-Z-._]", "_", name)
    os.makedirs(cache_dir, exist_ok=True)
    temp = os.path.join(cache_dir, "tmp_%s_%s_%s" % (uuid.uuid4().hex, key, safe_name))
    with open(temp, "wb") as f:
        f.write(data)
    os.replace(temp, os.path.join(cache_dir, "%s_%s" % (key, safe_name)))


def open_url(url, cache_dir=None, num_attempts=10, verbose=True):
    """A binary file object with the contents of `url`, from the cache when it holds exactly one copy.

    Downloads are retried with back-off; the cache only ever holds complete files.
    """
    import requests  # here, so that 'import dnnlib' stays light

    assert is_url(url) and num_attempts >= 1
    if cache_dir is not None:
        cached = glob.glob(os.path.join(cache_dir, _url_md5(url) + "_*"))
        if len(cached) == 1:
            return open(cached[0], "rb")

    target = url
    if verbose:
        print("Downloading " + url + " ...", end="", flush=True)
    with requests.Session() as session:
        for attempt in range(1, num_attempts + 1):
            try:
                data, name = _fetch_once(session, target)
                break
            except _Redirect as redirect:  # follow it on the next attempt, without waiting
                target = redirect.url
                failure, pause = DownloadError("Cannot download %s: Google Drive kept asking for confirmation" % url), 0.0
            except Exception as err:
                failure, pause = DownloadError(_offline_message(url, cache_dir, err)), min(0.25 * attempt, 2.0)
                failure.__cause__ = err
            if attempt == num_attempts:
                if verbose:
                    print(" failed")
                raise failure
            if pause:
                if verbose:
                    print(".", end="", flush=True)
                time.sleep(pause)
    if verbose:
        print(" done")

    if cache_dir is not None:
        _cache_atomically(cache_dir, url, name, data)
    return io.BytesIO(data)


# ----------------------------------------------------------------------------
# Command-line tools.

class UserError(Exception):
    """Bad input from the user; command-line tools print it as one line and exit non-zero."""


def run_command_line(main_func, *args, **kwargs):
    """Call main_func; turn user-facing errors into 'Error: <message>' on stderr and exit status 1."""
    expected = (UserError, DownloadError)
    loader = sys.modules.get("dnnlib.tflib.loader")
    if loader is not None:
        expected += (loader.NetworkPickleError,)
    try:
        return main_func(*args, **kwargs)
    except expected as err:
        print("Error: %s" % err, file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        sys.exit(130)
