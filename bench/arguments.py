"""Command-line value types shared by the benchmarks: a count that makes no sense (0 repeats, a minibatch of -1)
gets argparse's one-line error instead of a traceback or a NaN figure later. Standard library only."""

import argparse
import math


def _integer(text, smallest):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("'%s' is not an integer" % text) from None
    if value < smallest:
        raise argparse.ArgumentTypeError("%d is below %d" % (value, smallest))
    return value


def _integers(text, smallest):
    if not text.strip():
        raise argparse.ArgumentTypeError("give at least one value")
    return [_integer(part.strip(), smallest) for part in text.split(",")]


def positive_int(text):
    return _integer(text, 1)


def nonnegative_int(text):
    return _integer(text, 0)


def positive_ints(text):
    """Comma-separated integers >= 1."""
    return _integers(text, 1)


def nonnegative_ints(text):
    """Comma-separated integers >= 0."""
    return _integers(text, 0)


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("'%s' is not a number" % text) from None
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError("%s is not a finite number above 0" % text)
    return value
