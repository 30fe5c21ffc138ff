"""Intervals on a run's headline numbers (METRICS.md "Uncertainty and comparing variants").

- :func:`agreement_rate`: cross-grade comparisons won by the higher grade, Wilson 95%.
- :func:`bootstrap_info`: bootstrap intervals of τ-b and Somers' d with how they were made.
- :func:`self_consistency`: with ``pairing.repeats`` ≥ 2, the share of repeated anchor pairs
  on which every judgement picked the same essay (Wilson 95% over pairs).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from eng5_runner import stats
from eng5_runner.reports.context import Frozen, Proportion, proportion


class BootstrapInfo(Frozen):
    """How the τ-b / Somers' d intervals were computed (stated in the report)."""

    method: str
    resamples: int
    seed: int
    regularised_resamples: int = 0
    """Resamples whose win graph broke apart, so BT used the ridge (as the run would)."""
    unconverged_resamples: int = 0
    requested_resamples: int | None = None
    """Set when the run's size made the bootstrap use fewer resamples than configured."""
    note: str = (
        "how much the number moves if the judge is asked again on the same design "
        "(not the uncertainty from choosing these anchors)"
    )


def agreement_rate(cross_grade: int, inverted: int) -> Proportion:
    """``agreement_rate`` = 1 − inversion rate, with its Wilson 95% interval."""
    return proportion(cross_grade - inverted, cross_grade)


def bootstrap_info(
    n_items: int,
    winners: np.ndarray,
    losers: np.ndarray,
    expert: Sequence[float],
    *,
    resamples: int,
    seed: int,
    ridge: float | None,
    model: Mapping[str, Any] | None = None,
    max_refit_comparisons: int = 0,
) -> tuple[
    tuple[float, float] | None, tuple[float, float] | None, BootstrapInfo | None, str | None
]:
    """(τ-b interval, Somers' d interval, info, warning); Nones when it cannot be computed.

    ``model``: the run's other fit settings for the refits (``position_model``,
    ``winner_in_slot_a``, ``outcomes``; see ``stats.bootstrap_agreement``).
    ``max_refit_comparisons``: see :func:`bounded_resamples` (0 = all ``resamples``).
    """
    if len(winners) == 0 or len(set(expert)) < 2:
        return None, None, None, None
    used = bounded_resamples(resamples, len(winners), max_refit_comparisons)
    try:
        boot = stats.bootstrap_agreement(
            n_items,
            winners,
            losers,
            expert,
            resamples=used,
            seed=seed,
            ridge=ridge,
            **(model or {}),
        )
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return None, None, None, f"bootstrap intervals not computed: {exc}"
    info = BootstrapInfo(
        method=boot.method,
        resamples=boot.resamples,
        seed=boot.seed,
        regularised_resamples=boot.regularised_resamples,
        unconverged_resamples=boot.unconverged_resamples,
        requested_resamples=resamples if used < resamples else None,
    )
    notes = []
    if used < resamples:
        notes.append(
            f"bootstrap intervals from {used} resamples, not {resamples}: "
            f"{len(winners):,} comparisons × resamples is capped at {max_refit_comparisons:,} "
            "(report.bootstrap.max_refit_comparisons=0 uses them all)"
        )
    if boot.unconverged_resamples:
        notes.append(
            f"{boot.unconverged_resamples} of {boot.resamples} bootstrap refits did not "
            "converge; the τ-b interval may be too wide or too narrow"
        )
    warning = "; ".join(notes) or None
    return _clean(boot.tau_b_ci95), _clean(boot.somers_d_ci95), info, warning


MIN_BOUNDED_RESAMPLES = 200


def bounded_resamples(requested: int, comparisons: int, max_refit_comparisons: int) -> int:
    """Resamples so that resamples × comparisons ≤ the cap, never below 200 (nor above
    ``requested``): the refits' cost grows with the run but stays bounded."""
    if max_refit_comparisons <= 0 or comparisons <= 0:
        return requested
    fit = max_refit_comparisons // comparisons
    return min(requested, max(MIN_BOUNDED_RESAMPLES, fit))


def _clean(interval: tuple[float, float]) -> tuple[float, float]:
    return float(round(interval[0], 12)), float(round(interval[1], 12))


def self_consistency(winners: Sequence[str], losers: Sequence[str]) -> Proportion | None:
    """Share of anchor pairs judged ≥ 2 times whose judgements all picked the same essay.

    With ``pairing.repeats = 2`` that is the share of repeated pairs with the same verdict
    (the two slot orders alternate, so a judge that follows the slot fails it).  None when
    no pair was judged twice.
    """
    by_pair: dict[tuple[str, str], set[str]] = defaultdict(set)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for w, lo in zip(winners, losers, strict=True):
        key = (w, lo) if w < lo else (lo, w)
        by_pair[key].add(w)
        counts[key] += 1
    repeated = [key for key, c in counts.items() if c >= 2]
    if not repeated:
        return None
    same = sum(1 for key in repeated if len(by_pair[key]) == 1)
    return proportion(same, len(repeated))
