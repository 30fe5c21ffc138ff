"""Bradley–Terry fit: MLE when it exists, else ridge-penalised; Newton with sparse solves.

Model: P(i beats j) = σ(θᵢ − θⱼ), scores centred (Σθ = 0).  See METRICS.md "Bradley–Terry".

Algorithm
    Comparisons are aggregated to unique unordered pairs (one ``np.unique``), then
    Newton's method with an Armijo line search maximises ℓ(θ) − (λ/2)‖θ‖².  Each step
    solves (L + λI + αP) Δ = ∇ with L the weighted Laplacian (the Fisher information) and
    P = 11ᵀ/n (α > 0 only fixes the gauge; the right-hand side is orthogonal to 1): a dense
    numpy solve for n ≤ ``DENSE_SOLVE_MAX_ITEMS``, otherwise Jacobi-preconditioned conjugate
    gradients on a CSR matrix built once.

Position model and soft outcomes
    ``position_model="global"`` adds a slot-A effect b: P(slot A wins) = σ(θ_A − θ_B + b).
    Comparisons are then aggregated to *ordered* (slot A, slot B) pairs for the likelihood,
    and merged to unordered pairs for the graph and the information matrix.  Each Newton
    step borders K with the θ–b information c and d = Σh and solves by the Schur
    complement s = d − cᵀK⁻¹c (two solves with K, dense or CG); b is unpenalised.  SEs:
    Var(b̂) = 1/s and Var(θ̂) = diag(C K⁺ C) + (K⁺c)²/s.  ``outcomes`` (soft wins in
    [0, 1]) only change the aggregated win counts.

Imports
    Up to ``DENSE_SOLVE_MAX_ITEMS`` items everything is numpy (strong components by an
    iterative Tarjan, dense solves and standard errors with ``numpy.linalg``); scipy's
    sparse, csgraph, sparse.linalg and linalg modules (≈0.5 s to import) are loaded only on
    the large-n paths, where they pay off.

Standard errors
    sqrt(diag(C·(L + λI)⁺·C)), C = I − 11ᵀ/n (for λ = 0: diag of the pseudo-inverse L⁺).
    Exact (dense Cholesky, O(n³)) for n ≤ ``DENSE_SE_MAX_ITEMS``.  Above that, a deflated
    Neumann-series approximation costing O(comparisons) (``_bt_se.se_series``), used only when the
    normalised information matrix has a spectral gap (second eigenvalue ≤ ``MIXING_LIMIT``,
    checked with a few Lanczos steps); otherwise exact again up to
    ``DENSE_SE_HARD_MAX_ITEMS``.  Against exact values on random designs the largest
    relative SE error was 0.02 % at 100 comparisons per item, 0.2 % at 20 and 0.7–1.6 %
    at 5–10 (it errs low); clustered designs fail the mixing check and get exact SEs.
"""

from __future__ import annotations

import math
import operator
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from eng5_runner.stats._bt_linalg import FloatArray, IntArray
from eng5_runner.stats._bt_linalg import Pairs as _Pairs
from eng5_runner.stats._bt_linalg import System as _System
from eng5_runner.stats._bt_linalg import aggregate as _aggregate
from eng5_runner.stats._bt_linalg import sum_at as _sum_at
from eng5_runner.stats._bt_linalg import unordered as _unordered
from eng5_runner.stats._bt_se import se_dense as _se_dense
from eng5_runner.stats._bt_se import se_series as _se_series
from eng5_runner.stats._bt_se import second_eigenvalue as _second_eigenvalue
from eng5_runner.stats._dist import norm_ppf
from eng5_runner.stats._graph import count_strong_components as _count_strong_components
from eng5_runner.stats._graph import count_strong_components_sparse

SEMethod = Literal["auto", "exact", "approx"]
PositionModel = Literal["none", "global"]

