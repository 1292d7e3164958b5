"""Small helpers shared by the whole code base: EasyDict, logging, names to objects, downloads, CLI errors."""

import contextlib
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
import socket
import sys
import time
import urllib.parse
import uuid
import warnings

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


class ProgressMonitor:
    """Progress of long work: one live line on a terminal, a plain line every ~10% in a log file.

    A live line is redrawn at most every `min_interval` seconds; the ETA is
    shown only once the work has run `eta_after` seconds, so the first
    (unrepresentative) items do not produce absurd estimates.
    """

    def __init__(self, label, total, stream=None, min_interval=0.25, eta_after=2.0):
        self.label, self.total = label, max(int(total), 0)
        self.stream = sys.stdout if stream is None else stream
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.min_interval, self.eta_after = min_interval, eta_after
        self.start = time.time()
        self._last_draw = -float("inf")
        self._next_decile = 1
        self._closed = False

    def _line(self, done):
        line = "%s %d / %d" % (self.label, done, self.total)
        elapsed = time.time() - self.start
        if 0 < done < self.total and elapsed >= self.eta_after:
            line += "  ETA %s" % format_time(elapsed / done * (self.total - done))
        elif done >= self.total:
            line += "  done in %s" % format_time(elapsed)
        return line

    def update(self, done):
        """Report that `done` of `total` items are finished; prints only when it is time to."""
        if self._closed:
            return
        done = min(int(done), self.total)
        finished = done >= self.total
        if self.live:
            now = time.time()
            if finished or now - self._last_draw >= self.min_interval:
                self._last_draw = now
                self.stream.write("\r%-60s" % self._line(done) + ("\n" if finished else ""))
                self.stream.flush()
        elif finished or (self.total and done * 10 >= self._next_decile * self.total):
            self._next_decile = done * 10 // max(self.total, 1) + 1
            self.stream.write(self._line(done) + "\n")
            self.stream.flush()
        self._closed = finished

    def close(self):
        """End the live line (if any) without claiming completion, e.g. after an error."""
        if self.live and not self._closed and self._last_draw > -float("inf"):
            self.stream.write("\n")
            self.stream.flush()
        self._closed = True


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


def open_image(path):
    """PIL.Image.open that refuses images beyond Pillow's pixel limit (89 Mpx), where Pillow itself only warns up
    to twice that: a 12 KB PNG can declare 10000x10000. Raises PIL.Image.DecompressionBombWarning as an error."""
    import PIL.Image
    with warnings.catch_warnings():
        warnings.simplefilter("error", PIL.Image.DecompressionBombWarning)
        return PIL.Image.open(path)


_16BIT_GRAY_MODES = ("I;16", "I;16B", "I;16L", "I;16N")


def is_16bit_gray(image):
    """Whether a PIL image holds 16-bit grayscale pixels (older Pillow reads such PNGs as mode 'I')."""
    return image.mode in _16BIT_GRAY_MODES or (image.mode == "I" and image.format == "PNG")


