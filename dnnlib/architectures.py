"""Which module implements each network architecture that pickles name, by build function name.

dnnlib knows no architecture itself. Packages tell it where theirs live, either
by calling register_modules() when they are imported, or, so that a plain
`pickle.load` works with only dnnlib imported, through the entry-point group
below in their package metadata. Needs no TensorFlow.
"""

import contextlib

ENTRY_POINT_GROUP = "dnnlib.tflib.architectures"

_modules = dict()  # build function name -> module whose import registers our implementation
_entry_points_loaded = False


def register_modules(modules_by_func_name):
    """Announce {build function name: module name}."""
    _modules.update(modules_by_func_name)


def module_for(func_name):
    """The module implementing func_name, or None; reads the installed packages' announcements on first need."""
    global _entry_points_loaded
    if func_name not in _modules and not _entry_points_loaded:
        _entry_points_loaded = True
        from importlib.metadata import entry_points
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            with contextlib.suppress(Exception):  # a broken third-party announcement must not stop loading
                register_modules(entry.load())
    return _modules.get(func_name)