#: λ used when ``ridge=None`` and the MLE does not exist.  The penalty is a N(0, 1/λ) prior
#: on each score: 0.1 means a prior SD of ≈3.2 logits, wide next to the usual spread of
#: essay scores (a few logits), so well-determined scores barely move, while an essay with
#: no wins (or no losses) lands a few logits below (above) its opponents instead of at ∓∞.
DEFAULT_RIDGE = 0.1
#: Largest n solved densely inside Newton (faster than CG for small n); up to this n the
#: fit also uses only numpy (no scipy import).
DENSE_SOLVE_MAX_ITEMS = 500
#: Largest n for which ``se_method="auto"`` computes exact SEs by dense Cholesky
#: (≈0.5 s and 72 MB at 3000 items; cost grows as n³ and memory as n²).
DENSE_SE_MAX_ITEMS = 3000
#: Exact fallback limit for poorly mixing graphs above ``DENSE_SE_MAX_ITEMS`` (3.2 GB).
DENSE_SE_HARD_MAX_ITEMS = 20000
#: The series approximation is used only if the second eigenvalue (in modulus) of the
#: normalised information matrix is at most this; measured SE error then ≲ 2 %.
MIXING_LIMIT = 0.75

_GTOL = 1e-9  # gradient sup-norm tolerance (per comparison scale)
_MAX_NEWTON = 100


class BTNotIdentifiable(ValueError):
    """``ridge=0`` was asked for but the MLE does not exist (graph not strongly connected)."""


@dataclass(frozen=True, eq=False)
class BTFit:
    """A fitted Bradley–Terry model (arrays are read-only).

    ``theta``/``se``: centred scores (logits) and standard errors, always finite.
    ``loglik``: the *unpenalised* log-likelihood at ``theta``.  ``regularised``: the
    penalised fit was used (``ridge`` is its λ; 0.0 for the MLE).  ``n_components``: strongly
    connected components of the "beat" graph (1 ⇔ the MLE exists).  ``zero_win_items`` /
    ``zero_loss_items``: items without wins / losses (an item never compared is in both and
    in ``isolated_items``; under a ridge it gets θ = 0).  ``se_method``: "exact" or "approx".
    """

    theta: FloatArray
    se: FloatArray
    loglik: float
    regularised: bool
    ridge: float
    n_components: int
    zero_win_items: tuple[int, ...]
    zero_loss_items: tuple[int, ...]
    isolated_items: tuple[int, ...] = ()
    se_method: str = "exact"
    iterations: int = 0
    converged: bool = True
    position_model: str = "none"
    slot_effect: float | None = None
    """b in P(slot A wins) = σ(θ_A − θ_B + b); None without the position model or when
    it cannot be estimated (``slot_effect_note`` says why)."""
    slot_effect_se: float | None = None
    slot_effect_note: str | None = None

    def slot_effect_interval(self, confidence: float = 0.95) -> tuple[float, float] | None:
        """Wald interval b ± z·SE, or None when b was not fitted."""
        if self.slot_effect is None or self.slot_effect_se is None:
            return None
        z = norm_ppf(0.5 + confidence / 2)
        half = z * self.slot_effect_se
        return self.slot_effect - half, self.slot_effect + half

    def interval(self, confidence: float = 0.95) -> tuple[FloatArray, FloatArray]:
        """Wald interval θ ± z·SE for each item."""
        z = norm_ppf(0.5 + confidence / 2)
        return self.theta - z * self.se, self.theta + z * self.se


