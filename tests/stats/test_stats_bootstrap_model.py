"""Bootstrap refits carry the run's own model: slot effect, ridge and soft outcomes.

Every batched refit is checked against an independent loop of single
``fit_bradley_terry`` calls on the same resample, and the interval against the one built
from that loop.  The simulated judge favours slot A by 2 logits while the better essays sit
mostly in slot B, so the plain fit and the position-aware fit disagree on τ-b.
"""

from __future__ import annotations

import numpy as np
import pytest

from eng5_runner import stats
from eng5_runner.stats import _bt_batch

N = 12


def _biased(seed: int, bias: float = 2.0, n: int = N, repeats: int = 1):
    """Round robin (``repeats`` times); the lower, weaker essay sits in slot A 85 % of the time."""
    rng = np.random.default_rng(seed)
    quality = np.linspace(-2.0, 2.0, n)
    a, b = np.triu_indices(n, 1)
    a, b = np.tile(a, repeats), np.tile(b, repeats)
    swap = rng.random(a.size) > 0.85
    slot_a, slot_b = np.where(swap, b, a), np.where(swap, a, b)
    a_won = rng.random(a.size) < 1 / (1 + np.exp(-(quality[slot_a] - quality[slot_b] + bias)))
    winners, losers = np.where(a_won, slot_a, slot_b), np.where(a_won, slot_b, slot_a)
    return quality, winners, losers, a_won


