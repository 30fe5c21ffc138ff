"""Agreement between expert grades and the comparative-judgement scale (METRICS.md).

Rank correlations (all return plain floats, 0.0 when undefined — never nan):
``kendall_tau_b`` (headline), ``tau_b_ceiling``, ``somers_d``, ``tau_upstream``.

Inversions, over per-comparison ``winners``/``losers`` item indices and a per-item grade
rank array (0 = best, larger = worse; same rank = same grade, never an inversion):
``cross_grade_records`` (every pair of different grades that met), ``direct_inversions``,
``majority_inversions``, ``inversion_rate``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from eng5_runner.stats.bt import as_index_array
from eng5_runner.stats.grades import FULL_SCALE, grade_rank

__all__ = [
    "InversionPair",
    "cross_grade_records",
    "direct_inversions",
    "inversion_rate",
    "kendall_tau_b",
    "majority_inversions",
    "somers_d",
    "tau_b_ceiling",
    "tau_upstream",
]


def _paired(x: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Equal-length float vectors with pairs holding a non-finite value dropped."""
    a = np.asarray(x, dtype=np.float64).ravel()
    b = np.asarray(y, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"inputs differ in length ({a.size} vs {b.size})")
    keep = np.isfinite(a) & np.isfinite(b)
    return a[keep], b[keep]


def _tied_pairs(v: NDArray[np.float64]) -> float:
    _, counts = np.unique(v, return_counts=True)
    return float(np.sum(counts * (counts - 1) / 2))


#: Largest n for which C − D is counted exactly in O(n²) with numpy; above it
#: ``scipy.stats.kendalltau`` (O(n log n), but ≈1 s to import) is used.
EXACT_CONCORDANCE_MAX_N = 2000
_BLOCK_CELLS = 1 << 20  # pairs compared per numpy block (bounds the memory at a few MB)


def _concordance(
    a: NDArray[np.float64], b: NDArray[np.float64]
) -> tuple[float, float, float, float]:
    """(C − D, all pairs, pairs tied in a, pairs tied in b)."""
    n = a.size
    pairs = n * (n - 1) / 2
    ties_a, ties_b = _tied_pairs(a), _tied_pairs(b)
    if n < 2 or ties_a == pairs or ties_b == pairs:
        return 0.0, pairs, ties_a, ties_b
    if n <= EXACT_CONCORDANCE_MAX_N:
        return float(_c_minus_d_exact(a, b)), pairs, ties_a, ties_b
    from scipy.stats import kendalltau

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tau = float(kendalltau(a, b, variant="b").statistic)
    c_minus_d = tau * np.sqrt((pairs - ties_a) * (pairs - ties_b))
    return float(np.rint(c_minus_d)), pairs, ties_a, ties_b


