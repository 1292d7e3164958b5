"""A quiet TensorFlow start: its C++ runtime's start-up lines stay off the console.

TensorFlow 2.16+ writes lines such as absl's "All log messages before
absl::InitializeLog()", oneDNN's notice, "Could not find cuda drivers" and
"failed call to cuInit: ... UNKNOWN ERROR (303)" straight to file descriptor
2 while it is imported and while its first session lists devices, before
TF_CPP_MIN_LOG_LEVEL is read. They alarm users of CPU-only machines for
nothing. We hold file descriptor 2 in a temporary file during those two
moments and drop what was written, unless the import or the session fails:
then everything is replayed, so a real error is never hidden.
Set STYLEGAN_VERBOSE_TF=1 to see everything.
"""

import contextlib
import importlib.abc
import importlib.util
import os
import sys
import tempfile

VERBOSE_ENV = "STYLEGAN_VERBOSE_TF"


def verbose() -> bool:
    return os.environ.get(VERBOSE_ENV, "").strip().lower() not in ("", "0", "false", "no")


@contextlib.contextmanager
def native_stderr_held():
    """Collect what native code writes to fd 2 inside the block; replay it only if the block raises."""
    if verbose():
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no usable fd 2 (embedded interpreters): nothing to hold
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            _restore(saved)
            held.seek(0)
            os.write(2, held.read())
            raise
        _restore(saved)


def _restore(saved_fd):
    with contextlib.suppress(OSError):
        os.dup2(saved_fd, 2)
        os.close(saved_fd)


class _QuietLoader(importlib.abc.Loader):
    """Runs TensorFlow's own loader with fd 2 held."""

    def __init__(self, inner):
        self.inner = inner

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module):
        with native_stderr_held():
            self.inner.exec_module(module)


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` the normal way, once, and wraps its loader."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "tensorflow":
            return None
        uninstall()
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


_finder = _QuietTensorFlowFinder()


def install():
    """Make the process's first `import tensorflow` quiet (a no-op when it already happened or when verbose)."""
    if "tensorflow" not in sys.modules and _finder not in sys.meta_path and not verbose():
        sys.meta_path.insert(0, _finder)


def uninstall():
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
