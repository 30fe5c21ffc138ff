"""Bradley–Terry data and linear algebra (private helpers of ``bt``).

:class:`Pairs` holds comparisons aggregated to unique unordered pairs; :class:`System` is
the Newton / information matrix K = L_h + λI + αP, dense (numpy) or CSR + conjugate
gradients (scipy, imported only on that path).  The threshold between the two is decided
by the caller (``bt.DENSE_SOLVE_MAX_ITEMS``) and passed in as ``dense``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def sum_at(index: IntArray, weights: FloatArray, n: int) -> FloatArray:
    """Σ of ``weights`` per value of ``index`` (0..n−1), as float64."""
    return np.bincount(index, weights, n).astype(np.float64, copy=False)


@dataclass(frozen=True)
class Pairs:
    """Comparisons aggregated to unique unordered pairs a < b."""

    n: int
    a: IntArray
    b: IntArray
    total: FloatArray  # comparisons between a and b
    a_wins: FloatArray  # of which a won

    def diff(self, theta: FloatArray) -> FloatArray:
        return theta[self.a] - theta[self.b]

    def degree(self, h: FloatArray) -> FloatArray:
        return sum_at(self.a, h, self.n) + sum_at(self.b, h, self.n)

    def loglik(self, x: FloatArray) -> float:
        """ℓ at score differences x = θ_a − θ_b: Σ total·log σ(x) − (b's wins)·x."""
        log_sigma = -(np.maximum(-x, 0.0) + np.log1p(np.exp(-np.abs(x))))
        return float(self.total @ log_sigma - (self.total - self.a_wins) @ x)


def aggregate(
    n: int, w: IntArray, lo: IntArray, y: FloatArray | None = None, a_first: IntArray | None = None
) -> Pairs:
    """Aggregate comparisons (``w[k]`` beat ``lo[k]`` with soft outcome ``y[k]``, default 1).

    Without ``a_first`` the pairs are unordered (a < b).  With it (the item in slot A of each
    comparison) they are *ordered* pairs: ``a`` is the slot-A item and ``a_wins`` its share,
    so the same two items appear once per slot order (for the position model).
    """
    a = np.minimum(w, lo) if a_first is None else a_first
    b = np.maximum(w, lo) if a_first is None else np.where(a_first == w, lo, w)
    keys, inverse = np.unique(a * np.int64(n) + b, return_inverse=True)
    total = np.bincount(inverse, minlength=keys.size).astype(np.float64)
    credit = (w == a).astype(np.float64)
    if y is not None:  # a's share: y when a is the credited winner, else 1 − y
        credit = np.where(w == a, y, 1.0 - y)
    a_wins = sum_at(inverse, credit, keys.size)
    return Pairs(n=n, a=keys // n, b=keys % n, total=total, a_wins=a_wins)


class System:
    """K = L_h + λI + αP for Hessian weights h (P = 11ᵀ/n): dense matrix or CSR + matvec."""

    def __init__(self, p: Pairs, lam: float, *, dense: bool) -> None:
        self.p, self.lam, self.n = p, lam, p.n
        self.dense = dense
        if not self.dense:
            import scipy.sparse as sp

            rows = np.concatenate([p.a, p.b])
            self.order = np.argsort(rows, kind="stable")
            indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=p.n))])
            cols = np.concatenate([p.b, p.a])[self.order]
            self.off = sp.csr_matrix((np.zeros(rows.size), cols, indptr), shape=(p.n, p.n))
        self.update(np.zeros(p.a.size))

    def update(self, h: FloatArray) -> None:
        self.h = h
        self.deg = self.p.degree(h)
        self.alpha = float(self.deg.mean()) + self.lam + 1.0 / self.n
        self.diag = self.deg + self.lam + self.alpha / self.n
        if self.dense:
            self.matrix = self.dense_matrix()
        else:
            self.off.data = -np.concatenate([h, h])[self.order]

    def dense_matrix(self) -> FloatArray:
        m = np.full((self.n, self.n), self.alpha / self.n)
        m[self.p.a, self.p.b] -= self.h
        m[self.p.b, self.p.a] -= self.h
        m[np.diag_indices(self.n)] += self.deg + self.lam
        return m

    def adjacency_matvec(self, x: FloatArray) -> FloatArray:
        """A x for the weighted adjacency A (off-diagonal of L, sign flipped)."""
        if self.dense:
            r = self.h * x[self.p.b]
            s = self.h * x[self.p.a]
            return sum_at(self.p.a, r, self.n) + sum_at(self.p.b, s, self.n)
        return np.asarray(-(self.off @ x))

    def matvec(self, x: FloatArray) -> FloatArray:
        return (self.deg + self.lam) * x - self.adjacency_matvec(x) + self.alpha * x.mean()

    def solve(self, rhs: FloatArray, rtol: float = 1e-10) -> FloatArray:
        if self.dense:
            return np.asarray(np.linalg.solve(self.matrix, rhs))
        from scipy.sparse.linalg import LinearOperator, cg

        op = LinearOperator((self.n, self.n), matvec=self.matvec, dtype=np.float64)
        pre = LinearOperator((self.n, self.n), matvec=lambda x: x / self.diag, dtype=np.float64)
        x, _ = cg(op, rhs, rtol=rtol, atol=0.0, maxiter=20 * self.n, M=pre)
        return np.asarray(x, dtype=np.float64)


def unordered(p: Pairs) -> tuple[Pairs, IntArray]:
    """Ordered pairs merged to unordered ones (a < b), and each ordered pair's merged index."""
    a = np.minimum(p.a, p.b)
    b = np.maximum(p.a, p.b)
    keys, inverse = np.unique(a * np.int64(p.n) + b, return_inverse=True)
    total = sum_at(inverse, p.total, keys.size)
    a_wins = sum_at(inverse, np.where(p.a == a, p.a_wins, p.total - p.a_wins), keys.size)
    return Pairs(n=p.n, a=keys // p.n, b=keys % p.n, total=total, a_wins=a_wins), inverse
