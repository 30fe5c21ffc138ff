"""Bias audits of a judge: length bias and per-essay position effects.

Length: Pearson r of BT score with word count, with a Fisher-z 95 % interval
(atanh r ± 1.96/√(n − 3)); and the partial correlation controlling for the expert
grade (residuals of both on the grade rank), interval with √(n − 4).  Longer essays are
often better, so only the partial correlation can show *bias*.

Position: for each judgement the slot-A residual e = x_A − σ(θ_A − θ_B).  Overall, Σe/√ΣW
is ≈ N(0, 1) without a slot preference.  Per essay, the effect is its mean residual in
slot A minus its mean residual in slot B, z = effect / √(ΣW_A/n_A² + ΣW_B/n_B²).
See docs/metrics.md "Psychometrics".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from eng5_runner.stats._dist import norm_ppf
from eng5_runner.stats.boundary import binomial_test_p

__all__ = [
    "Correlation",
    "PositionAudit",
    "PositionEffect",
    "correlation",
    "partial_correlation",
    "position_effects",
]

_Z95 = norm_ppf(0.975)


@dataclass(frozen=True)
class Correlation:
    """r with its Fisher-z 95 % interval over ``n`` essays (None when undefined)."""

    r: float | None
    low: float | None
    high: float | None
    n: int

    @property
    def excludes_zero(self) -> bool:
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


def _fisher(r: float, n: int, controls: int) -> Correlation:
    dof = n - 3 - controls
    if dof < 1:
        return Correlation(r, None, None, n)
    rc = min(max(r, -0.999999), 0.999999)
    half = _Z95 / math.sqrt(dof)
    z = math.atanh(rc)
    return Correlation(r, math.tanh(z - half), math.tanh(z + half), n)


def _r(x: np.ndarray, y: np.ndarray) -> float | None:
    if x.size < 3 or float(np.std(x)) == 0 or float(np.std(y)) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def correlation(x: ArrayLike, y: ArrayLike) -> Correlation:
    """Pearson r with a Fisher-z 95 % interval."""
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    r = _r(a, b)
    return Correlation(None, None, None, int(a.size)) if r is None else _fisher(r, a.size, 0)


def partial_correlation(x: ArrayLike, y: ArrayLike, control: ArrayLike) -> Correlation:
    """r(x, y | control): correlation of the residuals of x and y on control."""
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    c = np.asarray(control, dtype=np.float64)
    if a.size < 4 or float(np.std(c)) == 0:
        return Correlation(None, None, None, int(a.size))
    design = np.column_stack([np.ones_like(c), c])
    res_a = a - design @ np.linalg.lstsq(design, a, rcond=None)[0]
    res_b = b - design @ np.linalg.lstsq(design, b, rcond=None)[0]
    r = _r(res_a, res_b)
    return Correlation(None, None, None, int(a.size)) if r is None else _fisher(r, a.size, 1)


@dataclass(frozen=True)
class PositionEffect:
    """One essay: win surplus in slot A minus in slot B (residual scale), and its z."""

    index: int
    n_a: int
    n_b: int
    effect: float | None
    z: float | None


@dataclass(frozen=True)
class PositionAudit:
    """Overall slot-A residual test and the per-essay effects."""

    mean_residual_a: float
    z: float
    p_value: float
    effects: tuple[PositionEffect, ...]
    flagged: tuple[int, ...]
    """Essays with |z| > 2."""
    excess_p: float
    """Binomial test: are more essays flagged than the 4.6 % expected by chance?"""

    @property
    def evidence(self) -> bool:
        return self.p_value < 0.05 or self.excess_p < 0.05


def position_effects(
    n_items: int, a_idx: ArrayLike, b_idx: ArrayLike, a_won: ArrayLike, theta: ArrayLike
) -> PositionAudit:
    """Position audit from judgements (slot A index, slot B index, A won)."""
    a = np.asarray(a_idx, dtype=np.int64)
    b = np.asarray(b_idx, dtype=np.int64)
    x = np.asarray(a_won, dtype=np.float64)
    t = np.asarray(theta, dtype=np.float64)
    with np.errstate(over="ignore"):
        p = 1.0 / (1.0 + np.exp(-(t[a] - t[b])))
    e = x - p
    var = p * (1.0 - p)
    total_var = float(var.sum())
    z = float(e.sum()) / math.sqrt(total_var) if total_var > 0 else 0.0
    p_value = math.erfc(abs(z) / math.sqrt(2.0))
    effects: list[PositionEffect] = []
    for item in range(n_items):
        in_a, in_b = a == item, b == item
        n_a, n_b = int(in_a.sum()), int(in_b.sum())
        if n_a == 0 or n_b == 0:
            effects.append(PositionEffect(item, n_a, n_b, None, None))
            continue
        effect = float(e[in_a].mean() + e[in_b].mean())  # own residual in B is −e
        sd = math.sqrt(float(var[in_a].sum()) / n_a**2 + float(var[in_b].sum()) / n_b**2)
        effects.append(PositionEffect(item, n_a, n_b, effect, effect / sd if sd > 0 else None))
    tested = [f for f in effects if f.z is not None]
    flagged = tuple(f.index for f in tested if f.z is not None and abs(f.z) > 2)
    excess = binomial_test_p(len(flagged), len(tested), 0.0455) if tested else 1.0
    if tested and len(flagged) <= 0.0455 * len(tested):
        excess = 1.0  # only an excess counts as evidence
    return PositionAudit(
        mean_residual_a=float(e.mean()) if e.size else 0.0,
        z=z,
        p_value=p_value,
        effects=tuple(effects),
        flagged=flagged,
        excess_p=excess,
    )
