"""Paired comparison of two runs on the same anchors, and Holm's adjustment (METRICS.md).

The two runs' comparisons are matched beforehand (by unordered anchor pair, slot order and
iteration; see ``reports.paired_runs``); here the k-th entry of run A's and run B's
arrays is the same matched comparison.  :func:`compare_paired` gives

- McNemar: ``discordant_b_better`` / ``discordant_a_better`` — matched comparisons of
  differently graded anchors that exactly one run ordered as the experts do — and the
  exact two-sided binomial p-value ``mcnemar_p`` on those two counts;
- ``delta_tau_b`` = τ-b(B) − τ-b(A) on the matched comparisons, with a 95% *paired*
  bootstrap interval: anchor pairs are resampled and each carries both runs' outcomes,
  so the judge's per-pair difficulty cancels out of the difference; the percentile
  interval is re-centred on the observed Δ (see ``stats.bootstrap``).  The resampling
  bias cancels in Δ only when both runs are equally noisy: for noise 0.3 against 2.0 the
  median of the resampled Δ sits 0.035 below Δ (about the size of Δ itself), so the plain
  percentile interval would exaggerate the difference (docs/metrics.md,
  bench/bench_compare.py);
- ``verdict``: ``better`` when the interval lies above 0, ``worse`` when below, else
  ``indistinguishable``; fewer than :data:`MIN_MATCHED` matched comparisons (or no two
  grades to order) → ``not comparable`` with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from eng5_runner.stats.bootstrap import (
    BOOTSTRAP_METHOD,
    ComparisonSample,
    percentile_interval,
    rank_agreement_many,
)
from eng5_runner.stats.boundary import binomial_test_p
from eng5_runner.stats.bt import PositionModel, as_index_array, fit_bradley_terry

__all__ = [
    "MIN_MATCHED",
    "PairedComparison",
    "Verdict",
    "compare_paired",
    "holm_adjust",
    "mcnemar_exact_p",
    "verdict_from_interval",
]

Verdict = Literal["better", "worse", "indistinguishable", "not comparable"]
#: Fewer matched comparisons than this → verdict ``not comparable``.
MIN_MATCHED = 10


@dataclass(frozen=True)
class PairedComparison:
    """Run B against run A on their matched comparisons (A = baseline / reference)."""

    matched_comparisons: int
    cross_grade_matched: int
    agreement_rate_a: float | None
    agreement_rate_b: float | None
    discordant_b_better: int
    discordant_a_better: int
    mcnemar_p: float
    tau_b_a: float | None
    tau_b_b: float | None
    delta_tau_b: float | None
    delta_tau_b_ci95: tuple[float, float] | None
    verdict: Verdict
    reason: str | None
    resamples: int
    seed: int
    method: str = "paired " + BOOTSTRAP_METHOD


def mcnemar_exact_p(b_better: int, a_better: int) -> float:
    """Exact two-sided McNemar test: binomial test of ``b_better`` of the discordant pairs."""
    return binomial_test_p(b_better, b_better + a_better)


def verdict_from_interval(low: float, high: float) -> Verdict:
    """``better`` above 0, ``worse`` below 0, else ``indistinguishable``."""
    if low > 0:
        return "better"
    if high < 0:
        return "worse"
    return "indistinguishable"


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (same order as given; capped at 1)."""
    p = np.asarray(p_values, dtype=np.float64).ravel()
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = (m - np.arange(m)) * p[order]
    adjusted = np.minimum(1.0, np.maximum.accumulate(scaled))
    out = np.empty(m)
    out[order] = adjusted
    return [float(v) for v in out]