def _expit(x: FloatArray) -> FloatArray:
    """σ(x) = 1 / (1 + e⁻ˣ), the formula of ``scipy.special.expit`` (0 once e⁻ˣ overflows)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def fit_bradley_terry(
    n_items: int,
    winners: ArrayLike,
    losers: ArrayLike,
    *,
    ridge: float | None = None,
    se_method: SEMethod = "auto",
    position_model: PositionModel = "none",
    winner_in_slot_a: ArrayLike | None = None,
    outcomes: ArrayLike | None = None,
) -> BTFit:
    """Fit BT scores to comparisons ``winners[k]`` beat ``losers[k]`` (0-based indices).

    ``ridge=None``: the MLE if the beat graph is strongly connected, else the penalised
    fit with λ = ``DEFAULT_RIDGE``.  ``ridge > 0``: always the penalised fit
    ℓ(θ) − (λ/2)‖θ‖².  ``ridge=0``: the MLE, or :class:`BTNotIdentifiable`.
    ``se_method``: "auto" (exact up to ``DENSE_SE_MAX_ITEMS``), "exact" (dense, O(n³)
    time and 8n² bytes) or "approx" (series approximation at any n).

    ``position_model="global"`` fits P(slot A wins) = σ(θ_A − θ_B + b) with b jointly
    (unpenalised; the ridge applies to θ only); ``winner_in_slot_a[k]`` says whether
    ``winners[k]`` was in slot A.  ``outcomes[k]`` in [0, 1] is the share of comparison k
    credited to ``winners[k]`` (soft outcomes; default 1 = a clear win).
    """
    n = operator.index(n_items)
    if n < 0:
        raise ValueError(f"n_items must be >= 0, got {n_items}")
    if ridge is not None and not (math.isfinite(ridge) and ridge >= 0):
        raise ValueError(f"ridge must be None or a finite number >= 0, got {ridge}")
    if se_method not in ("auto", "exact", "approx"):
        raise ValueError(f"se_method must be 'auto', 'exact' or 'approx', got {se_method!r}")
    if position_model not in ("none", "global"):
        raise ValueError(f"position_model must be 'none' or 'global', got {position_model!r}")
    w = as_index_array(winners, "winners", n)
    lo = as_index_array(losers, "losers", n)
    if w.shape != lo.shape:
        raise ValueError(f"winners and losers differ in length ({w.size} vs {lo.size})")
    if np.any(w == lo):
        raise ValueError(f"an item cannot be compared with itself (index {int(w[w == lo][0])})")
    y = _soft_outcomes(outcomes, w.size)
    slot_a_item = _slot_a_items(position_model, winner_in_slot_a, w, lo)
    if n == 0:
        return BTFit(_frozen(np.zeros(0)), _frozen(np.zeros(0)), 0.0, False, 0.0, 0, (), ())
    design = _design(n, w, lo, y, slot_a_item)
    pairs = design.pairs
    n_comp = _strong_components(pairs)
    h0 = pairs.degree(pairs.total)
    wins = _sum_at(pairs.a, pairs.a_wins, n) + _sum_at(pairs.b, pairs.total - pairs.a_wins, n)
    zero_win = tuple(int(i) for i in np.flatnonzero(wins <= 0))
    zero_loss = tuple(int(i) for i in np.flatnonzero(h0 - wins <= 0))
    isolated = tuple(int(i) for i in np.flatnonzero(h0 == 0))
    identifiable = n_comp <= 1
    if ridge == 0 and not identifiable:
        raise BTNotIdentifiable(
            f"the Bradley–Terry MLE does not exist: the win graph has {n_comp} strongly "
            f"connected components (zero-win items {_preview(zero_win)}, zero-loss items "
            f"{_preview(zero_loss)}); pass ridge > 0 or ridge=None for a penalised fit"
        )
    if ridge is not None and ridge > 0:
        lam = float(ridge)
    else:
        lam = 0.0 if identifiable else DEFAULT_RIDGE
    system = _System(pairs, lam, dense=n <= DENSE_SOLVE_MAX_ITEMS)
    note = _slot_effect_problem(design)
    if note is None:
        try:
            theta, b, iterations, converged = _newton(design, system)
        except _Confounded:
            note = _CONFOUNDED
        else:
            if not converged:
                note = "the fit with a slot effect did not converge (the slot effect diverges)"
    if note is None:
        se, b_se, used = _standard_errors(design, system, theta, b, se_method)
        if design.ordered is not None and b_se is None:
            note = _CONFOUNDED
    if note is not None:  # no position term: the plain model
        design = _Design(pairs)
        theta, b, iterations, converged = _newton(design, system)
        se, b_se, used = _standard_errors(design, system, theta, b, se_method)
    fitted_b = design.ordered is not None and b_se is not None
    return BTFit(
        theta=_frozen(theta),
        se=_frozen(se),
        loglik=design.lik.loglik(design.lik.diff(theta) + b),
        regularised=lam > 0,
        ridge=lam,
        n_components=n_comp,
        zero_win_items=zero_win,
        zero_loss_items=zero_loss,
        isolated_items=isolated,
        se_method=used,
        iterations=iterations,
        converged=converged,
        position_model=position_model,
        slot_effect=float(b) if fitted_b else None,
        slot_effect_se=b_se if fitted_b else None,
        slot_effect_note=note if position_model == "global" else None,
    )


@dataclass(frozen=True)
class _Design:
    """Unordered pairs (graph, information matrix) and, for the position model, the
    slot-ordered pairs the likelihood is written on, with each one's unordered index."""

    pairs: _Pairs
    ordered: _Pairs | None = None
    to_unordered: IntArray | None = None

    @property
    def lik(self) -> _Pairs:
        return self.pairs if self.ordered is None else self.ordered

    def merged(self, h: FloatArray) -> FloatArray:
        """Per-ordered-pair weights summed per unordered pair."""
        if self.to_unordered is None:
            return h
        return _sum_at(self.to_unordered, h, self.pairs.a.size)

    def border(self, h: FloatArray) -> tuple[FloatArray, float]:
        """(c, d): the θ–b and b–b blocks of the information (c ⟂ 1)."""
        p = self.lik
        c = _sum_at(p.a, h, p.n) - _sum_at(p.b, h, p.n)
        return c - c.mean(), float(h.sum())


