"""Bootstrap refits and intervals: checked against the one-at-a-time fit and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

from eng5_runner import stats
from eng5_runner.stats import _bt_batch
from eng5_runner.stats._graph import count_strong_components


def _comparisons(n: int, per_item: int | None, seed: int, spread: float = 1.5):
    """Simulated BT comparisons: round robin (per_item None) or random pairs."""
    rng = np.random.default_rng(seed)
    quality = np.sort(rng.normal(size=n))[::-1] * spread
    if per_item is None:
        a, b = np.triu_indices(n, 1)
    else:
        a = np.repeat(np.arange(n), per_item // 2)
        b = (a + rng.integers(1, n, size=a.size)) % n
    a_won = rng.random(a.size) < 1 / (1 + np.exp(-(quality[a] - quality[b])))
    return np.where(a_won, a, b), np.where(a_won, b, a)


@pytest.mark.parametrize(("n", "per_item"), [(12, None), (30, None), (90, 8)])
def test_every_refit_equals_the_single_fit_of_its_resample(n: int, per_item: int | None) -> None:
    winners, losers = _comparisons(n, per_item, seed=n)
    sample = stats.ComparisonSample(n, winners, losers)
    counts = sample.cluster_counts(12, np.random.default_rng(1))
    counts[0] = 1.0  # row 0: the data as they are
    fits = sample.refit(counts, ridge=None)
    assert fits.converged.all()
    for row in range(counts.shape[0]):
        times = counts[row, sample.cluster_of].astype(int)
        single = stats.fit_bradley_terry(n, np.repeat(winners, times), np.repeat(losers, times))
        assert (fits.ridge[row] > 0) == single.regularised
        np.testing.assert_allclose(fits.theta[row], single.theta, atol=1e-6)


def test_a_fixed_ridge_is_used_for_every_refit() -> None:
    winners, losers = _comparisons(12, None, seed=3)
    sample = stats.ComparisonSample(12, winners, losers)
    fits = sample.refit(sample.cluster_counts(5, np.random.default_rng(0)), ridge=0.5)
    assert np.all(fits.ridge == 0.5)
    times = sample.cluster_counts(5, np.random.default_rng(0))[2, sample.cluster_of].astype(int)
    single = stats.fit_bradley_terry(
        12, np.repeat(winners, times), np.repeat(losers, times), ridge=0.5
    )
    np.testing.assert_allclose(fits.theta[2], single.theta, atol=1e-6)


@pytest.mark.parametrize("n", [6, 80])  # boolean closure and scipy's csgraph
def test_strong_connectivity_matches_tarjan(n: int) -> None:
    rng = np.random.default_rng(n)
    a, b = np.triu_indices(n, 1)
    keep = rng.random(a.size) < (1.0 if n < 10 else 0.1)
    design = _bt_batch.PairDesign(n, a[keep], b[keep])
    forward = (rng.random((40, keep.sum())) < 0.6).astype(float)
    backward = (rng.random((40, keep.sum())) < 0.6).astype(float)
    got = _bt_batch.strongly_connected(design, forward, backward)
    for row in range(40):
        f, bk = forward[row] > 0, backward[row] > 0
        rows = np.concatenate([design.a[f], design.b[bk]])
        cols = np.concatenate([design.b[f], design.a[bk]])
        assert got[row] == (count_strong_components(n, rows, cols) == 1)
    assert 0 < got.sum() < 40 or n == 80  # both outcomes occur in the small case


def test_rank_agreement_matches_scipy_and_the_scalar_functions() -> None:
    rng = np.random.default_rng(7)
    expert = -np.repeat(np.arange(6), 2).astype(float)  # ties in the grades
    theta = rng.normal(size=(50, 12))
    theta[:, 3] = theta[:, 4]  # ties in the scores as well
    tau, somers = stats.rank_agreement_many(theta, expert)
    for row in range(50):
        assert tau[row] == pytest.approx(kendalltau(expert, theta[row]).statistic, abs=1e-12)
        assert somers[row] == pytest.approx(stats.somers_d(expert, theta[row]), abs=1e-12)


@pytest.mark.parametrize("n", [301, 900])
def test_rank_agreement_of_large_sets_is_linearithmic_and_equal(n: int) -> None:
    """Above the pairwise limit τ-b and Somers' d come from the O(n log n) path, same values."""
    rng = np.random.default_rng(n)
    expert = -rng.integers(0, 16, n).astype(float)
    theta = np.round(rng.normal(size=(6, n)), 1)  # many ties in the scores
    theta[0] = 0.5  # one row with every score tied
    tau, somers = stats.rank_agreement_many(theta, expert)
    assert tau[0] == somers[0] == 0.0
    for row in range(1, 6):
        assert tau[row] == pytest.approx(kendalltau(expert, theta[row]).statistic, abs=1e-12)
        assert somers[row] == pytest.approx(stats.somers_d(expert, theta[row]), abs=1e-12)


