"""Many Bradley–Terry fits at once: one fit per row of a weight matrix (bootstrap refits).

Every resample of a bootstrap re-weights the same unordered pairs, so the fits share one
pair structure and differ only in the per-pair counts ``total[b, p]`` / ``a_wins[b, p]``.
:func:`fit_many` runs Newton's method on all rows together (numpy, no Python loop over
resamples): for up to :data:`DENSE_MAX_ITEMS` items each step is a batched dense solve;
above that a batched Jacobi-preconditioned conjugate-gradient solve whose matrix-vector
products are two sparse scatters over the pairs.  Each row follows the rule of
:func:`~eng5_runner.stats.bt.fit_bradley_terry`: the MLE where the row's beat graph is
strongly connected, else the ridge ``DEFAULT_RIDGE`` (or always the caller's λ > 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from eng5_runner.stats.bt import DEFAULT_RIDGE

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Up to this many items every Newton step is a batched dense solve (n³ per resample).
DENSE_MAX_ITEMS = 64
#: Strong connectivity is checked by boolean matrix closure up to this n, else by scipy.
CLOSURE_MAX_ITEMS = 64
_GTOL = 1e-9
_MAX_NEWTON = 60
#: A row fitting a slot effect whose |θ_a − θ_b + b| passes this has no finite joint
#: estimate (θ and b run off together); it gives up on b and is refitted plain.
_DIVERGED = 30.0
_CHUNK_CELLS = 1 << 22  # B·n² cells per dense chunk (≈32 MB of float64)


@dataclass(frozen=True)
class PairDesign:
    """Unique unordered pairs a < b of one run's comparisons."""

    n: int
    a: IntArray
    b: IntArray


@dataclass(frozen=True)
class ManyFits:
    """Row b of ``theta`` is the centred BT fit to weight row b."""

    theta: FloatArray
    ridge: FloatArray
    converged: NDArray[np.bool_]
    slot_effect: FloatArray
    """b of each row (``slot_effect=True``); NaN where the row fell back to the plain model."""


def _expit(x: FloatArray) -> FloatArray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def _log_sigmoid(x: FloatArray) -> FloatArray:
    return -(np.maximum(-x, 0.0) + np.log1p(np.exp(-np.abs(x))))


class _Scatter:
    """Σ over pairs into items: out[:, i] = Σ_{p: a_p = i} r[:, p] − Σ_{p: b_p = i} r[:, p]."""

    def __init__(self, d: PairDesign, *, signed: bool) -> None:
        self.n, self.sign = d.n, -1.0 if signed else 1.0
        self.a, self.b = d.a, d.b
        self.sparse = d.n > DENSE_MAX_ITEMS
        if self.sparse:
            import scipy.sparse as sp

            m = d.a.size
            rows = np.concatenate([d.a, d.b])
            cols = np.concatenate([np.arange(m), np.arange(m)])
            vals = np.concatenate([np.ones(m), np.full(m, self.sign)])
            self.matrix = sp.csr_matrix((vals, (rows, cols)), shape=(d.n, m))
        else:
            dense = np.zeros((d.a.size, d.n))
            dense[np.arange(d.a.size), d.a] = 1.0
            dense[np.arange(d.a.size), d.b] += self.sign
            self.dense = dense

    def transposed(self, r: FloatArray) -> FloatArray:
        """The scatter in the (pairs × rows) → (items × rows) layout (sparse case)."""
        return np.asarray(self.matrix @ r)

    def __call__(self, r: FloatArray) -> FloatArray:
        if self.sparse:
            return np.asarray((self.matrix @ r.T).T)
        return np.asarray(r @ self.dense)


def strongly_connected(
    d: PairDesign, forward: FloatArray, backward: FloatArray
) -> NDArray[np.bool_]:
    """Per row: is the beat graph (a → b where ``forward`` > 0, b → a where ``backward`` > 0)
    strongly connected?"""
    rows, n = forward.shape[0], d.n
    if n <= 1:
        return np.ones(rows, dtype=bool)
    if n <= CLOSURE_MAX_ITEMS:
        reach = np.zeros((rows, n, n), dtype=np.float32)
        reach[:, np.arange(n), np.arange(n)] = 1.0
        reach[:, d.a, d.b] = np.maximum(reach[:, d.a, d.b], forward > 0)
        reach[:, d.b, d.a] = np.maximum(reach[:, d.b, d.a], backward > 0)
        for _ in range(int(np.ceil(np.log2(n))) + 1):
            reach = np.minimum(reach @ reach, 1.0)
        return np.asarray(reach.min(axis=(1, 2)) > 0)
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    offsets = (np.arange(rows) * n)[:, None]
    fr, fc = np.nonzero(forward > 0)
    br, bc = np.nonzero(backward > 0)
    src = np.concatenate([offsets[fr, 0] + d.a[fc], offsets[br, 0] + d.b[bc]])
    dst = np.concatenate([offsets[fr, 0] + d.b[fc], offsets[br, 0] + d.a[bc]])
    graph = sp.csr_matrix((np.ones(src.size), (src, dst)), shape=(rows * n, rows * n))
    _, labels = connected_components(graph, directed=True, connection="strong")
    per_row = np.sort(labels.reshape(rows, n), axis=1)
    return np.asarray((per_row[:, 1:] != per_row[:, :-1]).sum(axis=1) == 0)