def gray16_to_uint8(image):
    """uint8 [H, W] of a 16-bit grayscale PIL image: round(v / 257), which maps 0..65535 onto 0..255 exactly as the
    8-bit version of the image holds it (PIL's own conversion clips at 255 instead)."""
    values = np.asarray(image).astype(np.uint32)
    return ((values * 2 + 257) // 514).astype(np.uint8)


def npy_header(file, file_size):
    """(shape, dtype) of the .npy array at the start of an open binary file (or zip member) of file_size bytes, read
    before any data: format 1.0 or 2.0, and no more data declared than the file holds, so that a 145-byte header
    cannot make np.load allocate terabytes. ValueError saying why not."""
    magic = file.read(4)
    if magic == b"PK\x03\x04":
        raise ValueError("an archive of arrays (.npz), not one array (.npy)")
    file.seek(0)
    version = np.lib.format.read_magic(file)
    if version not in ((1, 0), (2, 0)):
        raise ValueError(".npy format version %d.%d, not 1.0 or 2.0" % version)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, _fortran_order, dtype = read_header(file)
    if int(np.prod(shape, dtype=object)) * dtype.itemsize > file_size - file.tell():
        raise ValueError("it declares %s values, more than the file holds" % "x".join(map(str, shape)))
    file.seek(0)
    return shape, dtype


def arguments_error(func, *args, **kwargs):
    """Why func(*args, **kwargs) would not bind ('' if it would, or if func has no signature to check). Checked
    before a call, so a TypeError raised inside func is never mistaken for the caller's bad arguments."""
    try:
        inspect.signature(func).bind(*args, **kwargs)
    except TypeError as err:
        return str(err)
    except ValueError:  # some built-ins have no signature
        pass
    return ""


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


_TEMP_MARK = re.compile(r"\.tmp-([0-9a-f]{6})-(\d+)-[0-9a-f]{8}$")  # .tmp-<host tag>-<pid>-<random>


def _host_tag():
    return hashlib.md5(socket.gethostname().encode("utf-8")).hexdigest()[:6]


def temp_path_for(path):
    """A temporary sibling of `path` to write before renaming onto it. Its name holds our host and pid, so that a
    later run can tell the debris of a killed writer (see remove_stale_temp_files) from a write in progress."""
    return "%s.tmp-%s-%d-%s" % (path, _host_tag(), os.getpid(), uuid.uuid4().hex[:8])


@contextlib.contextmanager
def atomic_output(path):
    """Yield a temporary path to write; it replaces `path` only when the block succeeds, else it is removed.
    So readers never see a half-written file, and a failed or killed write leaves `path` as it was."""
    temp = temp_path_for(path)
    try:
        yield temp
        os.replace(temp, path)
    finally:
        with contextlib.suppress(OSError):
            if os.path.isdir(temp) and not os.path.islink(temp):
                shutil.rmtree(temp)
            elif os.path.lexists(temp):
                os.remove(temp)


def _pid_alive(pid):
    if os.name == "nt":
        return True  # os.kill would end the process on Windows: never call a temp file stale there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's process (or an absurd number): leave its files alone
    return True


def remove_stale_temp_files(directory):
    """Delete the temp_path_for() files and dirs in `directory` that this machine's dead processes left; returns their paths.
    Temp files of other machines (a shared disk) or of live processes are never touched."""
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        match = _TEMP_MARK.search(name)
        if match and match.group(1) == _host_tag() and not _pid_alive(int(match.group(2))):
            path = os.path.join(directory, name)
            try:
                shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
                removed.append(path)
            except OSError:
                pass  # not ours to fight over; it stays
    return removed


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
            page = data.decode("utf-8", errors="replace")  # a small binary file is fine too
            if "download_warning" in response.headers.get("Set-Cookie", ""):
                targets = [html.unescape(piece) for piece in page.split('"') if "export=download" in piece]
                if len(targets) == 1:
                    raise _Redirect(urllib.parse.urljoin(url, targets[0]))
            if "Google Drive - Quota exceeded" in page:
                raise IOError("Google Drive quota exceeded for %s; try again later" % url)
        disposition = re.search(r'filename="([^"]*)"', response.headers.get("Content-Disposition", ""))
        return data, (disposition.group(1) if disposition else url)


_known_file_names = dict()  # url -> the file name its server sends (for messages about the cache)


def register_file_names(names_by_url):
    """Tell open_url the real file names behind URLs (e.g. Drive ids), so its offline message can name the cache file."""
    _known_file_names.update(names_by_url)


def _http_status(err):
    response = getattr(err, "response", None)
    return getattr(response, "status_code", None)


def _offline_message(url, cache_dir, err):
    import requests
    status = _http_status(err)
    if isinstance(err, requests.ConnectionError):
        reason = "cannot connect to %s; no network?" % urllib.parse.urlparse(url).netloc
    elif isinstance(err, requests.TooManyRedirects):
        reason = "the server redirects in a loop"
    elif status is not None:
        reason = "server answered HTTP %d" % status
    else:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
    message = "Cannot download %s (%s). Pass a local file path instead" % (url, reason)
    if cache_dir is not None:
        name = _known_file_names.get(url)
        cache_name = "%s_%s" % (_url_md5(url), _cache_safe(name)) if name else "%s_<file name>" % _url_md5(url)
        message += ", or place the file in '%s' as %s" % (cache_dir, cache_name)
    return message + "."


def _is_final_failure(err):
    """Client errors (HTTP 4xx but 429) and redirect loops do not get better by retrying."""
    import requests
    status = _http_status(err)
    return isinstance(err, requests.TooManyRedirects) or (status is not None and 400 <= status < 500 and status != 429)


def _url_md5(url):
    return hashlib.md5(url.encode("utf-8")).hexdigest()


_CACHE_NAME_CHARS = 120  # of the file name after '<md5>_': with the temporary suffix, far below the usual 255-byte limit


def _cache_safe(name):
    """A file name's characters that are safe anywhere, its first _CACHE_NAME_CHARS (a signed URL's query can be
    longer than a file name may be; cached files are found by the URL's md5 alone)."""
    return re.sub(r"[^0-9a-zA-Z-._]", "_", name)[:_CACHE_NAME_CHARS]


def cached_files(cache_dir, url):
    """The complete files the download cache holds for url: '<md5 of url>_*' but no temporary file of a download in
    progress or killed (cache_dir is a path, not a pattern)."""
    return [path for path in glob.glob(os.path.join(glob.escape(cache_dir), _url_md5(url) + "_*")) if not _TEMP_MARK.search(path)]


def _cache_atomically(cache_dir, url, name, data):
    """<cache_dir>/<md5 of url>_<name>, written under a temporary name (temp_path_for) and renamed, so it is never
    partial; the temporary files of killed downloads are removed first."""
    os.makedirs(cache_dir, exist_ok=True)
    remove_stale_temp_files(cache_dir)
    with atomic_output(os.path.join(cache_dir, "%s_%s" % (_url_md5(url), _cache_safe(name)))) as temp:
        with open(temp, "wb") as f:
            f.write(data)


_cache_dir = None


def set_cache_dir(path):
    """Where downloads are cached when a caller passes no cache_dir (the application sets it, e.g. from config.py)."""
    global _cache_dir
    _cache_dir = path


def make_cache_dir_path(*paths):
    """A path inside the cache dir: set_cache_dir(), else $STYLEGAN_CACHE_DIR, else 'cache' (the original's default)."""
    root = _cache_dir if _cache_dir is not None else os.environ.get("STYLEGAN_CACHE_DIR", "cache")
    return os.path.join(root, *paths)


def open_url(url, cache_dir=None, num_attempts=10, verbose=True):
    """A binary file object with the contents of `url`, from the cache when it holds exactly one copy.

    Downloads are retried with back-off; the cache only ever holds complete files.
    """
    import requests  # here, so that 'import dnnlib' stays light

    assert is_url(url) and num_attempts >= 1
    if cache_dir is not None:
        cached = cached_files(cache_dir, url)
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
                hopeless = False
            except Exception as err:
                failure, pause = DownloadError(_offline_message(url, cache_dir, err)), min(0.25 * attempt, 2.0)
                failure.__cause__ = err
                hopeless = _is_final_failure(err) or (isinstance(err, requests.ConnectionError) and attempt >= 3)  # refused, or no server
            if hopeless or attempt == num_attempts:
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


def one_line(text):
    """text with its control characters and line separators escaped (a newline as \\n, U+2028 as \\u2028): an
    error line that a file name holding them (or bytes that are no UTF-8) can neither split, nor follow with a forged
    line, nor recolour, and that prints on any console."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]", lambda match: match.group().encode("unicode_escape").decode("ascii"), str(text))


def user_error_message(err):
    """The one line that reports err to the user, or None for a programming error (which keeps its traceback): bad
    input (UserError), a failed download, or a file the OS refused (permissions, a full disk, a vanished file)."""
    if isinstance(err, (UserError, DownloadError)):
        return one_line(err)
    if isinstance(err, OSError) and err.filename is not None:
        return one_line("%s: '%s'." % (err.strerror or type(err).__name__, err.filename))
    return None


def run_command_line(main_func, *args, **kwargs):
    """Call main_func; turn user-facing errors into 'Error: <message>' on stderr and exit status 1."""
    try:
        return main_func(*args, **kwargs)
    except Exception as err:
        message = user_error_message(err)
        if message is None:
            raise
        print("Error: %s" % message, file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        sys.exit(130)
