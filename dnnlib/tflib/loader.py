"""Loading network pickles, safely by default.

The safe loader admits only what a network pickle needs (the Network class,
NumPy arrays and scalars, plain containers) and never executes source
embedded in the file: known architectures are rebuilt with our own code and
anything else is refused. safe=False is for trusted files such as NVIDIA's
metric networks, whose TF1 source then runs through tf1_compat.
"""

import io
import os
import pickle
from typing import Any

from .. import util
from . import network

NUMPY_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),   # arrays in pickle protocol 5 (what save_pkl writes)
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("collections", "OrderedDict"),
    ("dnnlib.util", "EasyDict"),
    ("dnnlib", "EasyDict"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "range"),
    ("builtins", "slice"),
    ("builtins", "complex"),
    ("_codecs", "encode"),  # bytes in pickle protocol 2
}
"""What plain data pickles (NumPy arrays in containers) need."""

_SAFE_GLOBALS = NUMPY_GLOBALS | {("dnnlib.tflib.network", "Network")}


class NetworkPickleError(IOError):
    """A network pickle could not be read; the message says why and what to do."""


class SafeUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals a network pickle needs (or `allowed`, e.g. NUMPY_GLOBALS)."""

    def __init__(self, file, allowed=None, **kwargs):
        super().__init__(file, **kwargs)
        self.allowed = _SAFE_GLOBALS if allowed is None else allowed

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self.allowed:
            return super().find_class(module, name)
        if module in ("numpy", "numpy.dtypes") and name.endswith("DType"):
            return super().find_class(module, name)  # NumPy 2 pickles dtypes by class, e.g. numpy.dtypes.Float32DType.
        raise network.UnsafePickleError("refusing to load global '%s.%s' (not plain data or a network)" % (module, name))


def load_network_pkl(path_or_url: Any, safe: bool = True, cache_dir: str = None) -> Any:
    """Unpickle a network pickle from a path, URL or open binary file; returns e.g. (G, D, Gs).

    With safe=True (the default) nothing from the file is executed. Needs
    dnnlib.tflib.init_tf() first, as restoring networks builds graph ops.
    """
    from . import tfutil
    tfutil.assert_tf_initialized()
    if hasattr(path_or_url, "read"):
        data, label = path_or_url.read(), "<stream>"
    elif util.is_url(path_or_url):
        if cache_dir is None:
            import config
            cache_dir = config.cache_dir
        with util.open_url(path_or_url, cache_dir=cache_dir) as f:
            data, label = f.read(), "'%s'" % path_or_url
    else:
        if not os.path.isfile(path_or_url):
            raise NetworkPickleError("Cannot read '%s': no such file." % path_or_url)
        with open(path_or_url, "rb") as f:
            data, label = f.read(), "'%s'" % path_or_url
    return loads_network_pkl(data, safe=safe, label=label)


def loads_network_pkl(data: bytes, safe: bool = True, label: str = "<bytes>") -> Any:
    """load_network_pkl for bytes already in memory."""
    stream = io.BytesIO(data)
    try:
        if safe:
            with network.safe_loading():
                return SafeUnpickler(stream, encoding="latin1").load()
        return pickle.Unpickler(stream, encoding="latin1").load()
    except network.UnsafePickleError as err:
        raise NetworkPickleError("Cannot load %s safely: %s." % (label, str(err).rstrip("."))) from err
    except (EOFError, pickle.UnpicklingError, ValueError, KeyError, AttributeError, IndexError, TypeError) as err:
        if stream.tell() >= len(data) or isinstance(err, EOFError):
            message = ("Cannot read %s: truncated file (only %d bytes). Delete it (or its copy in the cache dir) and download it again."
                       % (label, len(data)))
        else:
            message = "Cannot read %s: not a valid network pickle (%s: %s)." % (label, type(err).__name__, str(err).splitlines()[0] if str(err) else "")
        raise NetworkPickleError(message) from err
