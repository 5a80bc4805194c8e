"""The timing loop the comparison scripts share.

Each script runs as a file (``python benches/compare/x.py``), so Python finds
this module beside it; it needs only the standard library, as the scripts
that run in lifetimes' own virtualenv do.
"""

from __future__ import annotations

import statistics
import time


def timed_runs(fn, repeats, warmup=0):
    """Wall-clock seconds of each of ``repeats`` calls of ``fn`` (after ``warmup``
    untimed ones) and what the last call returned."""
    for _ in range(warmup):
        fn()
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def median_time(fn, repeats, warmup=0):
    """Median seconds of ``repeats`` calls of ``fn`` and what the last call returned."""
    times, result = timed_runs(fn, repeats, warmup)
    return statistics.median(times), result