def fit_many(
    d: PairDesign,
    total: FloatArray,
    a_wins: FloatArray,
    *,
    ridge: float | None = None,
    start: FloatArray | None = None,
    slot_effect: bool = False,
    start_b: float = 0.0,
) -> ManyFits:
    """Fit every row of (``total``, ``a_wins``), each of shape (rows, pairs).

    ``ridge=None`` or 0: per row the MLE when it exists, else ``DEFAULT_RIDGE`` (a resample
    cannot be refused, so ``ridge=0`` falls back to the default penalty too); ``ridge > 0``:
    that λ for every row.  ``start`` (n,) warm-starts Newton (e.g. the full-data fit).

    ``slot_effect``: the pairs are *ordered* (``a`` = the slot-A item, ``a_wins`` its share)
    and each row also fits the unpenalised slot effect b of P(slot A wins) = σ(θ_a − θ_b + b),
    warm-started at ``start_b``.  As in ``fit_bradley_terry``, a row falls back to the plain
    model (b = NaN) when one slot won everything, b is confounded with θ, or its fit with b
    does not converge.
    """
    rows, n = total.shape[0], d.n
    if ridge is not None and ridge > 0:
        lam = np.full(rows, float(ridge))
    else:
        ok = strongly_connected(d, a_wins, total - a_wins)
        lam = np.where(ok, 0.0, DEFAULT_RIDGE)
    theta = np.zeros((rows, n)) if start is None else np.tile(np.asarray(start, float), (rows, 1))
    theta -= theta.mean(axis=1, keepdims=True)
    if n <= 1 or total.shape[1] == 0:
        return ManyFits(np.zeros((rows, n)), lam, np.ones(rows, dtype=bool), np.full(rows, np.nan))
    fit_b = np.zeros(rows, dtype=bool)
    if slot_effect:
        count = total.sum(axis=1)
        share = a_wins.sum(axis=1) / np.where(count > 0, count, 1.0)
        fit_b = (count > 0) & (share > 0.0) & (share < 1.0)
    b = np.where(fit_b, float(start_b), 0.0)
    start_theta = theta.copy()
    theta, b, done, fit_b = _newton_many(d, total, a_wins, lam, theta, b, fit_b)
    retry = np.flatnonzero(fit_b & ~done)  # as the single fit: no convergence with b → plain
    if retry.size:
        no_b = np.zeros(retry.size, dtype=bool)
        th, _, ok_plain, _ = _newton_many(
            d,
            total[retry],
            a_wins[retry],
            lam[retry],
            start_theta[retry],
            np.zeros(retry.size),
            no_b,
        )
        theta[retry], b[retry], done[retry], fit_b[retry] = th, 0.0, ok_plain, False
    centred = theta - theta.mean(axis=1, keepdims=True)
    return ManyFits(centred, lam, done, np.where(fit_b, b, np.nan))