def test_percentile_interval_is_numpys_quantile() -> None:
    values = np.random.default_rng(0).normal(size=999)
    assert stats.percentile_interval(values) == pytest.approx(
        tuple(np.percentile(values, [2.5, 97.5]))
    )


def test_cluster_draws_keep_the_number_of_clusters() -> None:
    winners, losers = _comparisons(12, None, seed=1)
    sample = stats.ComparisonSample(12, winners, losers)
    counts = sample.cluster_counts(200, np.random.default_rng(5))
    assert counts.shape == (200, 66)
    assert np.all(counts.sum(axis=1) == 66)
    # each cluster drawn with probability 1 - (1 - 1/66)^66 ≈ 63 %
    assert 0.60 < float(np.mean(counts > 0)) < 0.66


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    winners, losers = _comparisons(20, None, seed=11)
    expert = -np.arange(20) // 2
    one = stats.bootstrap_agreement(20, winners, losers, expert, resamples=300, seed=4)
    again = stats.bootstrap_agreement(20, winners, losers, expert, resamples=300, seed=4)
    other = stats.bootstrap_agreement(20, winners, losers, expert, resamples=300, seed=5)
    assert one == again
    assert one.tau_b_ci95 != other.tau_b_ci95
    theta = stats.fit_bradley_terry(20, winners, losers).theta
    tau = stats.kendall_tau_b(expert, np.round(theta, 9))
    low, high = one.tau_b_ci95
    assert low < tau < high  # re-centred on the estimate
    assert -1 <= one.somers_d_ci95[0] < one.somers_d_ci95[1] <= 1
    assert "percentile bootstrap" in one.method


def test_repeated_pairs_resample_together() -> None:
    """k repeats of a pair are one resampling unit: two identical copies of every judgement
    give about the same interval, not the ~1/√2 width of independent pairs."""
    winners, losers = _comparisons(16, None, seed=2)
    expert = -np.arange(16) // 2
    kwargs = {"resamples": 400, "seed": 0}
    once = stats.bootstrap_agreement(16, winners, losers, expert, **kwargs)
    w2, l2 = np.tile(winners, 2), np.tile(losers, 2)
    twice = stats.bootstrap_agreement(16, w2, l2, expert, **kwargs)
    split = stats.bootstrap_agreement(16, w2, l2, expert, clusters=np.arange(w2.size), **kwargs)

    def width(ci: tuple[float, float]) -> float:
        return ci[1] - ci[0]

    assert width(twice.tau_b_ci95) == pytest.approx(width(once.tau_b_ci95), rel=0.25)
    assert width(split.tau_b_ci95) < 0.85 * width(twice.tau_b_ci95)


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="at least one comparison"):
        stats.bootstrap_agreement(3, [], [], [1, 0, -1])
    with pytest.raises(ValueError, match="resamples"):
        stats.bootstrap_agreement(3, [0], [1], [1, 0, -1], resamples=0)