def _c_minus_d_exact(a: NDArray[np.float64], b: NDArray[np.float64]) -> int:
    """Σ over pairs i < j of sign(aᵢ − aⱼ)·sign(bᵢ − bⱼ), counted exactly (ties give 0)."""
    n = a.size
    rows = max(1, _BLOCK_CELLS // n)
    total = 0
    for start in range(0, n, rows):
        ai, bi = a[start : start + rows, None], b[start : start + rows, None]
        sign_a = (ai > a).view(np.int8) - (ai < a).view(np.int8)
        sign_b = (bi > b).view(np.int8) - (bi < b).view(np.int8)
        total += int(np.einsum("ij,ij->", sign_a, sign_b, dtype=np.int64))
    return total // 2  # every unordered pair was counted twice (as (i, j) and (j, i))


def kendall_tau_b(x: ArrayLike, y: ArrayLike) -> float:
    """Kendall's τ-b (as ``scipy.stats.kendalltau``), ties kept as ties.

    Pairs with a non-finite value are left out; fewer than two pairs or a constant input
    make τ-b undefined and return 0.0.
    """
    a, b = _paired(x, y)
    c_minus_d, pairs, ties_a, ties_b = _concordance(a, b)
    if c_minus_d == 0.0:
        return 0.0
    return float(c_minus_d / np.sqrt((pairs - ties_a) * (pairs - ties_b)))


def tau_b_ceiling(expert: ArrayLike, scores: ArrayLike | None = None) -> float:
    """Largest τ-b reachable given the ties in ``expert`` (and in ``scores``, if given).

    Without ``scores``: √(1 − Tₓ/P), the ceiling for untied scores.  With ``scores``:
    (P − Tₓ − Tᵧ + Tₓᵧ) / √((P − Tₓ)(P − Tᵧ)), where Tₓᵧ counts pairs tied in both, since
    only pairs untied in both can be concordant.  1.0 without ties; 0.0 when undefined.
    """
    if scores is None:
        a = np.asarray(expert, dtype=np.float64).ravel()
        a = a[np.isfinite(a)]
        pairs = a.size * (a.size - 1) / 2
        if pairs == 0:
            return 0.0
        return float(np.sqrt((pairs - _tied_pairs(a)) / pairs))
    a, b = _paired(expert, scores)
    pairs = a.size * (a.size - 1) / 2
    ties_a, ties_b = _tied_pairs(a), _tied_pairs(b)
    if pairs - ties_a <= 0 or pairs - ties_b <= 0:
        return 0.0
    joint = np.unique(np.stack([a, b], axis=1), axis=0, return_counts=True)[1]
    ties_both = float(np.sum(joint * (joint - 1) / 2))
    untied_both = pairs - ties_a - ties_b + ties_both
    return float(untied_both / np.sqrt((pairs - ties_a) * (pairs - ties_b)))


def somers_d(expert: ArrayLike, scores: ArrayLike) -> float:
    """Somers' d(scores | expert) = (C − D) / (pairs not tied in ``expert``).

    Higher is better in both.  Equals 1 − 2 × (share of differently graded pairs the
    scores order wrongly, ties in score counting half).  Undefined (all expert values tied,
    fewer than two finite pairs) → 0.0.
    """
    a, b = _paired(expert, scores)
    c_minus_d, pairs, ties_a, _ = _concordance(a, b)
    if pairs - ties_a <= 0:
        return 0.0
    return float(c_minus_d / (pairs - ties_a))


def tau_upstream(grades: Sequence[str], actual_ranks: ArrayLike) -> float:
    """Upstream τ-a between actual rank (1 = best) and expected rank.

    Expected rank orders items by grade on the full 16-step scale and, within a grade, by
    actual rank (so same-grade anchors always count as concordant); τ-a = (C − D) /
    (n(n − 1)/2).  Kept for comparison with historical runs.  Unknown grade →
    :class:`~eng5_runner.stats.grades.UnknownGradeError`; n < 2 → 0.0.
    """
    actual = np.asarray(actual_ranks, dtype=np.float64).ravel()
    if len(grades) != actual.size:
        raise ValueError(
            f"grades and actual_ranks differ in length ({len(grades)} vs {actual.size})"
        )
    if not np.all(np.isfinite(actual)):
        raise ValueError("actual_ranks must be finite")
    if actual.size < 2:
        return 0.0
    rank = np.array([grade_rank(g, FULL_SCALE) for g in grades], dtype=np.float64)
    expected = np.empty(actual.size)
    expected[np.lexsort((actual, rank))] = np.arange(1, actual.size + 1)
    c_minus_d, pairs, _, _ = _concordance(expected, actual)
    return float(c_minus_d / pairs)


@dataclass(frozen=True)
class InversionPair:
    """Head-to-head record of two items of different grade (``higher`` = better grade)."""

    higher: int
    lower: int
    higher_wins: int
    lower_wins: int

    @property
    def comparisons(self) -> int:
        return self.higher_wins + self.lower_wins

    @property
    def inverted(self) -> bool:
        """At least one comparison won by the lower grade (a direct inversion)."""
        return self.lower_wins > 0

    @property
    def majority(self) -> bool:
        """The record strictly favours the lower grade (a majority inversion)."""
        return self.lower_wins > self.higher_wins


def cross_grade_records(
    winners: ArrayLike, losers: ArrayLike, grade_ranks: ArrayLike
) -> tuple[InversionPair, ...]:
    """Every (higher, lower) pair of different grades that met, with its record.

    Sorted by (grade rank of higher, grade rank of lower, higher, lower), i.e. best grades
    first.  ``grade_ranks[i]`` is item i's rank (0 = best); it fixes the number of items.
    """
    g = np.asarray(grade_ranks).ravel()
    if g.size and g.dtype.kind not in "iu":
        raise ValueError("grade_ranks must be integers (0 = best)")
    n = g.size
    w = as_index_array(winners, "winners", n)
    lo = as_index_array(losers, "losers", n)
    if w.shape != lo.shape:
        raise ValueError(f"winners and losers differ in length ({w.size} vs {lo.size})")
    gw, gl = g[w], g[lo]
    cross = gw != gl
    higher_won = (gw < gl)[cross]
    higher = np.where(higher_won, w[cross], lo[cross])
    lower = np.where(higher_won, lo[cross], w[cross])
    keys, inverse = np.unique(higher * np.int64(max(n, 1)) + lower, return_inverse=True)
    h_wins = np.bincount(inverse, higher_won.astype(np.int64), keys.size).astype(np.int64)
    total = np.bincount(inverse, minlength=keys.size)
    hi, lw = keys // max(n, 1), keys % max(n, 1)
    order = np.lexsort((lw, hi, g[lw], g[hi]))
    return tuple(
        InversionPair(int(hi[k]), int(lw[k]), int(h_wins[k]), int(total[k] - h_wins[k]))
        for k in order
    )


def direct_inversions(
    winners: ArrayLike, losers: ArrayLike, grade_ranks: ArrayLike
) -> tuple[InversionPair, ...]:
    """Distinct cross-grade pairs with at least one comparison won by the lower grade."""
    return tuple(r for r in cross_grade_records(winners, losers, grade_ranks) if r.inverted)


def majority_inversions(
    winners: ArrayLike, losers: ArrayLike, grade_ranks: ArrayLike
) -> tuple[InversionPair, ...]:
    """Cross-grade pairs whose head-to-head record strictly favours the lower grade."""
    return tuple(r for r in cross_grade_records(winners, losers, grade_ranks) if r.majority)


def inversion_rate(winners: ArrayLike, losers: ArrayLike, grade_ranks: ArrayLike) -> float:
    """Comparisons won by the lower grade / all comparisons between different grades.

    0.0 when no two differently graded items were compared.
    """
    records = cross_grade_records(winners, losers, grade_ranks)
    total = sum(r.comparisons for r in records)
    return sum(r.lower_wins for r in records) / total if total else 0.0
