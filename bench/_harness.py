"""The measuring loop the benchmarks share: median wall time, ``median (min–max)``, peak RSS."""

from __future__ import annotations

import gc
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def median_time(fn: Callable[[], T], runs: int, *, collect: bool = False) -> tuple[float, T]:
    """Median wall time (s) of ``runs`` calls of ``fn`` and the last result.

    ``collect=True`` runs the garbage collector before each call (not timed).
    """
    times = []
    result: T
    for _ in range(runs):
        if collect:
            gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def median_range(samples: Sequence[float], *, digits: int = 2, unit: str = " s") -> str:
    """``median unit (min–max)``, e.g. ``1.23 s (1.10–1.40)``."""
    med, low, high = statistics.median(samples), min(samples), max(samples)
    return f"{med:.{digits}f}{unit} ({low:.{digits}f}–{high:.{digits}f})"


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size in MiB of this process (or ``RUSAGE_CHILDREN``); Linux KiB."""
    return resource.getrusage(who).ru_maxrss / 1024