def _design(
    n: int, w: IntArray, lo: IntArray, y: FloatArray | None, slot_a_item: IntArray | None
) -> _Design:
    if slot_a_item is None:
        return _Design(_aggregate(n, w, lo, y))
    ordered = _aggregate(n, w, lo, y, slot_a_item)
    pairs, index = _unordered(ordered)
    return _Design(pairs, ordered, index)


def _soft_outcomes(outcomes: ArrayLike | None, size: int) -> FloatArray | None:
    if outcomes is None:
        return None
    y = np.asarray(outcomes, dtype=np.float64).reshape(-1)
    if y.size != size:
        raise ValueError(f"outcomes has {y.size} values for {size} comparisons")
    if not bool(np.all(np.isfinite(y) & (y >= 0) & (y <= 1))):
        raise ValueError("outcomes must lie in [0, 1]")
    return y


def _slot_a_items(
    model: PositionModel, in_a: ArrayLike | None, w: IntArray, lo: IntArray
) -> IntArray | None:
    """The slot-A item of each comparison (position model only)."""
    if model == "none":
        return None
    if in_a is None:
        raise ValueError("position_model='global' needs winner_in_slot_a")
    flags = np.asarray(in_a).reshape(-1)
    if flags.size != w.size:
        raise ValueError(f"winner_in_slot_a has {flags.size} values for {w.size} comparisons")
    return np.where(flags.astype(bool), w, lo)


def _slot_effect_problem(d: _Design) -> str | None:
    """Why b cannot be estimated from this design, or None."""
    p = d.ordered
    if p is None:
        return None
    if p.total.size == 0:
        return "no comparisons"
    share = float(p.a_wins.sum() / p.total.sum())
    if share <= 0.0 or share >= 1.0:
        return "every comparison was won by the same slot: the slot effect is infinite"
    return None


_CONFOUNDED = "slot order is confounded with the essays (each keeps one slot)"


class _Confounded(ArithmeticError):
    """The slot effect cannot be told apart from the scores in this design."""


def _frozen(arr: FloatArray) -> FloatArray:
    arr.setflags(write=False)
    return arr


def _preview(items: tuple[int, ...], limit: int = 10) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return f"[{shown}{', …' if len(items) > limit else ''}]"


def as_index_array(values: ArrayLike, name: str, n_items: int) -> IntArray:
    """``values`` as a 1-D int64 array of indices in [0, n_items); ValueError otherwise."""
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    integral = arr.dtype.kind in "iu" or (
        arr.dtype.kind == "f" and bool(np.all(np.isfinite(arr) & (arr == np.round(arr))))
    )
    if not integral:
        raise ValueError(f"{name} must hold integer item indices")
    out = arr.astype(np.int64)
    bad = (out < 0) | (out >= n_items)
    if bad.any():
        raise ValueError(
            f"{name} holds index {int(out[bad][0])} outside 0..{n_items - 1} (n_items={n_items})"
        )
    return out


def _strong_components(p: _Pairs) -> int:
    if p.n == 0:
        return 0
    fwd = p.a_wins > 0  # a beat b at least once: edge a → b
    back = p.a_wins < p.total  # b beat a: edge b → a
    rows = np.concatenate([p.a[fwd], p.b[back]])
    cols = np.concatenate([p.b[fwd], p.a[back]])
    if p.n <= DENSE_SOLVE_MAX_ITEMS:
        return _count_strong_components(p.n, rows, cols)
    return count_strong_components_sparse(p.n, rows, cols)


def _hessian_weights(p: _Pairs, x: FloatArray) -> FloatArray:
    prob = _expit(x)
    return p.total * prob * (1.0 - prob)