def _single(sample: stats.ComparisonSample, counts_row: np.ndarray, **fit: object):
    """The one-at-a-time fit of one resample (each comparison repeated as drawn)."""
    times = counts_row[sample.cluster_of].astype(int)
    y = None if sample.outcomes is None else np.repeat(sample.outcomes, times)
    in_a = None if sample.winner_in_slot_a is None else np.repeat(sample.winner_in_slot_a, times)
    return stats.fit_bradley_terry(
        sample.n,
        np.repeat(sample.winners, times),
        np.repeat(sample.losers, times),
        position_model=sample.position_model,
        winner_in_slot_a=in_a,
        outcomes=y,
        **fit,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("ridge", [None, 0.5])
@pytest.mark.parametrize("soft", [False, True])
def test_every_position_aware_refit_equals_the_single_fit(ridge: float | None, soft: bool) -> None:
    quality, winners, losers, in_a = _biased(seed=3)
    y = np.random.default_rng(0).choice([0.6, 0.8, 1.0], size=winners.size) if soft else None
    sample = stats.ComparisonSample(
        N, winners, losers, position_model="global", winner_in_slot_a=in_a, outcomes=y
    )
    counts = sample.cluster_counts(40, np.random.default_rng(2))
    counts[0] = 1.0
    fits = sample.refit(counts, ridge=ridge)
    with_b = 0
    for row in range(counts.shape[0]):
        single = _single(sample, counts[row], ridge=ridge)
        np.testing.assert_allclose(fits.theta[row], single.theta, atol=1e-6)
        if single.slot_effect is None:
            assert np.isnan(fits.slot_effect[row])
        else:
            with_b += 1
            assert fits.slot_effect[row] == pytest.approx(single.slot_effect, abs=1e-6)
        assert (fits.ridge[row] > 0) == single.regularised
    assert with_b >= 30  # most resamples do estimate the slot effect


def test_the_large_n_conjugate_gradient_path_also_fits_the_slot_effect() -> None:
    n = _bt_batch.DENSE_MAX_ITEMS + 16
    _, winners, losers, in_a = _biased(seed=5, bias=1.0, n=n)
    sample = stats.ComparisonSample(
        n, winners, losers, position_model="global", winner_in_slot_a=in_a
    )
    counts = sample.cluster_counts(4, np.random.default_rng(0))
    fits = sample.refit(counts, ridge=None)
    for row in range(4):
        single = _single(sample, counts[row])
        np.testing.assert_allclose(fits.theta[row], single.theta, atol=1e-5)
        assert fits.slot_effect[row] == pytest.approx(single.slot_effect, abs=1e-5)


def test_the_interval_is_the_slow_loops_and_centred_on_the_position_aware_estimate() -> None:
    quality, winners, losers, in_a = _biased(seed=0)
    resamples, seed = 60, 7
    boot = stats.bootstrap_agreement(
        N,
        winners,
        losers,
        quality,
        resamples=resamples,
        seed=seed,
        position_model="global",
        winner_in_slot_a=in_a,
    )
    point = stats.fit_bradley_terry(
        N, winners, losers, position_model="global", winner_in_slot_a=in_a
    )
    tau_hat = stats.kendall_tau_b(quality, np.round(point.theta, 9))
    plain = stats.fit_bradley_terry(N, winners, losers)
    tau_plain = stats.kendall_tau_b(quality, np.round(plain.theta, 9))
    assert tau_hat - tau_plain > 0.3  # the slot bias distorts the plain scale

    # the independent computation: the same draws, one single fit per resample
    sample = stats.ComparisonSample(
        N, winners, losers, position_model="global", winner_in_slot_a=in_a
    )
    counts = sample.cluster_counts(resamples, np.random.default_rng(seed))
    taus = [stats.kendall_tau_b(quality, np.round(_single(sample, row).theta, 9)) for row in counts]
    ceiling = stats.tau_b_ceiling(quality)
    expected = stats.percentile_interval(taus, centre=tau_hat, bounds=(-ceiling, ceiling))
    assert boot.tau_b_ci95 == pytest.approx(expected, abs=1e-9)
    low, high = boot.tau_b_ci95
    assert low <= tau_hat <= high
    assert not low <= tau_plain <= high  # the old plain refit's estimate lies outside
    assert boot.slot_effect_resamples > resamples // 2

    old = stats.bootstrap_agreement(N, winners, losers, quality, resamples=resamples, seed=seed)
    assert old.slot_effect_resamples == 0
    assert old.tau_b_ci95[1] < low  # plain refits describe a different, worse scale


def test_a_judge_that_always_picks_slot_a_falls_back_to_the_plain_model() -> None:
    quality, winners, losers, _ = _biased(seed=1)
    in_a = np.ones(winners.size, dtype=bool)  # the winner always sat in slot A
    boot = stats.bootstrap_agreement(
        N, winners, losers, quality, resamples=30, position_model="global", winner_in_slot_a=in_a
    )
    plain = stats.bootstrap_agreement(N, winners, losers, quality, resamples=30)
    assert boot.slot_effect_resamples == 0
    assert boot.tau_b_ci95 == pytest.approx(plain.tau_b_ci95)


def test_position_model_needs_the_slot_of_each_winner() -> None:
    _, winners, losers, _ = _biased(seed=1)
    with pytest.raises(ValueError, match="winner_in_slot_a"):
        stats.ComparisonSample(N, winners, losers, position_model="global")


def test_the_paired_bootstrap_refits_both_runs_with_the_slot_effect() -> None:
    n, resamples, seed = 30, 40, 3
    quality, wa, la, in_a_a = _biased(seed=10, bias=2.0, n=n)
    # run B: the same slot orders, an unbiased judge
    rng = np.random.default_rng(11)
    slot_a = np.where(in_a_a, wa, la)
    slot_b = np.where(in_a_a, la, wa)
    b_won_a = rng.random(wa.size) < 1 / (1 + np.exp(-(quality[slot_a] - quality[slot_b])))
    wb, lb = np.where(b_won_a, slot_a, slot_b), np.where(b_won_a, slot_b, slot_a)
    expert = np.round(quality * 2)  # tied grades, as anchors have
    model = {
        "position_model": "global",
        "winner_in_slot_a_a": in_a_a,
        "winner_in_slot_a_b": b_won_a,
    }
    result = stats.compare_paired(expert, wa, la, wb, lb, resamples=resamples, seed=seed, **model)
    fits = {}
    for name, (w, lo, flags) in {"a": (wa, la, in_a_a), "b": (wb, lb, b_won_a)}.items():
        fits[name] = stats.ComparisonSample(
            n, w, lo, position_model="global", winner_in_slot_a=flags
        )
    counts = fits["a"].cluster_counts(resamples, np.random.default_rng(seed))

    def tau(sample: stats.ComparisonSample, row: np.ndarray | None) -> float:
        theta = (
            stats.fit_bradley_terry(
                n,
                sample.winners,
                sample.losers,
                position_model="global",
                winner_in_slot_a=sample.winner_in_slot_a,
            ).theta
            if row is None
            else _single(sample, row).theta
        )
        return stats.kendall_tau_b(expert, np.round(theta, 9))

    delta_hat = tau(fits["b"], None) - tau(fits["a"], None)
    deltas = [tau(fits["b"], row) - tau(fits["a"], row) for row in counts]
    expected = stats.percentile_interval(deltas, centre=delta_hat, bounds=(-2.0, 2.0))
    assert result.delta_tau_b == pytest.approx(delta_hat, abs=1e-12)
    assert result.delta_tau_b_ci95 == pytest.approx(expected, abs=1e-9)
    plain = stats.compare_paired(expert, wa, la, wb, lb, resamples=resamples, seed=seed)
    assert plain.delta_tau_b != pytest.approx(result.delta_tau_b)
