"""Command-line value types shared by the scripts and benchmarks: a number that makes no sense (0 repeats, a
minibatch of -1, a NaN truncation, a seed NumPy refuses) gets argparse's one-line error instead of a traceback, or a
wrong result, later. Standard library only."""

import argparse
import math


def _integer(text, smallest, largest=None):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("'%s' is not an integer" % text) from None
    if value < smallest:
        raise argparse.ArgumentTypeError("%d is below %d" % (value, smallest))
    if largest is not None and value > largest:
        raise argparse.ArgumentTypeError("%d is above %d" % (value, largest))
    return value


def _integers(text, smallest):
    if not text.strip():
        raise argparse.ArgumentTypeError("give at least one value")
    return [_integer(part.strip(), smallest) for part in text.split(",")]


def positive_int(text):
    return _integer(text, 1)


def nonnegative_int(text):
    return _integer(text, 0)


MOST_SAMPLES = 10 ** 8  # beyond it NumPy cannot even shape the feature arrays
MOST_SUBSETS = 10 ** 6  # KID's subsets: each one is a full pass over its samples


def sample_count(text):
    """A number of samples that statistics are taken over (FID's covariance, KID's unbiased MMD): at least 2."""
    return _integer(text, 2, MOST_SAMPLES)


def subset_count(text):
    """How many subsets KID averages over: 1 to a million (each one is a full pass over its samples)."""
    return _integer(text, 1, MOST_SUBSETS)


def image_size(text):
    """A resolution datasets and networks can have: a power of two, at least 4."""
    value = _integer(text, 4)
    if value & (value - 1):
        raise argparse.ArgumentTypeError("%d is not a power of two" % value)
    return value


def positive_ints(text):
    """Comma-separated integers >= 1."""
    return _integers(text, 1)


def nonnegative_ints(text):
    """Comma-separated integers >= 0."""
    return _integers(text, 0)


def _float(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("'%s' is not a number" % text) from None


def positive_float(text):
    value = _float(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError("%s is not a finite number above 0" % text)
    return value


def finite_float(text):
    value = _float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError("%s is not a finite number" % text)
    return value


def nonnegative_float(text):
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("%s is below 0" % text)
    return value


def seed(text):
    """A NumPy random seed: 0 .. 2**32-1."""
    value = _integer(text, 0)
    if value >= 2 ** 32:
        raise argparse.ArgumentTypeError("%d is above 2**32-1, the largest seed" % value)
    return value
