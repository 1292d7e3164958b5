"""Loading network pickles, safely by default.

The safe loader executes nothing a file names. It reads a pickle in two
steps: first the opcodes are scanned without building anything (declared
sizes must fit in the file; opcodes that import or call by other routes are
refused), then a restricted unpickler turns the data into plain containers,
NumPy arrays and inert `PickledNetwork` records. Only then are networks
rebuilt, each through the known-architecture path of `Network.__setstate__`,
which creates nothing the pickle does not hold (every variable must be in
the file with its shape). safe=False is for trusted files such as NVIDIA's
metric networks, whose TF1 source then runs through tf1_compat.
"""

import io
import os
import pickle
import pickletools
from typing import Any

import numpy as np

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
    ("_codecs", "encode"),  # bytes in pickle protocol 2: encode(text, 'latin1') only, see _latin1_bytes
}
"""What plain data pickles (NumPy arrays in containers) need."""

NETWORK_GLOBAL = ("dnnlib.tflib.network", "Network")

REFUSED_OPCODES = {
    "INST": "instantiates a class by name",          # protocol 0/1 object creation: calls the class
    "OBJ": "instantiates a class",
    "EXT1": "uses the copyreg extension registry",    # globals by number, outside find_class
    "EXT2": "uses the copyreg extension registry",
    "EXT4": "uses the copyreg extension registry",
    "PERSID": "uses persistent ids",
    "BINPERSID": "uses persistent ids",
}
"""Opcodes that network pickles never use and that reach objects other than through find_class."""


class NetworkPickleError(util.UserError, IOError):
    """A network pickle could not be read; the message says why and what to do."""


class PickledNetwork:
    """A pickled Network as the safe unpickler leaves it: its state, nothing built, nothing called.

    Calling the class (REDUCE, INST) fails like any object() call; NEWOBJ and
    BUILD only store the state. load_network_pkl then rebuilds real Networks.
    """

    __slots__ = ("state",)

    def __setstate__(self, state):
        self.state = state


class _NdarrayClass:
    """What the safe unpickler gives for the global numpy.ndarray: a token, not the class, because calling the
    class (REDUCE) would allocate any shape a few bytes ask for. _empty_array() accepts it as the subtype."""

    def __reduce__(self):
        raise network.UnsafePickleError("the ndarray token is not picklable")


_NDARRAY = _NdarrayClass()


def _empty_array(subtype, shape, dtype):
    """numpy's _reconstruct as array pickles use it: an empty ndarray whose BUILD then fills in shape and data
    (whose size numpy checks against the bytes in the file)."""
    if subtype is not _NDARRAY or tuple(shape) != (0,):
        raise network.UnsafePickleError("refusing numpy _reconstruct(%r, %r): arrays are rebuilt from their stored data only" % (subtype, shape))
    return np.ndarray((0,), dtype=np.dtype(dtype))


def _latin1_bytes(text, encoding="latin1"):
    """What protocol-2 pickles use _codecs.encode for: str -> bytes. Any other codec is refused."""
    if not isinstance(text, str) or encoding.lower().replace("_", "-") not in ("latin1", "latin-1", "iso-8859-1"):
        raise network.UnsafePickleError("refusing _codecs.encode(..., %r): only latin1 text becomes bytes" % (encoding,))
    return text.encode("latin1")


class SafeUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals of plain data (`allowed`, default NUMPY_GLOBALS) and,
    when `networks` is set, maps the Network class to the inert PickledNetwork."""

    def __init__(self, file, allowed=None, networks=False, **kwargs):
        super().__init__(file, **kwargs)
        self.allowed = NUMPY_GLOBALS if allowed is None else allowed
        self.networks = networks

    def find_class(self, module: str, name: str) -> Any:
        if self.networks and (module, name) == NETWORK_GLOBAL:
            return PickledNetwork
        replacement = _SAFE_REPLACEMENTS.get((module, name))
        if replacement is not None and (module, name) in self.allowed:
            return replacement
        if (module, name) in self.allowed:
            return super().find_class(module, name)
        if module in ("numpy", "numpy.dtypes") and name.endswith("DType") and name.isidentifier():
            return super().find_class(module, name)  # NumPy 2 pickles dtypes by class, e.g. numpy.dtypes.Float32DType.
        raise network.UnsafePickleError("refusing to load global '%s.%s' (not plain data or a network)" % (module, name))


def _stored_collection(kind):
    """set or frozenset of items stored in the file (a list or tuple), never of a lazy iterable such as
    range(2**62), which would make a few bytes allocate without end."""
    def build(items=()):
        if not isinstance(items, (list, tuple)):
            raise network.UnsafePickleError("refusing %s() of a %s: only of items stored in the file" % (kind.__name__, type(items).__name__))
        return kind(items)
    return build


_SAFE_REPLACEMENTS = {
    ("builtins", "set"): _stored_collection(set),
    ("builtins", "frozenset"): _stored_collection(frozenset),
    ("_codecs", "encode"): _latin1_bytes,
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy.core.multiarray", "_reconstruct"): _empty_array,
    ("numpy._core.multiarray", "_reconstruct"): _empty_array,
}
"""Admitted globals that are served by a narrower stand-in: what pickles need of them, and nothing more."""


class _EndWatch(io.BytesIO):
    """A stream that remembers whether a read wanted more bytes than were left (the file ends early)."""

    ran_out = False

    def read(self, size=-1):
        data = super().read(size)
        if size is not None and size >= 0 and len(data) < size:
            self.ran_out = True
        return data

    def readline(self, size=-1):
        line = super().readline(size)
        if not line.endswith(b"\n"):
            self.ran_out = True
        return line


def scan_pickle(data: bytes, label: str = "<bytes>", what: str = "network pickle") -> None:
    """Check a pickle's opcodes without building anything: complete, sizes within the file, no refused opcode."""
    stream = _EndWatch(data)
    refused = None
    try:
        for opcode, _arg, position in pickletools.genops(stream):
            if opcode.name in REFUSED_OPCODES and refused is None:
                refused = (opcode.name, position)
    except Exception as err:
        if stream.ran_out:
            raise NetworkPickleError("Cannot read %s: truncated file (only %d bytes). Delete it (or its copy in the cache dir) "
                                     "and download it again." % (label, len(data))) from err
        raise NetworkPickleError("Cannot read %s: not a valid %s (not a pickle at all: %s)." % (label, what, _first_line(err))) from err
    if refused is not None:  # reported only for a complete pickle: in other bytes an opcode means nothing
        name, position = refused
        raise NetworkPickleError("Cannot load %s safely: opcode %s at byte %d %s; %ss never do."
                                 % (label, name, position, REFUSED_OPCODES[name], what))


def _first_line(err: Exception) -> str:
    text = str(err).splitlines()[0] if str(err) else ""
    return "%s: %s" % (type(err).__name__, text) if text else type(err).__name__


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
            cache_dir = util.make_cache_dir_path()
        with util.open_url(path_or_url, cache_dir=cache_dir) as f:
            data, label = f.read(), "'%s'" % path_or_url
    else:
        if not os.path.isfile(path_or_url):
            raise NetworkPickleError("Cannot read '%s': no such file." % path_or_url)
        try:
            with open(path_or_url, "rb") as f:
                data, label = f.read(), "'%s'" % path_or_url
        except OSError as err:
            raise NetworkPickleError("Cannot read '%s': %s." % (path_or_url, err.strerror or err)) from err
    return loads_network_pkl(data, safe=safe, label=label)


