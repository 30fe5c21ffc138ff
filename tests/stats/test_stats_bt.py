"""Bradley–Terry fit: known values, SEs against a brute-force pseudo-inverse, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import kendalltau

from eng5_runner.stats import (
    DEFAULT_RIDGE,
    BTFit,
    BTNotIdentifiable,
    fit_bradley_terry,
)
from eng5_runner.stats import bt as bt_module


def _simulate(rng: np.random.Generator, theta: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """m random comparisons among len(theta) items, outcomes drawn from the BT model."""
    n = theta.size
    i = rng.integers(0, n, m)
    j = (i + rng.integers(1, n, m)) % n
    i_wins = rng.random(m) < 1 / (1 + np.exp(-(theta[i] - theta[j])))
    return np.where(i_wins, i, j), np.where(i_wins, j, i)


def _connected_design(
    rng: np.random.Generator, n: int, m: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random design plus a win cycle 0 → 1 → … → 0, so the MLE always exists."""
    theta = rng.normal(0, 1, n)
    w, lo = _simulate(rng, theta, m)
    ring = np.arange(n)
    return theta, np.r_[w, ring], np.r_[lo, (ring + 1) % n]


def _information(n: int, w: np.ndarray, lo: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Fisher information (weighted Laplacian), built comparison by comparison."""
    h = np.zeros((n, n))
    for a, b in zip(w, lo, strict=True):
        p = 1 / (1 + math.exp(-(theta[a] - theta[b])))
        v = p * (1 - p)
        h[a, a] += v
        h[b, b] += v
        h[a, b] -= v
        h[b, a] -= v
    return h


def _gradient(n: int, w: np.ndarray, lo: np.ndarray, theta: np.ndarray) -> np.ndarray:
    r = 1 - 1 / (1 + np.exp(-(theta[w] - theta[lo])))
    return np.bincount(w, r, n) - np.bincount(lo, r, n)


def test_two_items_log_odds_and_analytic_se() -> None:
    fit = fit_bradley_terry(2, [0, 0, 0, 1], [1, 1, 1, 0])
    assert fit.theta[0] - fit.theta[1] == pytest.approx(math.log(3), abs=1e-9)
    assert fit.theta.sum() == pytest.approx(0.0, abs=1e-12)
    # Var(θ0 − θ1) = 1 / (n p (1 − p)) = 4/3; each centred score carries a quarter of it.
    assert fit.se == pytest.approx([math.sqrt(1 / 3)] * 2, rel=1e-9)
    assert fit.loglik == pytest.approx(3 * math.log(0.75) + math.log(0.25), rel=1e-9)
    assert not fit.regularised and fit.ridge == 0.0 and fit.n_components == 1
    assert fit.se_method == "exact" and fit.converged


def test_mle_is_stationary_and_se_matches_pseudo_inverse() -> None:
    rng = np.random.default_rng(11)
    _, w, lo = _connected_design(rng, 15, 120)
    fit = fit_bradley_terry(15, w, lo, ridge=0)
    theta = np.asarray(fit.theta)
    assert np.abs(_gradient(15, w, lo, theta)).max() < 1e-7
    expected = np.sqrt(np.diag(np.linalg.pinv(_information(15, w, lo, theta))))
    np.testing.assert_allclose(fit.se, expected, rtol=1e-8)
    direct = float(np.sum(-np.log1p(np.exp(-(theta[w] - theta[lo])))))
    assert fit.loglik == pytest.approx(direct, rel=1e-12)


def test_ridge_fit_is_stationary_and_se_is_centred_inverse() -> None:
    rng = np.random.default_rng(12)
    _, w, lo = _connected_design(rng, 12, 60)
    lam = 0.5
    fit = fit_bradley_terry(12, w, lo, ridge=lam)
    theta = np.asarray(fit.theta)
    assert fit.regularised and fit.ridge == lam
    assert np.abs(_gradient(12, w, lo, theta) - lam * theta).max() < 1e-7
    c = np.eye(12) - 1 / 12
    cov = c @ np.linalg.inv(_information(12, w, lo, theta) + lam * np.eye(12)) @ c
    np.testing.assert_allclose(fit.se, np.sqrt(np.diag(cov)), rtol=1e-8)
    mle = fit_bradley_terry(12, w, lo)
    assert np.linalg.norm(fit.theta) < np.linalg.norm(mle.theta)  # shrinkage


def test_relabelling_items_permutes_scores() -> None:
    rng = np.random.default_rng(3)
    _, w, lo = _connected_design(rng, 10, 80)
    perm = rng.permutation(10)  # item i is called perm[i]
    base = fit_bradley_terry(10, w, lo)
    moved = fit_bradley_terry(10, perm[w], perm[lo])
    np.testing.assert_allclose(moved.theta[perm], base.theta, atol=1e-9)
    np.testing.assert_allclose(moved.se[perm], base.se, rtol=1e-8)
    shuffled = rng.permutation(w.size)  # comparison order does not matter
    again = fit_bradley_terry(10, w[shuffled], lo[shuffled])
    np.testing.assert_allclose(again.theta, base.theta, atol=1e-12)


def test_symmetric_data_gives_equal_scores() -> None:
    cycle = fit_bradley_terry(3, [0, 1, 2], [1, 2, 0])
    np.testing.assert_allclose(cycle.theta, 0.0, atol=1e-12)
    assert np.ptp(cycle.se) < 1e-12
    split = fit_bradley_terry(4, [0, 1, 0, 2, 1, 3], [1, 0, 2, 0, 3, 1])
    np.testing.assert_allclose(split.theta, 0.0, atol=1e-12)


def test_zero_win_item_is_flagged_regularised_and_finite() -> None:
    # Items 0–2 form a cycle; item 3 loses every comparison; item 4 is never compared.
    w = [0, 1, 2, 0, 1, 2, 0]
    lo = [1, 2, 0, 3, 3, 3, 3]
    fit = fit_bradley_terry(5, w, lo)
    assert fit.regularised and fit.ridge == DEFAULT_RIDGE
    assert fit.n_components == 3
    assert fit.zero_win_items == (3, 4)
    assert fit.zero_loss_items == (4,)
    assert fit.isolated_items == (4,)
    assert np.all(np.isfinite(fit.theta)) and np.all(np.isfinite(fit.se))
    assert fit.theta[3] == min(fit.theta) and fit.theta[3] > -10
    assert fit.theta[4] == pytest.approx(0.0, abs=1e-9)
    assert fit.se[4] == pytest.approx(math.sqrt((1 - 1 / 5) / DEFAULT_RIDGE), rel=1e-6)
    assert fit.theta.sum() == pytest.approx(0.0, abs=1e-9)


def test_ridge_zero_without_mle_raises() -> None:
    with pytest.raises(BTNotIdentifiable, match="strongly connected") as info:
        fit_bradley_terry(3, [0, 0], [1, 2], ridge=0)
    assert isinstance(info.value, ValueError)
    assert "zero-win items [1, 2]" in str(info.value)


def test_explicit_ridge_always_penalises() -> None:
    fit = fit_bradley_terry(3, [0, 1, 2], [1, 2, 0], ridge=2.0)
    assert fit.regularised and fit.ridge == 2.0 and fit.n_components == 1


def test_degenerate_sizes() -> None:
    empty = fit_bradley_terry(0, [], [])
    assert empty.theta.size == 0 and empty.se.size == 0 and empty.n_components == 0
    single = fit_bradley_terry(1, [], [])
    assert list(single.theta) == [0.0] and list(single.se) == [0.0]
    none = fit_bradley_terry(3, [], [])
    assert none.regularised and list(none.theta) == [0.0, 0.0, 0.0]
    assert np.all(np.isfinite(none.se))


def test_result_is_read_only() -> None:
    fit = fit_bradley_terry(2, [0, 1], [1, 0])
    assert isinstance(fit, BTFit)
    with pytest.raises(ValueError):
        fit.theta[0] = 1.0
    low, high = fit.interval()
    np.testing.assert_allclose(high - low, 2 * 1.959963984540054 * fit.se)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"winners": [0, 1], "losers": [1]}, "differ in length"),
        ({"winners": [0, 3], "losers": [1, 0]}, "outside"),
        ({"winners": [0, 1], "losers": [0, 0]}, "itself"),
        ({"winners": [0.5], "losers": [1]}, "integer"),
        ({"winners": [0], "losers": [1], "ridge": -1.0}, "ridge"),
        ({"winners": [0], "losers": [1], "ridge": float("nan")}, "ridge"),
    ],
)
def test_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_bradley_terry(3, **kwargs)  # type: ignore[arg-type]


def test_integral_float_indices_are_accepted() -> None:
    fit = fit_bradley_terry(2, np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    np.testing.assert_allclose(fit.theta, 0.0, atol=1e-12)


def test_sparse_newton_path_matches_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    _, w, lo = _connected_design(rng, 300, 3000)
    dense = fit_bradley_terry(300, w, lo)
    monkeypatch.setattr(bt_module, "DENSE_SOLVE_MAX_ITEMS", 10)
    sparse = fit_bradley_terry(300, w, lo)
    np.testing.assert_allclose(sparse.theta, dense.theta, atol=1e-8)
    np.testing.assert_allclose(sparse.se, dense.se, rtol=1e-8)


@pytest.mark.parametrize("ridge", [0.0, 0.1])
def test_series_standard_errors_close_to_exact(ridge: float) -> None:
    rng = np.random.default_rng(5)
    _, w, lo = _connected_design(rng, 600, 9000)  # ~30 comparisons per item
    exact = fit_bradley_terry(600, w, lo, ridge=ridge, se_method="exact")
    approx = fit_bradley_terry(600, w, lo, ridge=ridge, se_method="approx")
    assert approx.se_method == "approx"
    np.testing.assert_allclose(approx.theta, exact.theta)
    np.testing.assert_allclose(approx.se, exact.se, rtol=0.01)


def test_auto_se_uses_series_only_for_well_mixing_graphs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bt_module, "DENSE_SE_MAX_ITEMS", 100)
    rng = np.random.default_rng(6)
    _, w, lo = _connected_design(rng, 400, 6000)
    assert fit_bradley_terry(400, w, lo).se_method == "approx"
    # 20 clusters of 20 with rare links between them: slow mixing, exact fallback.
    i = rng.integers(0, 400, 6000)
    j = (i // 20) * 20 + (i % 20 + rng.integers(1, 20, 6000)) % 20
    bridge = rng.random(6000) < 0.03
    j = np.where(bridge, (i + rng.integers(1, 400, 6000)) % 400, j)
    ring = np.arange(400)
    w2, lo2 = np.r_[i, ring], np.r_[j, (ring + 1) % 400]
    fit = fit_bradley_terry(400, w2, lo2)
    assert fit.se_method == "exact"
    monkeypatch.setattr(bt_module, "DENSE_SE_HARD_MAX_ITEMS", 200)
    with pytest.warns(RuntimeWarning, match="mixes poorly"):
        assert fit_bradley_terry(400, w2, lo2).se_method == "approx"


def test_recovery_improves_with_more_comparisons() -> None:
    rng = np.random.default_rng(2024)
    truth = rng.normal(0, 1.5, 40)
    w, lo = _simulate(rng, truth, 4000)
    taus = []
    for m in (100, 400, 1600, 4000):  # nested designs: each extends the previous one
        fit = fit_bradley_terry(40, w[:m], lo[:m])
        assert np.all(np.isfinite(fit.theta)) and np.all(np.isfinite(fit.se))
        taus.append(kendalltau(truth, fit.theta).statistic)
    assert taus == sorted(taus)
    assert taus[-1] > 0.9


def test_standard_errors_shrink_like_one_over_root_n() -> None:
    rng = np.random.default_rng(8)
    _, w, lo = _connected_design(rng, 20, 400)
    once = fit_bradley_terry(20, w, lo)
    four = fit_bradley_terry(20, np.tile(w, 4), np.tile(lo, 4))
    np.testing.assert_allclose(four.theta, once.theta, atol=1e-8)
    np.testing.assert_allclose(four.se, once.se / 2, rtol=1e-8)
