"""Timing loops shared by the benchmarks; standard library only, so that bench_original.py's child side can use
it under the original's Python."""

import time


def time_calls(call, repeats):
    """Seconds of each of `repeats` calls, after one warm-up call (graph optimization, compilation)."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else 0.5 * (ordered[middle - 1] + ordered[middle])
