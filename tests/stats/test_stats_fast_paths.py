"""The scipy-free fast paths give scipy's answers (to ~1e-12 or exactly).

Small inputs no longer import scipy (≈1.5 s on the 2-core machines): Kendall's C − D is
counted exactly with numpy, the binomial test and the normal/t quantiles live in
``eng5_runner.stats._dist``, and Bradley–Terry fits up to ``DENSE_SOLVE_MAX_ITEMS`` items
use numpy (Tarjan for strong components, ``numpy.linalg`` for the solves and SEs).  Each
test compares a fast path with the scipy implementation it replaces, on random inputs
with ties and on edge cases.
"""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.special import expit
from scipy.stats import binomtest, kendalltau, norm, t

from eng5_runner.stats import agreement as agreement_module
from eng5_runner.stats import (
    binomial_test_p,
    fit_bradley_terry,
    kendall_tau_b,
    mean_t_interval,
    somers_d,
    tau_upstream,
    wilson_interval,
)
from eng5_runner.stats import bt as bt_module
from eng5_runner.stats._dist import Z975, binomtest_two_sided_p, norm_ppf, t_ppf

# --- Kendall: exact O(n²) count against scipy.stats.kendalltau ----------------------------


def _random_pair(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = int(rng.integers(2, 300))
    kind = int(rng.integers(0, 4))
    if kind == 0:  # heavy ties in both
        return rng.integers(0, 4, n).astype(float), rng.integers(0, 6, n).astype(float)
    if kind == 1:  # grades vs continuous scores
        return -rng.integers(0, 9, n).astype(float), rng.normal(0, 2, n)
    if kind == 2:  # no ties, strongly related
        x = rng.normal(size=n)
        return x, x + rng.normal(0, 0.3, n)
    return rng.normal(size=n), np.round(rng.normal(size=n), 1)  # some ties in one input


def _scipy_c_minus_d(a: np.ndarray, b: np.ndarray) -> float:
    pairs = a.size * (a.size - 1) / 2
    ties_a = sum(c * (c - 1) / 2 for c in np.unique(a, return_counts=True)[1])
    ties_b = sum(c * (c - 1) / 2 for c in np.unique(b, return_counts=True)[1])
    tau = kendalltau(a, b, variant="b").statistic
    return float(np.rint(tau * math.sqrt((pairs - ties_a) * (pairs - ties_b))))


@pytest.mark.parametrize("seed", range(6))
def test_exact_concordance_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(40):
        a, b = _random_pair(rng)
        if len(set(a)) < 2 or len(set(b)) < 2:
            continue
        assert agreement_module._concordance(a, b)[0] == _scipy_c_minus_d(a, b)


@pytest.mark.parametrize("seed", range(3))
def test_public_rank_statistics_equal_the_scipy_path(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(100 + seed)
    cases = [_random_pair(rng) for _ in range(30)]
    cases += [([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]), ([1.0, 2.0], [2.0, 1.0]), ([1.0], [2.0])]
    grades = ["A", "B", "B", "C+", "C-", "D+", "E-", "F+"]
    ranks = [float(r) for r in rng.permutation(len(grades)) + 1]
    fast = [(kendall_tau_b(a, b), somers_d(a, b)) for a, b in cases]
    fast_up = tau_upstream(grades, ranks)
    monkeypatch.setattr(agreement_module, "EXACT_CONCORDANCE_MAX_N", 0)  # always scipy
    assert fast == [(kendall_tau_b(a, b), somers_d(a, b)) for a, b in cases]
    assert fast_up == tau_upstream(grades, ranks)


def test_exact_concordance_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    a, b = rng.integers(0, 5, 257).astype(float), rng.normal(size=257)
    whole = agreement_module._c_minus_d_exact(a, b)
    monkeypatch.setattr(agreement_module, "_BLOCK_CELLS", 1000)  # 3 rows per block
    assert agreement_module._c_minus_d_exact(a, b) == whole == _scipy_c_minus_d(a, b)


# --- Binomial test, normal and t quantiles -------------------------------------------------

P_VALUES = [0.5, 0.3, 0.1, 0.9, 1 / 3, 0.75, 0.01, 0.99, 0.5 + 1e-12, 0.123456]


@pytest.mark.parametrize("p", P_VALUES)
def test_binomial_p_matches_scipy_on_every_outcome(p: float) -> None:
    for n in range(1, 41):
        for k in range(n + 1):
            expected = binomtest(k, n, p).pvalue
            assert binomtest_two_sided_p(k, n, p) == pytest.approx(expected, rel=1e-12), (k, n)


def test_binomial_p_matches_scipy_for_large_n() -> None:
    rng = np.random.default_rng(11)
    for _ in range(300):
        n = int(rng.integers(60, 5000))
        p = 0.5 if rng.random() < 0.5 else float(rng.uniform(0.02, 0.98))
        k = int(np.clip(rng.normal(n * p, 5 * math.sqrt(n * p * (1 - p))), 0, n))
        expected = binomtest(k, n, p).pvalue
        assert binomial_test_p(k, n, p) == pytest.approx(expected, rel=1e-12), (k, n, p)


@pytest.mark.parametrize(
    ("k", "n", "p"),
    [(0, 5, 0.0), (1, 5, 0.0), (5, 5, 1.0), (4, 5, 1.0), (0, 1, 0.5), (1, 1, 0.5), (3, 6, 0.5)]
    + [(0, 3000, 0.5), (1, 2, 0.5), (7, 10, 0.7), (2, 9, 0.5)],
)
def test_binomial_p_edges_match_scipy(k: int, n: int, p: float) -> None:
    assert binomial_test_p(k, n, p) == pytest.approx(binomtest(k, n, p).pvalue, rel=1e-12)


def test_normal_quantile_matches_scipy() -> None:
    assert Z975 == norm.ppf(0.975) == norm_ppf(0.975)  # the default 95 % level, bit for bit
    rng = np.random.default_rng(3)
    qs = np.concatenate(
        [
            rng.uniform(0, 1, 2000),
            10.0 ** -rng.uniform(1, 300, 500),
            1 - 10.0 ** -rng.uniform(1, 15, 200),
        ]
    )
    ours = np.array([norm_ppf(float(q)) for q in qs])
    np.testing.assert_allclose(ours, norm.ppf(qs), rtol=1e-14)
    edges = [0.0, 1.0, -0.5, 1.5, float("nan")]
    np.testing.assert_array_equal([norm_ppf(q) for q in edges], norm.ppf(edges))


def test_wilson_interval_matches_scipy_quantile() -> None:
    for confidence in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999):
        z = float(norm.ppf(0.5 + confidence / 2))
        for n in (1, 2, 7, 66, 1000):
            for k in {0, 1, n // 3, n // 2, n - 1, n}:
                p = k / n
                denom = 1.0 + z * z / n
                centre = (p + z * z / (2 * n)) / denom
                half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
                low = 0.0 if k == 0 else max(0.0, centre - half)
                high = 1.0 if k == n else min(1.0, centre + half)
                assert wilson_interval(k, n, confidence) == pytest.approx((low, high), rel=1e-14)


def test_t_quantile_is_scipy_t_ppf() -> None:
    rng = np.random.default_rng(5)
    for q, df in zip(rng.uniform(0.5, 1.0, 500), rng.integers(1, 400, 500), strict=True):
        assert t_ppf(float(q), int(df)) == float(t.ppf(q, df))
    values = np.array([1.0, 2.0, 4.0])
    half = float(t.ppf(0.975, 2)) * float(values.std(ddof=1)) / math.sqrt(3)  # as it was
    mean = float(values.mean())
    assert mean_t_interval(values) == (mean, mean - half, mean + half)


# --- Bradley–Terry: numpy small-n path against the scipy implementation it replaces ----------


def test_expit_matches_scipy() -> None:
    rng = np.random.default_rng(9)
    x = np.concatenate([rng.normal(0, 10, 20000), rng.normal(0, 400, 2000), [-800.0, 800.0]])
    np.testing.assert_allclose(bt_module._expit(x), expit(x), rtol=1e-15, atol=1e-300)


@pytest.mark.parametrize("seed", range(4))
def test_strong_components_match_csgraph(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(300):
        n = int(rng.integers(1, 40))
        m = int(rng.integers(0, 3 * n))
        rows, cols = rng.integers(0, n, m), rng.integers(0, n, m)
        graph = sp.csr_matrix((np.ones(m), (rows, cols)), shape=(n, n))
        expected, _ = connected_components(graph, directed=True, connection="strong")
        assert bt_module._count_strong_components(n, rows, cols) == expected


def _scipy_solve(self: Any, rhs: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """The dense solve as it was: Cholesky via scipy.linalg."""
    return np.asarray(sla.solve(self.matrix, rhs, assume_a="pos", check_finite=False))


def _scipy_se_dense(s: Any) -> np.ndarray:
    """The exact SEs as they were: scipy Cholesky + LAPACK triangular inverse."""
    chol = sla.cholesky(s.dense_matrix(), lower=True, overwrite_a=True, check_finite=False)
    inv, _ = sla.lapack.dtrtri(chol, lower=1, overwrite_c=1)
    var = np.einsum("ij,ij->j", inv, inv) - 1.0 / (s.n * (s.lam + s.alpha))
    return np.sqrt(np.maximum(var, 0.0))


def _design(rng: np.random.Generator, kind: int) -> tuple[int, np.ndarray, np.ndarray]:
    n = int(rng.integers(2, 60))
    m = int(rng.integers(1, 8 * n))
    i = rng.integers(0, n, m)
    j = (i + rng.integers(1, n, m)) % n if n > 1 else i
    if kind == 1:  # widely spread skills: separations and zero-win items
        skill = rng.normal(0, 3, n)
        won = rng.random(m) < 1 / (1 + np.exp(-(skill[i] - skill[j])))
        i, j = np.where(won, i, j), np.where(won, j, i)
    elif kind == 2:  # two weakly linked clusters
        half = max(n // 2, 1)
        inner = (i // half) * half + rng.integers(0, half, m)
        j = np.where(rng.random(m) < 0.9, inner, rng.integers(0, n, m)) % n
    elif kind == 3:  # a handful of comparisons
        i, j = i[:3], j[:3]
    keep = i != j
    return n, i[keep], j[keep]


@pytest.mark.parametrize("seed", range(4))
def test_small_fits_match_the_scipy_implementation(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(seed)
    cases = [(*_design(rng, k % 4), [None, 0.1, 1.0][k % 3]) for k in range(60)]
    fast = [fit_bradley_terry(n, w, lo, ridge=r) for n, w, lo, r in cases]
    monkeypatch.setattr(bt_module, "_expit", expit)
    monkeypatch.setattr(bt_module._System, "solve", _scipy_solve)
    monkeypatch.setattr(bt_module, "_se_dense", _scipy_se_dense)
    for (n, w, lo, r), new in zip(cases, fast, strict=True):
        old = fit_bradley_terry(n, w, lo, ridge=r)
        scale = max(1.0, float(np.abs(old.theta).max()))
        np.testing.assert_allclose(new.theta, old.theta, rtol=0, atol=1e-12 * scale)
        np.testing.assert_allclose(new.se, old.se, rtol=1e-12)
        assert new.loglik == pytest.approx(old.loglik, rel=1e-12)
        assert (new.n_components, new.iterations, new.converged, new.regularised) == (
            old.n_components,
            old.iterations,
            old.converged,
            old.regularised,
        )
        assert (new.zero_win_items, new.zero_loss_items) == (
            old.zero_win_items,
            old.zero_loss_items,
        )


def test_small_inputs_do_not_import_scipy() -> None:
    code = """
import sys
import numpy as np
from eng5_runner import stats

fit = stats.fit_bradley_terry(4, [0, 1, 2, 3, 0], [1, 2, 3, 0, 2])
fit.interval()
stats.fit_bradley_terry(3, [0, 0], [1, 2])  # not identifiable: ridge fit
stats.kendall_tau_b([1, 2, 2, 3], [0.1, 0.4, 0.2, 0.9])
stats.somers_d([1, 2, 2, 3], [0.1, 0.4, 0.2, 0.9])
stats.tau_b_ceiling([1, 2, 2, 3], [0.1, 0.4, 0.2, 0.9])
stats.tau_upstream(["A", "B", "C+"], [1, 3, 2])
stats.wilson_interval(3, 10)
stats.binomial_test_p(3, 10)
loaded = sorted(m for m in sys.modules if m == "scipy" or m.startswith("scipy."))
assert not loaded, loaded
stats.mean_t_interval([1.0, 2.0, 4.0])  # scipy.special only
assert "scipy.stats" not in sys.modules and "scipy.sparse" not in sys.modules
"""
    subprocess.run([sys.executable, "-c", code], check=True)
