"""Proportions, intervals and position effects for the boundary test (METRICS.md).

All functions return plain floats (never nan): ``wilson_interval``, ``binomial_test_p``,
``mean_t_interval``, ``modal_agreement``, ``order_effect``, ``position_consistency``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from eng5_runner.stats._dist import binomtest_two_sided_p, norm_ppf, t_ppf

__all__ = [
    "binomial_test_p",
    "mean_t_interval",
    "modal_agreement",
    "order_effect",
    "position_consistency",
    "wilson_interval",
]


def _check_counts(k: int, n: int) -> None:
    if not (0 <= k <= n):
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")


def _check_confidence(confidence: float) -> None:
    if not (0.0 < confidence < 1.0):
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n; n = 0 → (0.0, 1.0)."""
    _check_counts(k, n)
    _check_confidence(confidence)
    if n == 0:
        return 0.0, 1.0
    z = norm_ppf(0.5 + confidence / 2)
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def binomial_test_p(k: int, n: int, p: float = 0.5) -> float:
    """Exact two-sided binomial test of k successes in n trials against p; n = 0 → 1.0."""
    _check_counts(k, n)
    if not (0.0 <= p <= 1.0):
        raise ValueError(f"p must be in [0, 1], got {p}")
    if n == 0:
        return 1.0
    return min(1.0, max(0.0, binomtest_two_sided_p(k, n, p)))


def mean_t_interval(values: ArrayLike, confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): Student-t interval for the mean.

    One value or all values equal → (m, m, m).  No values or a non-finite value →
    ValueError (callers report "no data" instead of calling).
    """
    _check_confidence(confidence)
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError("mean_t_interval needs at least one value")
    if not np.all(np.isfinite(v)):
        raise ValueError("mean_t_interval needs finite values")
    m = float(v.mean())
    if v.size == 1 or float(np.ptp(v)) == 0.0:
        return m, m, m
    half = t_ppf(0.5 + confidence / 2, v.size - 1) * float(v.std(ddof=1)) / math.sqrt(v.size)
    return m, m - half, m + half


def modal_agreement(k: int, n: int) -> float:
    """max(k, n − k) / n: share of comparisons agreeing with the pair's majority; n = 0 → 0.0."""
    _check_counts(k, n)
    return max(k, n - k) / n if n else 0.0


def order_effect(higher_in_a: ArrayLike, higher_won: ArrayLike) -> float:
    """P(higher wins | higher in slot A) − P(higher wins | higher in slot B).

    One entry per successful comparison (pool several pairs by concatenating).  Positive
    means the judge favours slot A.  If either order has no comparisons → 0.0.
    """
    in_a = np.asarray(higher_in_a, dtype=bool).ravel()
    won = np.asarray(higher_won, dtype=bool).ravel()
    if in_a.shape != won.shape:
        raise ValueError(f"inputs differ in length ({in_a.size} vs {won.size})")
    if not in_a.any() or in_a.all():
        return 0.0
    return float(won[in_a].mean() - won[~in_a].mean())


def position_consistency(
    higher_won_ab: Sequence[bool | None], higher_won_ba: Sequence[bool | None]
) -> float:
    """Share of iterations whose two orders picked the same essay.

    ``higher_won_ab[i]``: did the higher grade win iteration i with higher in slot A;
    ``higher_won_ba[i]``: the same with higher in slot B.  ``None`` marks a failed
    judgement; such iterations are left out.  No complete iteration → 0.0.
    """
    if len(higher_won_ab) != len(higher_won_ba):
        raise ValueError(f"inputs differ in length ({len(higher_won_ab)} vs {len(higher_won_ba)})")
    both = [
        (a, b)
        for a, b in zip(higher_won_ab, higher_won_ba, strict=True)
        if a is not None and b is not None
    ]
    if not both:
        return 0.0
    return sum(1 for a, b in both if bool(a) == bool(b)) / len(both)