def _newton_many(
    d: PairDesign,
    total: FloatArray,
    a_wins: FloatArray,
    lam: FloatArray,
    theta: FloatArray,
    b: FloatArray,
    fit_b: NDArray[np.bool_],
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_], NDArray[np.bool_]]:
    """Newton on every row together; returns (θ, b, converged, b fitted)."""
    rows, n = total.shape[0], d.n
    theta, b, fit_b = theta.copy(), b.copy(), fit_b.copy()
    scatter = _Scatter(d, signed=True)
    degree = _Scatter(d, signed=False)
    gtol = _GTOL * max(1.0, float(total.max()))
    done = np.zeros(rows, dtype=bool)
    gave_up = np.zeros(rows, dtype=bool)
    g0 = np.zeros(rows)
    x = theta[:, d.a] - theta[:, d.b] + b[:, None]
    f = _objective(total, a_wins, x, theta, lam)
    for _ in range(_MAX_NEWTON):
        gave_up |= ~done & (~np.isfinite(f) | (fit_b & (np.abs(x).max(axis=1) > _DIVERGED)))
        idx = np.flatnonzero(~done & ~gave_up)  # rows still moving: the arrays below are theirs
        if idx.size == 0:
            break
        tot, won, lam_i, th, xi = total[idx], a_wins[idx], lam[idx], theta[idx], x[idx]
        prob = _expit(xi)
        r = won - tot * prob
        g = scatter(r) - lam_i[:, None] * th
        g -= g.mean(axis=1, keepdims=True)
        gb = np.where(fit_b[idx], r.sum(axis=1), 0.0)
        gnorm = np.maximum(np.abs(g).max(axis=1), np.abs(gb))
        finished = gnorm <= gtol
        done[idx[finished]] = True
        if finished.all():
            break
        keep = ~finished
        idx, tot, won, lam_i, th, xi = (
            idx[keep],
            tot[keep],
            won[keep],
            lam_i[keep],
            th[keep],
            xi[keep],
        )
        g, gb, gnorm, prob = g[keep], gb[keep], gnorm[keep], prob[keep]
        h = tot * prob * (1.0 - prob)
        deg = degree(h)
        alpha = deg.mean(axis=1) + lam_i + 1.0 / n
        with_b = fit_b[idx]
        c = scatter(h) * with_b[:, None]  # θ–b block of the information (0 without b)
        c -= c.mean(axis=1, keepdims=True)
        rhs = np.concatenate([g, c[with_b]])  # K u = g for every row, K v = c for rows with b
        rows_of = np.concatenate([np.arange(idx.size), np.flatnonzero(with_b)])
        if n <= DENSE_MAX_ITEMS:
            sol = _dense_solve(d, h[rows_of], deg[rows_of], lam_i[rows_of], alpha[rows_of], rhs)
        else:
            g0[idx] = np.where(g0[idx] > 0, g0[idx], gnorm)
            rtol = np.clip(gnorm / g0[idx], 1e-10, 0.1)[rows_of]
            sol = _cg_solve(
                d, scatter, h[rows_of], deg[rows_of], lam_i[rows_of], alpha[rows_of], rhs, rtol
            )
        step = sol[: idx.size]
        bad = np.asarray(~np.isfinite(step).all(axis=1), dtype=bool)  # singular: row stops
        if with_b.any():
            bad[with_b] |= ~np.isfinite(sol[idx.size :]).all(axis=1)
        if bad.any():
            gave_up[idx[bad]] = True
            step = np.where(bad[:, None], 0.0, step)
            sol = np.where(np.isfinite(sol), sol, 0.0)
        db = np.zeros(idx.size)
        if with_b.any():
            u, v, cb = step[with_b], sol[idx.size :], c[with_b]
            dd = h[with_b].sum(axis=1)
            schur = dd - (cb * v).sum(axis=1)
            estimable = schur > 1e-9 * np.maximum(dd, 1e-300)
            dbb = np.where(
                estimable,
                (gb[with_b] - (cb * u).sum(axis=1)) / np.where(estimable, schur, 1.0),
                0.0,
            )
            step[with_b] = u - v * dbb[:, None]
            db[with_b] = dbb
            lost = idx[with_b][~estimable]  # confounded: this row continues without b
            if lost.size:
                fit_b[lost], b[lost] = False, 0.0
                lost_rows = np.isin(idx, lost)
                xi[lost_rows] = th[lost_rows][:, d.a] - th[lost_rows][:, d.b]
                gb[lost_rows] = 0.0
                f[lost] = _objective(
                    tot[lost_rows], won[lost_rows], xi[lost_rows], th[lost_rows], lam_i[lost_rows]
                )
        theta[idx], b[idx], x[idx], f[idx] = _line_search(
            d, tot, won, th, b[idx], xi, f[idx], lam_i, g, gb, step, db
        )
    return theta, b, done, fit_b


def _objective(
    total: FloatArray, a_wins: FloatArray, x: FloatArray, theta: FloatArray, lam: FloatArray
) -> FloatArray:
    ll = (total * _log_sigmoid(x)).sum(axis=1) - ((total - a_wins) * x).sum(axis=1)
    return np.asarray(ll - 0.5 * lam * (theta * theta).sum(axis=1))


