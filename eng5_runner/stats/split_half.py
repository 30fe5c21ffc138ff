"""Split-half reliability of a Bradley–Terry scale.

The judgements are split at random into two halves, BT is fitted to each, and the two
score vectors are correlated (Pearson r).  Each half has half the judgements, so r is
stepped up with the Spearman–Brown formula 2r / (1 + r) to the full set; the reported
value is the mean over seeded splits, with the 2.5–97.5 % range of the splits (their
spread, not a sampling interval).  Unlike SSR it uses no model SEs, so it is not inflated
by adaptive pairing (Bramley & Vitello 2019).  See docs/metrics.md "Psychometrics".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from eng5_runner.stats.bt import fit_bradley_terry

__all__ = ["SplitHalf", "spearman_brown", "split_half_reliability"]


@dataclass(frozen=True)
class SplitHalf:
    """Mean Spearman–Brown-corrected split-half reliability over ``splits`` splits."""

    reliability: float
    low: float
    high: float
    mean_half_r: float
    splits: int


def spearman_brown(r: float, factor: float = 2.0) -> float:
    """Reliability of a test ``factor`` times as long: k·r / (1 + (k − 1)·r)."""
    den = 1.0 + (factor - 1.0) * r
    if den <= 0:
        return -1.0
    return factor * r / den


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    sx, sy = float(np.std(x)), float(np.std(y))
    if sx == 0 or sy == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def split_half_reliability(
    n_items: int,
    winners: ArrayLike,
    losers: ArrayLike,
    *,
    splits: int = 20,
    seed: int = 0,
    ridge: float | None = None,
) -> SplitHalf:
    """Split-half reliability (module docstring); fewer than 4 judgements → 0.0."""
    w = np.asarray(winners, dtype=np.int64)
    lo = np.asarray(losers, dtype=np.int64)
    if w.size < 4 or n_items < 3 or splits < 1:
        return SplitHalf(0.0, 0.0, 0.0, 0.0, 0)
    rng = np.random.default_rng(seed)
    values: list[float] = []
    raws: list[float] = []
    half = w.size // 2
    for _ in range(splits):
        perm = rng.permutation(w.size)
        first, second = perm[:half], perm[half:]
        fit_a = fit_bradley_terry(n_items, w[first], lo[first], ridge=ridge)
        fit_b = fit_bradley_terry(n_items, w[second], lo[second], ridge=ridge)
        r = _pearson(np.asarray(fit_a.theta), np.asarray(fit_b.theta))
        raws.append(r)
        values.append(spearman_brown(r))
    arr = np.asarray(values)
    out = SplitHalf(
        reliability=float(arr.mean()),
        low=float(np.percentile(arr, 2.5)),
        high=float(np.percentile(arr, 97.5)),
        mean_half_r=float(np.mean(raws)),
        splits=splits,
    )
    if not all(math.isfinite(v) for v in (out.reliability, out.low, out.high)):
        return SplitHalf(0.0, 0.0, 0.0, 0.0, 0)
    return out