def _bordered_solve(
    d: _Design, s: _System, h: FloatArray, g: FloatArray, gb: float, rtol: float
) -> tuple[FloatArray, float]:
    """Newton step (Δθ, Δb) for the information [[K, c], [cᵀ, d]] by the Schur complement."""
    c, dd = d.border(h)
    u = s.solve(g, rtol=rtol)
    v = s.solve(c, rtol=rtol)
    schur = dd - float(c @ v)
    if not schur > 1e-9 * max(dd, 1e-300):
        raise _Confounded
    db = (gb - float(c @ u)) / schur
    return u - v * db, db


def _newton(d: _Design, s: _System) -> tuple[FloatArray, float, int, bool]:
    """Maximise ℓ(θ, b) − (λ/2)‖θ‖² from 0; returns (θ centred, b, iterations, converged).

    b stays 0 without the position model.
    """
    lam = s.lam
    p = d.lik
    fit_b = d.ordered is not None
    theta = np.zeros(p.n)
    b = 0.0
    if p.total.size == 0:
        return theta, b, 0, True
    gtol = _GTOL * max(1.0, float(p.total.max()))
    x = p.diff(theta)
    f = p.loglik(x)
    g0norm = 0.0
    for it in range(1, _MAX_NEWTON + 1):
        prob = _expit(x)
        r = p.a_wins - p.total * prob
        g = _sum_at(p.a, r, p.n) - _sum_at(p.b, r, p.n) - lam * theta
        g -= g.mean()  # zero in exact arithmetic (θ is kept centred)
        gb = float(r.sum()) if fit_b else 0.0
        gnorm = max(float(np.abs(g).max()), abs(gb))
        if gnorm <= gtol:
            return theta, b, it - 1, True
        g0norm = g0norm or gnorm
        h = p.total * prob * (1.0 - prob)
        s.update(d.merged(h))
        rtol = max(1e-12, min(0.1, gnorm / g0norm))
        if fit_b:
            step, db = _bordered_solve(d, s, h, g, gb, rtol)
        else:
            step, db = s.solve(g, rtol=rtol), 0.0
        dx = p.diff(step) + db
        slope = float(g @ step) + gb * db
        noise = 1e-13 * (1.0 + abs(f))  # objective round-off: accept steps within it
        t = 1.0
        for _ in range(50):  # Armijo backtracking on the concave objective
            cand = theta + t * step
            f_new = p.loglik(x + t * dx) - 0.5 * lam * float(cand @ cand)
            if f_new >= f + 1e-4 * t * slope - noise:
                break
            t *= 0.5
        else:
            return theta, b, it, False
        theta, b, x, f = cand - cand.mean(), b + t * db, x + t * dx, f_new
        size = max(float(np.abs(t * step).max()), abs(t * db))
        if size < 1e-13 * max(1.0, float(np.abs(theta).max()), abs(b)):
            return theta, b, it, True
    return theta, b, _MAX_NEWTON, False


def _standard_errors(
    d: _Design, s: _System, theta: FloatArray, b: float, method: SEMethod
) -> tuple[FloatArray, float | None, str]:
    """SEs of θ̂ (and of b̂ for the position model) and the method used; see the docstring.

    With b, the covariance of θ is K⁺ + (K⁺c)(K⁺c)ᵀ/s and Var(b̂) = 1/s, s = d − cᵀK⁺c
    (the inverse of the bordered information matrix).
    """
    n = s.n
    if n <= 1:
        return np.zeros(n), None, "exact"
    h = _hessian_weights(d.lik, d.lik.diff(theta) + b)
    s.update(d.merged(h))
    se, used = _theta_standard_errors(s, method)
    if d.ordered is None:
        return se, None, used
    c, dd = d.border(h)
    v = s.solve(c, rtol=1e-10)
    schur = dd - float(c @ v)
    if not schur > 1e-9 * max(dd, 1e-300):
        return se, None, used
    return np.sqrt(se * se + v * v / schur), math.sqrt(1.0 / schur), used


def _theta_standard_errors(s: _System, method: SEMethod) -> tuple[FloatArray, str]:
    n = s.n
    if method == "exact" or (method == "auto" and n <= DENSE_SE_MAX_ITEMS):
        return _se_dense(s), "exact"
    if method == "auto" and _second_eigenvalue(s) > MIXING_LIMIT:
        if n <= DENSE_SE_HARD_MAX_ITEMS:
            return _se_dense(s), "exact"
        warnings.warn(
            f"the comparison graph mixes poorly and {n} items are too many for exact "
            "standard errors; the approximate SEs may be too small",
            RuntimeWarning,
            stacklevel=4,
        )
    return _se_series(s), "approx"