def _line_search(
    d: PairDesign,
    total: FloatArray,
    a_wins: FloatArray,
    theta: FloatArray,
    b: FloatArray,
    x: FloatArray,
    f: FloatArray,
    lam: FloatArray,
    g: FloatArray,
    gb: FloatArray,
    step: FloatArray,
    db: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Armijo backtracking per row on the concave objective (rows move independently)."""
    dx = step[:, d.a] - step[:, d.b] + db[:, None]
    slope = (g * step).sum(axis=1) + gb * db
    t = np.ones(theta.shape[0])
    pending = np.ones(theta.shape[0], dtype=bool)
    new_theta, new_b, new_x, new_f = theta.copy(), b.copy(), x.copy(), f.copy()
    for _ in range(40):
        if not pending.any():
            break
        idx = np.flatnonzero(pending)
        cand = theta[idx] + t[idx, None] * step[idx]
        cand_x = x[idx] + t[idx, None] * dx[idx]
        cand_f = _objective(total[idx], a_wins[idx], cand_x, cand, lam[idx])
        noise = 1e-13 * (1.0 + np.abs(f[idx]))
        ok = cand_f >= f[idx] + 1e-4 * t[idx] * slope[idx] - noise
        accepted = idx[ok]
        new_theta[accepted] = cand[ok] - cand[ok].mean(axis=1, keepdims=True)
        new_b[accepted] = b[accepted] + t[accepted] * db[accepted]
        new_x[accepted], new_f[accepted] = cand_x[ok], cand_f[ok]
        pending[accepted] = False
        t[idx[~ok]] *= 0.5
    return new_theta, new_b, new_x, new_f


def _dense_solve(
    d: PairDesign,
    h: FloatArray,
    deg: FloatArray,
    lam: FloatArray,
    alpha: FloatArray,
    g: FloatArray,
) -> FloatArray:
    rows, n = g.shape
    out = np.empty_like(g)
    chunk = max(1, _CHUNK_CELLS // (n * n))
    diag = np.arange(n)
    for s in range(0, rows, chunk):
        e = slice(s, s + chunk)
        m = np.repeat((alpha[e] / n)[:, None, None], n, axis=1).repeat(n, axis=2)
        m[:, d.a, d.b] -= h[e]
        m[:, d.b, d.a] -= h[e]
        m[:, diag, diag] += deg[e] + lam[e, None]
        try:
            out[e] = np.linalg.solve(m, g[e][..., None])[..., 0]
        except np.linalg.LinAlgError:  # one singular matrix fails the batch: go row by row
            out[e] = [_solve_or_nan(mk, gk) for mk, gk in zip(m, g[e], strict=True)]
    return out


def _solve_or_nan(m: FloatArray, g: FloatArray) -> FloatArray:
    try:
        return np.asarray(np.linalg.solve(m, g))
    except np.linalg.LinAlgError:
        return np.full_like(g, np.nan)


def _cg_solve(
    d: PairDesign,
    scatter: _Scatter,
    h: FloatArray,
    deg: FloatArray,
    lam: FloatArray,
    alpha: FloatArray,
    g: FloatArray,
    rtol: FloatArray,
) -> FloatArray:
    """Batched preconditioned CG on K = L_h + λI + α·11ᵀ/n, one system per row.

    Runs in the transposed layout (items × rows), where gathers and the sparse scatter
    touch contiguous memory; each row stops at its own relative residual ``rtol``.
    """
    ht, gt = np.ascontiguousarray(h.T), np.ascontiguousarray(g.T)
    lam_t, alpha_t = lam[None, :], alpha[None, :]

    def matvec(v: FloatArray) -> FloatArray:
        lap = scatter.transposed(ht * (v[d.a] - v[d.b]))
        return np.asarray(lap + lam_t * v + alpha_t * v.mean(axis=0, keepdims=True))

    precond = 1.0 / (deg.T + lam_t + alpha_t / d.n)
    x = np.zeros_like(gt)
    r = gt.copy()
    z = r * precond
    p = z.copy()
    rz = (r * z).sum(axis=0)
    stop = rtol * np.maximum(np.sqrt((gt * gt).sum(axis=0)), 1e-300)
    for _ in range(20 * d.n):
        active = np.sqrt((r * r).sum(axis=0)) > stop
        if not active.any():
            break
        kp = matvec(p)
        pkp = (p * kp).sum(axis=0)
        step = np.where(active & (pkp > 0), rz / np.where(pkp > 0, pkp, 1.0), 0.0)
        x += step * p
        r -= step * kp
        z = r * precond
        rz_new = (r * z).sum(axis=0)
        beta = np.where(active, rz_new / np.where(rz > 0, rz, 1.0), 0.0)
        p = z + beta * p
        rz = rz_new
    return np.ascontiguousarray(x.T)
