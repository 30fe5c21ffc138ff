"""Position-aware and soft-outcome Bradley–Terry fits against an independent maximiser."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from eng5_runner.stats import bt, fit_bradley_terry


def _simulate(n: int, bias: float, seed: int, repeats: int = 2):
    rng = np.random.default_rng(seed)
    true = np.linspace(-1.5, 1.5, n)
    w, lo, in_a = [], [], []
    for rep in range(repeats):
        for i in range(n):
            for j in range(i + 1, n):
                a, b = (i, j) if rep % 2 == 0 else (j, i)
                p = 1 / (1 + np.exp(-(true[a] - true[b] + bias)))
                a_won = rng.random() < p
                w.append(a if a_won else b)
                lo.append(b if a_won else a)
                in_a.append(a_won)
    return np.array(w), np.array(lo), np.array(in_a)


def _reference(n, w, lo, in_a, ridge=0.0, y=None):
    """Generic maximiser of ℓ(θ, b) − (λ/2)‖θ‖² with θ_n = −Σ others, plus its information."""
    y = np.ones(w.size) if y is None else y
    slot_a = np.where(in_a, w, lo)
    slot_b = np.where(in_a, lo, w)
    y_a = np.where(in_a, y, 1 - y)  # slot A's share

    q = np.vstack([np.eye(n - 1), -np.ones((1, n - 1))])  # θ = q z, Σθ = 0

    def negll(params):
        theta = q @ params[:-1]
        x = theta[slot_a] - theta[slot_b] + params[-1]
        ll = y_a * x - np.logaddexp(0, x)
        return -ll.sum() + 0.5 * ridge * theta @ theta

    res = minimize(negll, np.zeros(n), method="BFGS", options={"gtol": 1e-10})
    theta = q @ res.x[:-1]
    x = theta[slot_a] - theta[slot_b] + res.x[-1]
    h = 1 / (1 + np.exp(-x))
    h = h * (1 - h)
    rows = np.zeros((w.size, n + 1))
    np.add.at(rows, (np.arange(w.size), slot_a), 1.0)
    np.add.at(rows, (np.arange(w.size), slot_b), -1.0)
    rows[:, -1] = 1.0
    info = rows.T @ (rows * h[:, None])
    info[:n, :n] += ridge * np.eye(n)
    cov = np.linalg.pinv(info, rcond=1e-12)
    centre = np.eye(n + 1)
    centre[:n, :n] -= 1.0 / n
    cov = centre @ cov @ centre.T
    return theta, res.x[-1], np.sqrt(np.diag(cov))


@pytest.mark.parametrize("ridge", [None, 0.5])
def test_slot_effect_matches_a_generic_maximiser(ridge: float | None) -> None:
    n = 8
    w, lo, in_a = _simulate(n, 0.6, seed=3)
    fit = fit_bradley_terry(n, w, lo, ridge=ridge, position_model="global", winner_in_slot_a=in_a)
    theta, b, se = _reference(n, w, lo, in_a, ridge=ridge or 0.0)
    assert fit.slot_effect == pytest.approx(b, abs=1e-5)
    np.testing.assert_allclose(fit.theta, theta, atol=1e-5)
    np.testing.assert_allclose(fit.se, se[:n], rtol=1e-4)
    assert fit.slot_effect_se == pytest.approx(se[n], rel=1e-4)
    low, high = fit.slot_effect_interval() or (0.0, 0.0)
    assert low < fit.slot_effect < high


def test_sparse_newton_path_gives_the_same_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    n = 12
    w, lo, in_a = _simulate(n, 0.4, seed=5)
    dense = fit_bradley_terry(n, w, lo, position_model="global", winner_in_slot_a=in_a)
    monkeypatch.setattr(bt, "DENSE_SOLVE_MAX_ITEMS", 4)
    for method in ("exact", "approx"):
        sparse = fit_bradley_terry(
            n, w, lo, position_model="global", winner_in_slot_a=in_a, se_method=method
        )
        assert sparse.slot_effect == pytest.approx(dense.slot_effect, abs=1e-7)
        np.testing.assert_allclose(sparse.theta, dense.theta, atol=1e-7)
        assert sparse.slot_effect_se == pytest.approx(dense.slot_effect_se, rel=1e-6)
    np.testing.assert_allclose(
        fit_bradley_terry(
            n, w, lo, position_model="global", winner_in_slot_a=in_a, se_method="exact"
        ).se,
        dense.se,
        rtol=1e-8,
    )


def test_position_model_none_is_the_plain_fit() -> None:
    n = 8
    w, lo, in_a = _simulate(n, 0.6, seed=1)
    plain = fit_bradley_terry(n, w, lo)
    none = fit_bradley_terry(n, w, lo, position_model="none", winner_in_slot_a=in_a)
    np.testing.assert_array_equal(plain.theta, none.theta)
    assert none.slot_effect is None and plain.slot_effect_interval() is None


def test_slot_effect_not_estimable_falls_back_with_a_reason() -> None:
    # every comparison won by slot A
    w = np.array([0, 1, 1, 2, 2, 0])
    lo = np.array([1, 0, 2, 1, 0, 2])
    fit = fit_bradley_terry(3, w, lo, position_model="global", winner_in_slot_a=[True] * 6)
    assert fit.slot_effect is None and "same slot" in (fit.slot_effect_note or "")
    # essay 0 always in slot A, 1 always in B: b is confounded with θ₀ − θ₁
    fit = fit_bradley_terry(
        2,
        [0, 1, 0, 1],
        [1, 0, 1, 0],
        position_model="global",
        winner_in_slot_a=[True, False, True, False],
    )
    assert fit.slot_effect is None and "confounded" in (fit.slot_effect_note or "")
    assert np.all(np.isfinite(fit.theta))


def test_soft_outcomes_are_weighted_wins() -> None:
    n = 6
    w, lo, _ = _simulate(n, 0.0, seed=2, repeats=1)
    y = np.full(w.size, 0.75)
    soft = fit_bradley_terry(n, w, lo, outcomes=y)
    # 3 wins and 1 loss per comparison: same likelihood up to a factor 4
    hard = fit_bradley_terry(n, np.concatenate([w, w, w, lo]), np.concatenate([lo, lo, lo, w]))
    np.testing.assert_allclose(soft.theta, hard.theta, atol=1e-7)
    np.testing.assert_allclose(soft.se, 2 * hard.se, rtol=1e-6)
    ones = fit_bradley_terry(n, w, lo, outcomes=np.ones(w.size))
    np.testing.assert_allclose(ones.theta, fit_bradley_terry(n, w, lo).theta)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        fit_bradley_terry(n, w, lo, outcomes=np.full(w.size, 1.5))


def test_soft_outcomes_with_a_slot_effect_match_the_reference() -> None:
    n = 6
    w, lo, in_a = _simulate(n, 0.5, seed=4)
    y = np.random.default_rng(0).uniform(0.55, 1.0, w.size)
    fit = fit_bradley_terry(n, w, lo, position_model="global", winner_in_slot_a=in_a, outcomes=y)
    theta, b, _ = _reference(n, w, lo, in_a, y=y)
    assert fit.slot_effect == pytest.approx(b, abs=1e-5)
    np.testing.assert_allclose(fit.theta, theta, atol=1e-5)


def test_bad_position_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="winner_in_slot_a"):
        fit_bradley_terry(2, [0], [1], position_model="global")
    with pytest.raises(ValueError, match="position_model"):
        fit_bradley_terry(2, [0], [1], position_model="per_judge")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="values for 1"):
        fit_bradley_terry(2, [0], [1], position_model="global", winner_in_slot_a=[True, False])


def test_linked_fit_reproduces_the_joint_fit_for_the_free_items() -> None:
    from eng5_runner.stats.linked import fit_linked

    n = 12
    w, lo, in_a = _simulate(n, 0.3, seed=8)
    joint = fit_bradley_terry(n, w, lo, position_model="global", winner_in_slot_a=in_a)
    fixed = np.array(joint.theta, dtype=float)
    free = [2, 7, 9]
    fixed[free] = np.nan
    slot_a, slot_b = np.where(in_a, w, lo), np.where(in_a, lo, w)
    linked = fit_linked(
        fixed, slot_a, slot_b, in_a.astype(float), fixed_slot_effect=joint.slot_effect
    )
    np.testing.assert_allclose(linked.theta[free], joint.theta[free], atol=1e-6)
    assert linked.converged and linked.ridge == 0.0
    # SEs condition on the fixed items: the inverse of the free block of the information
    x = joint.theta[slot_a] - joint.theta[slot_b] + (joint.slot_effect or 0.0)
    h = 1 / (1 + np.exp(-x))
    h = h * (1 - h)
    info = np.zeros((n, n))
    np.add.at(info, (slot_a, slot_a), h)
    np.add.at(info, (slot_b, slot_b), h)
    np.add.at(info, (slot_a, slot_b), -h)
    np.add.at(info, (slot_b, slot_a), -h)
    expected = np.sqrt(np.diag(np.linalg.inv(info[np.ix_(free, free)])))
    np.testing.assert_allclose(linked.se[free], expected, rtol=1e-5)
    # estimating b as well gives back the joint b at the joint θ
    both = fit_linked(fixed, slot_a, slot_b, in_a.astype(float), fixed_slot_effect=None)
    assert both.slot_effect == pytest.approx(joint.slot_effect, abs=1e-5)
    assert both.slot_effect_se is not None and both.slot_effect_se > 0


def test_linked_fit_keeps_a_student_without_wins_finite() -> None:
    from eng5_runner.stats.linked import fit_linked

    fixed = np.array([1.0, 0.0, -1.0, np.nan])
    slot_a = np.array([0, 3, 1, 3])
    slot_b = np.array([3, 2, 3, 0])
    y = np.array([1.0, 0.0, 1.0, 0.0])  # essay 3 loses every time
    linked = fit_linked(fixed, slot_a, slot_b, y)
    assert linked.ridge > 0 and np.isfinite(linked.theta[3]) and linked.theta[3] < -1.0
