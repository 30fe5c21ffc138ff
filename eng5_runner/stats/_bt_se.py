"""Bradley–Terry standard errors: exact (dense Cholesky) and series approximation.

Private helpers of ``bt``; the choice between them (``bt._standard_errors``) and the
thresholds stay in ``bt``.  See the ``bt`` module docstring, "Standard errors".
"""

from __future__ import annotations

import numpy as np

from eng5_runner.stats._bt_linalg import FloatArray, System, sum_at

_TINY = 1e-300  # floor for information that underflowed (absurdly separated data)


def se_dense(s: System) -> FloatArray:
    """Exact: K⁻¹ = C(L + λI)⁺C + P/(λ+α), so subtract 1/(n(λ+α)) from diag(K⁻¹) (Cholesky).

    diag(K⁻¹) is the column sums of squares of L⁻¹ (K = LLᵀ): numpy when ``s`` is dense
    (n ≤ ``bt.DENSE_SOLVE_MAX_ITEMS``), above that scipy's LAPACK triangular inverse (≈2×
    faster at thousands of items, and scipy is loaded on those paths anyway).
    """
    inv: FloatArray
    if s.dense:
        inv = np.linalg.inv(np.linalg.cholesky(s.dense_matrix()))
    else:
        import scipy.linalg as sla

        chol = sla.cholesky(s.dense_matrix(), lower=True, overwrite_a=True, check_finite=False)
        inv, info = sla.lapack.dtrtri(chol, lower=1, overwrite_c=1)
        if info != 0:  # pragma: no cover - K is positive definite by construction
            raise np.linalg.LinAlgError(f"triangular inverse failed (info={info})")
    var = np.einsum("ij,ij->j", inv, inv) - 1.0 / (s.n * (s.lam + s.alpha))
    return np.sqrt(np.maximum(var, 0.0))


def se_series(s: System) -> FloatArray:
    """Deflated Neumann series for diag(C (D' − A)⁻¹ C), D' = D + λI, plus a geometric tail.

    S = D'^-½ A D'^-½ has top eigenvector u ∝ √D' with eigenvalue σ₀ = ΣD/ΣD' (exact for
    λ = 0); that mode is summed in closed form and cancels against the centring.  The rest
    is 1 + Σ_{m≤4}(diag(Sᵐ) − uᵢ²σ₀ᵐ) + tail, with diag(S) = 0, diag(S³) ≈ 0 (no triangles)
    and diag(S⁴) from backtracking walks (exact on locally tree-like graphs).  For λ = 0
    the centring term −2(Y1)ᵢ/n + 1ᵀY1/n² is exact (one conjugate-gradient solve).
    """
    p, n = s.p, s.n
    dp = np.maximum(s.deg + s.lam, _TINY)
    inv_sqrt = 1.0 / np.sqrt(dp)
    q2 = (s.h * inv_sqrt[p.a] * inv_sqrt[p.b]) ** 2
    t2 = sum_at(p.a, q2, n) + sum_at(p.b, q2, n)
    back = sum_at(p.a, q2 * t2[p.b], n) + sum_at(p.b, q2 * t2[p.a], n)
    t4 = t2 * t2 + back - (sum_at(p.a, q2 * q2, n) + sum_at(p.b, q2 * q2, n))
    sigma0 = float(s.deg.sum() / dp.sum())
    u2 = dp / dp.sum()
    a2 = t2 - u2 * sigma0**2
    a4 = t4 - u2 * sigma0**4
    safe = np.where(a2 > 0, a2, 1.0)
    ratio = np.where(a2 > 0, np.clip(a4 / safe, 0.0, 0.95), 0.0)
    tail = a4 * ratio / (1.0 - ratio)
    diag = (1.0 - u2 * (sigma0 + sigma0**3) + a2 + a4 + tail) / dp
    if s.lam > 0:
        return np.sqrt(np.maximum(diag, 0.0))
    total = float(s.deg.sum())
    y = s.solve(1.0 - n * s.deg / total, rtol=1e-8)
    y -= float(s.deg @ y) / total
    var = diag - 1.0 / total - 2.0 * y / n + float(y.sum()) / n**2
    return np.sqrt(np.maximum(var, 0.0))


def second_eigenvalue(s: System) -> float:
    """|σ₂| of S = D'^-½ A D'^-½ with its top direction removed (1.0 if ARPACK fails)."""
    from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, LinearOperator, eigsh

    dp = np.maximum(s.deg + s.lam, _TINY)
    inv_sqrt = 1.0 / np.sqrt(dp)
    u = np.sqrt(dp / dp.sum())
    sigma0 = float(s.deg.sum() / dp.sum())

    def mv(x: FloatArray) -> FloatArray:
        y = s.adjacency_matvec(inv_sqrt * x) * inv_sqrt
        return np.asarray(y - sigma0 * u * float(u @ x))

    op = LinearOperator((s.n, s.n), matvec=mv, dtype=np.float64)
    v0 = np.random.default_rng(0).standard_normal(s.n)
    try:
        vals = eigsh(op, k=1, which="LM", v0=v0, tol=1e-3, return_eigenvectors=False)
    except (ArpackNoConvergence, ArpackError):
        return 1.0
    return float(abs(vals[0]))
