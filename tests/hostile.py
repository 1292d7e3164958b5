"""Callables that hostile test pickles name: each leaves a marker file if anything ever calls it."""

import os

MARKER_ENV = "STYLEGAN_TEST_MARKER"


def leave_marker(*args, **kwargs):
    """A 'build function' or plain callable; proves code ran by creating $STYLEGAN_TEST_MARKER."""
    with open(os.environ[MARKER_ENV], "w") as f:
        f.write("ran with %r %r" % (args, kwargs))
