"""Benchmark ``fit_bradley_terry`` (scores and standard errors) on random designs.

Usage: ``python bench/bench_bt.py [--check-se]``.  Prints a markdown table: wall time
(median of several runs, the fit including SEs), peak memory traced by ``tracemalloc`` in
a separate run (numpy reports its buffers to it), and how the fit went.  ``--check-se``
also compares the approximate SEs of the 10,000-item designs with exact dense ones (slow:
~15 s and ~2 GB each).  ``choix`` is timed too when it happens to be installed.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
from _harness import median_time, peak_rss_mib

from eng5_runner.stats import BTFit, fit_bradley_terry

# (items, comparisons, timed runs)
CASES = [
    (100, 2_000, 21),
    (1_000, 20_000, 5),
    (3_000, 60_000, 5),
    (10_000, 100_000, 3),
    (10_000, 500_000, 3),
]


def design(n: int, m: int, seed: int = 20240611) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True scores N(0, 1); a ring (i, i+1) so the design is connected, then random pairs."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, 1.0, n)
    ring = np.arange(n)
    i = np.r_[ring, rng.integers(0, n, m - n)]
    j = np.r_[(ring + 1) % n, (i[n:] + rng.integers(1, n, m - n)) % n]
    i_wins = rng.random(m) < 1.0 / (1.0 + np.exp(-(theta[i] - theta[j])))
    return theta, np.asarray(np.where(i_wins, i, j)), np.asarray(np.where(i_wins, j, i))


def peak_mib(fn: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def fmt_mem(mib: float) -> str:
    return f"{mib * 1024:.0f} KiB" if mib < 1 else f"{mib:.0f} MiB"


def fmt_time(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check-se", action="store_true", help="compare with exact SEs at 10k")
    args = parser.parse_args()
    try:
        import choix
    except ImportError:
        choix = None

    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}, "
        f"load average {os.getloadavg()[0]:.2f} at start\n"
    )
    print("| items | comparisons | time (median) | runs | peak traced memory | fit | SE |")
    print("|---:|---:|---:|---:|---:|---|---|")
    notes = []
    for n, m, runs in CASES:
        truth, w, lo = design(n, m)
        run: Callable[[], BTFit] = partial(fit_bradley_terry, n, w, lo)
        seconds, fit = median_time(run, runs, collect=True)
        mib = peak_mib(run)
        kind = f"ridge λ={fit.ridge}" if fit.regularised else "MLE"
        corr = np.corrcoef(truth, fit.theta)[0, 1]
        print(
            f"| {n:,} | {m:,} | {fmt_time(seconds)} | {runs} | {fmt_mem(mib)} | "
            f"{kind}, {fit.iterations} Newton steps, r(θ̂, θ) = {corr:.3f} | {fit.se_method} |"
        )
        if args.check_se and fit.se_method == "approx":
            start = time.perf_counter()
            exact = fit_bradley_terry(n, w, lo, se_method="exact")
            took = time.perf_counter() - start
            rel = np.abs(np.asarray(fit.se) / exact.se - 1)
            notes.append(
                f"{n:,}/{m:,}: approximate vs exact SE, max relative error {rel.max():.2e}, "
                f"mean {rel.mean():.2e} (exact fit took {took:.1f} s)"
            )
        if choix is not None and n <= 1_000:
            pairs = np.c_[w, lo]
            ilsr: Callable[[], Any] = partial(choix.ilsr_pairwise, n, pairs, alpha=0.01)
            took, _ = median_time(ilsr, 3, collect=True)
            notes.append(f"choix.ilsr_pairwise {n:,}/{m:,} (scores only): {fmt_time(took)}")
    rss = peak_rss_mib()
    print(f"\nProcess peak RSS: {rss:.0f} MiB.")
    if choix is None:
        print("choix is not installed; not compared.")
    for note in notes:
        print(f"- {note}")


if __name__ == "__main__":
    main()
