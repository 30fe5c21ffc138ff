"""Paired comparison of two runs: McNemar, paired bootstrap Δτ-b, verdicts, Holm."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from eng5_runner import stats


def _run(quality: np.ndarray, noise: float, seed: int, reps: int = 1):
    """Round robin of len(quality) items judged with logistic noise; (winners, losers)."""
    a, b = np.triu_indices(quality.size, 1)
    a, b = np.tile(a, reps), np.tile(b, reps)
    rng = np.random.default_rng(seed)
    if noise == 0:
        a_won = quality[a] > quality[b]
    else:
        a_won = rng.random(a.size) < 1 / (1 + np.exp(-(quality[a] - quality[b]) / noise))
    return np.where(a_won, a, b), np.where(a_won, b, a)


GRADES = -np.repeat(np.arange(10), 3).astype(float)  # 30 anchors, 3 per grade


def test_holm_matches_a_hand_computed_example() -> None:
    # sorted 0.005 0.01 0.03 0.04 times 4 3 2 1 = 0.02 0.03 0.06 0.04, running max
    assert stats.holm_adjust([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm_adjust([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert stats.holm_adjust([]) == []


@pytest.mark.parametrize(("b", "a"), [(0, 0), (3, 0), (9, 2), (20, 31), (0, 12)])
def test_mcnemar_is_the_exact_binomial_on_discordant_pairs(b: int, a: int) -> None:
    expected = 1.0 if a + b == 0 else binomtest(b, a + b, 0.5).pvalue
    assert stats.mcnemar_exact_p(b, a) == pytest.approx(expected, rel=1e-12)


def test_identical_runs_are_indistinguishable_with_a_zero_interval() -> None:
    w, lo = _run(GRADES, 1.0, seed=1)
    result = stats.compare_paired(GRADES, w, lo, w, lo, resamples=200, seed=3)
    assert result.delta_tau_b == 0.0
    assert result.delta_tau_b_ci95 == (0.0, 0.0)
    assert result.verdict == "indistinguishable"
    assert (result.discordant_a_better, result.discordant_b_better, result.mcnemar_p) == (0, 0, 1)


def test_a_perfect_judge_beats_a_noisy_one_and_the_reverse_is_worse() -> None:
    wa, la = _run(GRADES, 5.0, seed=2)
    wb, lb = _run(GRADES, 0.0, seed=2)
    better = stats.compare_paired(GRADES, wa, la, wb, lb, resamples=300, seed=0)
    worse = stats.compare_paired(GRADES, wb, lb, wa, la, resamples=300, seed=0)
    assert better.verdict == "better" and better.delta_tau_b_ci95[0] > 0
    assert worse.verdict == "worse" and worse.delta_tau_b_ci95[1] < 0
    assert better.delta_tau_b == pytest.approx(-worse.delta_tau_b)
    # the perfect judge is never wrong where the noisy one is right
    assert better.discordant_a_better == 0 < better.discordant_b_better
    assert better.mcnemar_p < 1e-6
    assert better.agreement_rate_b == 1.0 > better.agreement_rate_a


def test_the_same_seed_gives_the_same_interval() -> None:
    wa, la = _run(GRADES, 1.0, seed=5)
    wb, lb = _run(GRADES, 1.0, seed=6)
    one = stats.compare_paired(GRADES, wa, la, wb, lb, resamples=200, seed=9)
    two = stats.compare_paired(GRADES, wa, la, wb, lb, resamples=200, seed=9)
    assert one == two
    low, high = one.delta_tau_b_ci95
    assert low <= one.delta_tau_b <= high


def test_too_few_matched_comparisons_are_not_comparable() -> None:
    result = stats.compare_paired([2.0, 1.0, 0.0], [0, 1, 0], [1, 2, 2], [0, 2, 0], [1, 1, 2])
    assert result.verdict == "not comparable"
    assert "only 3 matched" in (result.reason or "")
    assert result.delta_tau_b is None and result.delta_tau_b_ci95 is None


def test_a_single_grade_is_not_comparable() -> None:
    w, lo = _run(np.zeros(6), 1.0, seed=0)
    result = stats.compare_paired(np.zeros(6), w, lo, w, lo)
    assert result.verdict == "not comparable"
    assert "single grade" in (result.reason or "")


def test_matched_comparisons_must_be_between_the_same_items() -> None:
    with pytest.raises(ValueError, match="same two items"):
        stats.compare_paired([1.0, 0.0, -1.0], [0], [1], [0], [2])


@pytest.mark.parametrize(
    ("verdict", "interval"),
    [
        ("better", (0.01, 0.2)),
        ("worse", (-0.3, -0.001)),
        ("indistinguishable", (-0.1, 0.1)),
        ("indistinguishable", (0.0, 0.2)),
    ],
)
def test_verdict_from_the_interval(verdict: str, interval: tuple[float, float]) -> None:
    assert stats.verdict_from_interval(*interval) == verdict


def test_the_paired_interval_matches_a_loop_over_resampled_anchor_pairs() -> None:
    """Independent reference: draw matched anchor pairs (each with all its comparisons,
    both runs together), refit each run by the scalar BT fit, τ-b by scipy, then the
    percentile interval shifted by Δ − median."""
    from scipy.stats import kendalltau

    quality = -np.repeat(np.arange(3), 2).astype(float)  # 6 anchors, 3 grades
    wa, la = _run(quality, 1.5, seed=4, reps=2)  # every pair twice: one cluster per pair
    wb, lb = _run(quality, 0.7, seed=5, reps=2)
    ridge, resamples, seed = 0.5, 120, 9
    result = stats.compare_paired(
        quality, wa, la, wb, lb, resamples=resamples, seed=seed, ridge=ridge
    )
    keys = np.minimum(wa, la) * 6 + np.maximum(wa, la)
    pair_keys = np.unique(keys)

    def tau(winners: np.ndarray, losers: np.ndarray) -> float:
        theta = stats.fit_bradley_terry(6, winners, losers, ridge=ridge).theta
        return float(kendalltau(quality, np.round(theta, 9)).statistic)

    draws = np.random.default_rng(seed).integers(0, pair_keys.size, (resamples, pair_keys.size))
    deltas = []
    for row in draws:
        rows = np.concatenate([np.flatnonzero(keys == pair_keys[k]) for k in row])
        deltas.append(tau(wb[rows], lb[rows]) - tau(wa[rows], la[rows]))
    estimate = tau(wb, lb) - tau(wa, la)
    low, high = np.quantile(deltas, [0.025, 0.975]) + estimate - np.median(deltas)
    assert result.delta_tau_b == pytest.approx(estimate, abs=1e-12)
    assert low < high  # a real spread, not a degenerate case
    assert result.delta_tau_b_ci95 == pytest.approx((low, high), abs=1e-9)
