"""Bradley–Terry scores of new essays linked to a locked scale (some θ fixed).

The anchors' θ (and optionally the slot effect b) come from an earlier fit and stay fixed;
only the free items' θ are estimated from comparisons that involve at least one free item.
The likelihood is a logistic regression with an offset, maximised by Newton's method on the
dense information matrix (free items only: a few thousand at most).  No centring: the
fixed scores set the origin.  A free item without a win or without a loss has no finite
MLE; then a ridge (λ/2)‖θ_free‖² (``DEFAULT_RIDGE`` unless given) keeps it finite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from eng5_runner.stats.bt import DEFAULT_RIDGE

FloatArray = NDArray[np.float64]

__all__ = ["LinkedFit", "fit_linked"]


@dataclass(frozen=True, eq=False)
class LinkedFit:
    """θ for every item (fixed ones as given), SEs (0 for fixed items), and b."""

    theta: FloatArray
    se: FloatArray
    slot_effect: float | None
    slot_effect_se: float | None
    ridge: float
    converged: bool


def _expit(x: FloatArray) -> FloatArray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def fit_linked(
    fixed_theta: ArrayLike,
    slot_a: ArrayLike,
    slot_b: ArrayLike,
    slot_a_outcome: ArrayLike,
    *,
    fixed_slot_effect: float | None = 0.0,
    ridge: float | None = None,
) -> LinkedFit:
    """Fit the free items (``fixed_theta`` is nan for them) to comparisons slot A vs B.

    ``slot_a_outcome[k]`` is slot A's share of comparison k (1 = A won).  With
    ``fixed_slot_effect=None`` the slot effect b is estimated too (unpenalised).
    """
    fixed = np.asarray(fixed_theta, dtype=np.float64)
    a = np.asarray(slot_a, dtype=np.int64)
    b = np.asarray(slot_b, dtype=np.int64)
    y = np.asarray(slot_a_outcome, dtype=np.float64)
    free = np.flatnonzero(np.isnan(fixed))
    column = np.full(fixed.size, -1, dtype=np.int64)
    column[free] = np.arange(free.size)
    fit_b = fixed_slot_effect is None
    p = free.size + (1 if fit_b else 0)
    m = a.size
    design = np.zeros((m, p))
    rows = np.arange(m)
    ca, cb = column[a], column[b]
    np.add.at(design, (rows[ca >= 0], ca[ca >= 0]), 1.0)
    np.add.at(design, (rows[cb >= 0], cb[cb >= 0]), -1.0)
    if fit_b:
        design[:, -1] = 1.0
    known = np.where(np.isnan(fixed), 0.0, fixed)
    offset = known[a] - known[b] + (0.0 if fit_b else float(fixed_slot_effect or 0.0))
    credit = np.where(design[:, : free.size] > 0, y[:, None], 1.0 - y[:, None])
    involved = design[:, : free.size] != 0
    wins = (credit * involved).sum(axis=0)
    games = involved.sum(axis=0)
    separable = bool(np.any((wins <= 0) | (wins >= games)))
    lam = float(ridge) if ridge is not None else (DEFAULT_RIDGE if separable else 0.0)
    penalty = np.full(p, lam)
    if fit_b:
        penalty[-1] = 0.0
    z = np.zeros(p)
    converged = False
    for _ in range(100):
        x = offset + design @ z
        prob = _expit(x)
        grad = design.T @ (y - prob) - penalty * z
        if float(np.abs(grad).max(initial=0.0)) < 1e-9 * max(1.0, m):
            converged = True
            break
        weights = prob * (1.0 - prob)
        info = design.T @ (design * weights[:, None]) + np.diag(penalty)
        step = np.linalg.lstsq(info, grad, rcond=None)[0]
        step *= min(1.0, 5.0 / max(float(np.abs(step).max(initial=0.0)), 1e-300))  # damped
        z = z + step
        if float(np.abs(step).max(initial=0.0)) < 1e-12:
            converged = True
            break
    prob = _expit(offset + design @ z)
    weights = prob * (1.0 - prob)
    info = design.T @ (design * weights[:, None]) + np.diag(penalty)
    cov = np.linalg.pinv(info) if p else np.zeros((0, 0))
    theta = known.copy()
    theta[free] = z[: free.size]
    se = np.zeros(fixed.size)
    se[free] = np.sqrt(np.maximum(np.diag(cov)[: free.size], 0.0))
    b_hat = float(z[-1]) if fit_b else fixed_slot_effect
    b_se = math.sqrt(max(float(cov[-1, -1]), 0.0)) if fit_b and p else None
    return LinkedFit(theta, se, b_hat, b_se, lam, converged)