def compare_paired(
    expert: ArrayLike,
    winners_a: ArrayLike,
    losers_a: ArrayLike,
    winners_b: ArrayLike,
    losers_b: ArrayLike,
    *,
    resamples: int = 1000,
    seed: int = 0,
    ridge: float | None = None,
    confidence: float = 0.95,
    position_model: PositionModel = "none",
    winner_in_slot_a_a: ArrayLike | None = None,
    winner_in_slot_a_b: ArrayLike | None = None,
) -> PairedComparison:
    """Compare run B with run A; entry k of each array is matched comparison k.

    ``expert[i]``: item i's expert value, higher = better (e.g. −grade rank).
    ``ridge``/``position_model``: the runs' fit settings, used for both point fits and every
    refit; ``position_model="global"`` needs each run's ``winner_in_slot_a`` flags.
    """
    e = np.asarray(expert, dtype=np.float64).ravel()
    n = e.size
    wa, la = as_index_array(winners_a, "winners_a", n), as_index_array(losers_a, "losers_a", n)
    wb, lb = as_index_array(winners_b, "winners_b", n), as_index_array(losers_b, "losers_b", n)
    if not (wa.shape == la.shape == wb.shape == lb.shape):
        raise ValueError("the matched comparisons of both runs must have the same length")
    pair_a = np.minimum(wa, la) * n + np.maximum(wa, la)
    if wa.size and np.any(pair_a != np.minimum(wb, lb) * n + np.maximum(wb, lb)):
        raise ValueError("matched comparison k must be between the same two items in both runs")
    m = int(wa.size)
    cross = e[wa] != e[la]
    right_a, right_b = e[wa] > e[la], e[wb] > e[lb]
    b_better = int(np.count_nonzero(cross & right_b & ~right_a))
    a_better = int(np.count_nonzero(cross & right_a & ~right_b))
    n_cross = int(np.count_nonzero(cross))
    base = {
        "matched_comparisons": m,
        "cross_grade_matched": n_cross,
        "agreement_rate_a": float(np.count_nonzero(cross & right_a) / n_cross) if n_cross else None,
        "agreement_rate_b": float(np.count_nonzero(cross & right_b) / n_cross) if n_cross else None,
        "discordant_b_better": b_better,
        "discordant_a_better": a_better,
        "mcnemar_p": mcnemar_exact_p(b_better, a_better),
        "resamples": resamples,
        "seed": seed,
    }
    reason = None
    if m < MIN_MATCHED:
        reason = (
            f"only {m} matched comparison(s) (by anchor pair, slot order and iteration); "
            f"at least {MIN_MATCHED} are needed"
        )
    used = np.unique(np.concatenate([wa, la]))
    if reason is None and np.unique(e[used]).size < 2:
        reason = "the matched comparisons involve anchors of a single grade: τ-b is undefined"
    if reason is not None:
        return PairedComparison(
            **base,  # type: ignore[arg-type]
            tau_b_a=None,
            tau_b_b=None,
            delta_tau_b=None,
            delta_tau_b_ci95=None,
            verdict="not comparable",
            reason=reason,
        )
    remap = np.full(n, -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    sub_e = e[used]
    sample_a = ComparisonSample(
        used.size,
        remap[wa],
        remap[la],
        position_model=position_model,
        winner_in_slot_a=winner_in_slot_a_a,
    )
    sample_b = ComparisonSample(
        used.size,
        remap[wb],
        remap[lb],
        position_model=position_model,
        winner_in_slot_a=winner_in_slot_a_b,
    )
    tau_a = _tau_point(sample_a, sub_e, ridge)
    tau_b = _tau_point(sample_b, sub_e, ridge)
    rng = np.random.default_rng(seed)
    counts = sample_a.cluster_counts(resamples, rng)  # same anchor pairs in both samples
    delta = (
        rank_agreement_many(sample_b.refit(counts, ridge=ridge).theta, sub_e)[0]
        - rank_agreement_many(sample_a.refit(counts, ridge=ridge).theta, sub_e)[0]
    )
    low, high = percentile_interval(delta, confidence, centre=tau_b - tau_a, bounds=(-2.0, 2.0))
    return PairedComparison(
        **base,  # type: ignore[arg-type]
        tau_b_a=tau_a,
        tau_b_b=tau_b,
        delta_tau_b=tau_b - tau_a,
        delta_tau_b_ci95=(low, high),
        verdict=verdict_from_interval(low, high),
        reason=None,
    )


def _tau_point(sample: ComparisonSample, expert: np.ndarray, ridge: float | None) -> float:
    theta = fit_bradley_terry(
        sample.n,
        sample.winners,
        sample.losers,
        ridge=ridge or None,
        position_model=sample.position_model,
        winner_in_slot_a=sample.winner_in_slot_a,
    ).theta
    return float(rank_agreement_many(np.asarray(theta)[None, :], expert)[0][0])