def loads_network_pkl(data: bytes, safe: bool = True, label: str = "<bytes>") -> Any:
    """load_network_pkl for bytes already in memory."""
    try:
        if not safe:
            return pickle.Unpickler(io.BytesIO(data), encoding="latin1").load()
        scan_pickle(data, label)
        records = SafeUnpickler(io.BytesIO(data), networks=True, encoding="latin1").load()
        with network.safe_loading():
            return _rebuild_networks(records, memo={}, claimed=_StoredData())
    except NetworkPickleError:
        raise
    except network.UnsafePickleError as err:
        raise NetworkPickleError("Cannot load %s safely: %s." % (label, str(err).rstrip("."))) from err
    except network.NetworkStateError as err:
        raise NetworkPickleError("Cannot load %s: %s." % (label, str(err).rstrip("."))) from err
    except (EOFError, pickle.UnpicklingError) as err:
        if safe:  # the scan saw the whole pickle: its structure is wrong, the file is not short
            raise NetworkPickleError("Cannot read %s: not a valid network pickle (%s)." % (label, _first_line(err))) from err
        raise NetworkPickleError("Cannot read %s: truncated or not a pickle (%s). If it was downloaded, delete it (or its copy "
                                 "in the cache dir) and download it again." % (label, _first_line(err))) from err
    except (ValueError, KeyError, AttributeError, IndexError, TypeError, ArithmeticError) as err:
        raise NetworkPickleError("Cannot read %s: not a valid network pickle (%s)." % (label, _first_line(err))) from err
    except RecursionError as err:
        raise NetworkPickleError("Cannot read %s: not a valid network pickle (its data is nested too deeply)." % label) from err
    except MemoryError as err:
        raise NetworkPickleError("Cannot read %s: it asks for more memory than this machine has." % label) from err


_IN_PROGRESS = object()

MAX_NETWORKS = 32
"""Networks one pickle may hold, components included (a training snapshot holds 7: G, D, Gs and G's and Gs's
mapping and synthesis): each is a graph to build, so a file of many small records could keep the loader busy for hours."""


class _StoredData:
    """Which network each state, variable list and weight array of a pickle went to. Every network is built from
    data of its own: data that a second record, or a second variable, refers to (the pickle memo makes that cost a
    few bytes) would be built and allocated again, as often as the file repeats the reference."""

    def __init__(self):
        self.names = []   # of the networks claimed so far
        self.owners = {}  # id of a state, list, pair or array -> index into names

    def claim(self, state: dict) -> None:
        if len(self.names) >= MAX_NETWORKS:
            raise network.NetworkStateError("the pickle holds more than %d networks" % MAX_NETWORKS)
        index = len(self.names)
        self.names.append(str(state.get("name", "?"))[:80])
        variables = state.get("variables")
        items = list(variables) if isinstance(variables, list) else []
        values = [item[1] for item in items if isinstance(item, (tuple, list)) and len(item) == 2]
        for part in [state, variables] + items + values:
            if not isinstance(part, (dict, list, tuple, np.ndarray)):
                continue
            owner = self.owners.get(id(part))
            if owner == index:
                raise network.NetworkStateError("network '%s' stores one value for several variables" % self.names[index])
            if owner is not None:
                raise network.NetworkStateError("networks '%s' and '%s' share stored data; every network in a pickle holds its own"
                                                % (self.names[owner], self.names[index]))
            self.owners[id(part)] = index


def _rebuild_networks(obj: Any, memo: dict, claimed: _StoredData) -> Any:
    """The unpickled data with each PickledNetwork rebuilt as a Network, components first. Lists and dicts are
    updated in place and every object is visited once, so data that contains itself ends."""
    if id(obj) in memo:
        done = memo[id(obj)]
        if done is _IN_PROGRESS:
            if isinstance(obj, PickledNetwork):
                raise network.NetworkStateError("a pickled network is its own component")
            return obj
        return done
    if isinstance(obj, PickledNetwork):
        memo[id(obj)] = _IN_PROGRESS
        state = obj.state if hasattr(obj, "state") else None
        if not isinstance(state, dict):
            raise network.NetworkStateError("a pickled Network's state is not a dict")
        claimed.claim(state)
        if "components" in state:
            state = dict(state, components=_rebuild_networks(state["components"], memo, claimed))
        net = object.__new__(network.Network)
        net.__setstate__(state)
        memo[id(obj)] = net
        return net
    if isinstance(obj, list):
        memo[id(obj)] = obj
        obj[:] = [_rebuild_networks(item, memo, claimed) for item in obj]
        return obj
    if isinstance(obj, dict):
        memo[id(obj)] = obj
        for key in list(obj):
            obj[key] = _rebuild_networks(obj[key], memo, claimed)
        return obj
    if isinstance(obj, tuple):
        memo[id(obj)] = _IN_PROGRESS
        memo[id(obj)] = rebuilt = tuple(_rebuild_networks(item, memo, claimed) for item in obj)
        return rebuilt
    return obj
