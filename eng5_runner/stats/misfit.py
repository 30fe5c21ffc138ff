"""Infit and outfit mean-squares from a Bradley–Terry fit (Rasch-style misfit).

For judgement k (winner w, loser l) under scores θ: p = σ(θ_w − θ_l) is the model
probability of what was observed, W = p(1 − p) its variance and the standardised residual
z² = (1 − p)² / W = (1 − p) / p (the same for both essays of the pair).  Per essay (or per
group of judgements, e.g. a judge variant):

    outfit = mean(z²)               unweighted: sensitive to single surprising judgements
    infit  = Σ (1 − p)² / Σ W       information-weighted: sensitive to on-target noise

Both have expectation 1.  An essay or group *misfits* when infit > 1.3 with infit ZSTD > 2;
outfit is reported next to it (one upset between far-apart essays inflates it).
The z-standardised values use the Wilson–Hilferty cube-root transform
ZSTD = (MS^⅓ − 1)(3/q) + q/3 with the model SD q of the mean-square
(Wright & Masters 1982; Linacre): q²(outfit) = Σ C/W² / N² − 1/N and
q²(infit) = Σ (C − W²) / (Σ W)², C = W(1 − 3W) the fourth central moment of a Bernoulli.
See docs/metrics.md "Psychometrics".
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "MISFIT_MS",
    "MISFIT_Z",
    "FitStatistic",
    "UnexpectedJudgement",
    "group_fit",
    "item_fit",
    "judgement_residuals",
    "unexpected_judgements",
    "wilson_hilferty_z",
]

#: Flag a mean-square above this ...
MISFIT_MS = 1.3
#: ... when its z-standardised value is also above this.
MISFIT_Z = 2.0
_P_FLOOR = 1e-9


@dataclass(frozen=True)
class FitStatistic:
    """Infit/outfit of one essay or group over ``n`` judgements (None when ``n`` = 0)."""

    n: int
    infit: float | None
    outfit: float | None
    infit_z: float | None
    outfit_z: float | None

    @property
    def misfit(self) -> bool:
        """Infit above ``MISFIT_MS`` with its ZSTD above ``MISFIT_Z`` (the flag reports use)."""
        return _flag(self.infit, self.infit_z)

    @property
    def outfit_misfit(self) -> bool:
        """The same rule on outfit: also raised by a single very surprising judgement."""
        return _flag(self.outfit, self.outfit_z)


def _flag(ms: float | None, zs: float | None) -> bool:
    return ms is not None and zs is not None and ms > MISFIT_MS and zs > MISFIT_Z


@dataclass(frozen=True)
class UnexpectedJudgement:
    """A judgement the fit found surprising: ``p_observed`` = P(what happened)."""

    index: int
    winner: int
    loser: int
    p_observed: float
    z: float


def judgement_residuals(
    theta: ArrayLike, winners: ArrayLike, losers: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """(p_observed, W) per judgement: P(winner beat loser) under θ and its variance."""
    t = np.asarray(theta, dtype=np.float64)
    w = np.asarray(winners, dtype=np.int64)
    lo = np.asarray(losers, dtype=np.int64)
    with np.errstate(over="ignore"):
        p = 1.0 / (1.0 + np.exp(-(t[w] - t[lo])))
    p = np.clip(p, _P_FLOOR, 1.0 - _P_FLOOR)
    return p, p * (1.0 - p)


def wilson_hilferty_z(mean_square: float, q: float) -> float:
    """ZSTD of a mean-square with model SD ``q``: (MS^⅓ − 1)(3/q) + q/3."""
    q = max(q, 1e-6)
    return (mean_square ** (1.0 / 3.0) - 1.0) * (3.0 / q) + q / 3.0


def _statistic(p: np.ndarray, var: np.ndarray) -> FitStatistic:
    n = int(p.size)
    if n == 0:
        return FitStatistic(0, None, None, None, None)
    y2 = (1.0 - p) ** 2
    outfit = float(np.mean(y2 / var))
    infit = float(np.sum(y2) / np.sum(var))
    kurt = var * (1.0 - 3.0 * var)
    q_out = math.sqrt(max(float(np.sum(kurt / var**2)) / n**2 - 1.0 / n, 0.0))
    q_in = math.sqrt(max(float(np.sum(kurt - var**2)) / float(np.sum(var)) ** 2, 0.0))
    return FitStatistic(
        n=n,
        infit=infit,
        outfit=outfit,
        infit_z=wilson_hilferty_z(infit, q_in),
        outfit_z=wilson_hilferty_z(outfit, q_out),
    )


def item_fit(
    n_items: int, winners: ArrayLike, losers: ArrayLike, theta: ArrayLike
) -> tuple[FitStatistic, ...]:
    """Infit/outfit per item over every judgement it took part in."""
    w = np.asarray(winners, dtype=np.int64)
    lo = np.asarray(losers, dtype=np.int64)
    p, var = judgement_residuals(theta, w, lo)
    out = []
    for item in range(n_items):
        mask = (w == item) | (lo == item)
        out.append(_statistic(p[mask], var[mask]))
    return tuple(out)


def group_fit(
    groups: Sequence[Hashable], winners: ArrayLike, losers: ArrayLike, theta: ArrayLike
) -> dict[Hashable, FitStatistic]:
    """Infit/outfit per group label (e.g. judge variant or repeat), first-seen order."""
    p, var = judgement_residuals(theta, winners, losers)
    labels = list(groups)
    if len(labels) != p.size:
        raise ValueError(f"groups and judgements differ in length ({len(labels)} vs {p.size})")
    out: dict[Hashable, FitStatistic] = {}
    for label in dict.fromkeys(labels):
        mask = np.array([g == label for g in labels], dtype=bool)
        out[label] = _statistic(p[mask], var[mask])
    return out


def unexpected_judgements(
    item: int,
    winners: ArrayLike,
    losers: ArrayLike,
    theta: ArrayLike,
    *,
    limit: int = 5,
    max_p: float = 0.3,
) -> list[UnexpectedJudgement]:
    """The item's judgements with P(observed) ≤ ``max_p``, most surprising first."""
    w = np.asarray(winners, dtype=np.int64)
    lo = np.asarray(losers, dtype=np.int64)
    p, var = judgement_residuals(theta, w, lo)
    idx = np.flatnonzero(((w == item) | (lo == item)) & (p <= max_p))
    idx = idx[np.argsort(p[idx], kind="stable")][:limit]
    return [
        UnexpectedJudgement(
            index=int(k),
            winner=int(w[k]),
            loser=int(lo[k]),
            p_observed=float(p[k]),
            z=float((1.0 - p[k]) / math.sqrt(var[k])),
        )
        for k in idx
    ]
