"""Paired position test (hand-built record sets) and the proportional-odds projection."""

from __future__ import annotations

import numpy as np
import pytest

from eng5_runner.stats.boundary import binomial_test_p
from eng5_runner.stats.position import (
    OrderedJudgement as J,
)
from eng5_runner.stats.position import (
    consecutive_repeats,
    match_both_orders,
    paired_position_test,
)
from eng5_runner.stats.projection import (
    fit_grade_projection,
    leave_one_anchor_out,
    quadratic_weighted_kappa,
    ranked_probability_score,
)


def test_paired_counts_on_a_hand_built_boundary_set() -> None:
    judged = [
        J("h", "l", 0, True),
        J("l", "h", 0, True),  # slot A won both
        J("h", "l", 1, True),
        J("l", "h", 1, False),  # h won both: consistent
        J("h", "l", 2, False),
        J("l", "h", 2, False),  # slot B won both
        J("h", "l", 3, True),
        J("l", "h", 3, True),  # slot A won both
        J("h", "l", 4, True),  # its reverse failed: unmatched
    ]
    test = paired_position_test(judged)
    assert (test.matched_pairs, test.slot_a_won_both, test.slot_b_won_both) == (4, 2, 1)
    assert test.same_essay_won_both == 1
    assert test.position_paired_p == pytest.approx(binomial_test_p(2, 3))


def test_consecutive_repeats_are_matched_and_nothing_discordant_gives_one() -> None:
    judged = [J("x", "y", 0, True), J("y", "x", 1, False), J("x", "y", 2, True)]
    assert len(match_both_orders(judged, consecutive_repeats)) == 1
    assert match_both_orders(judged) == []  # same iteration: nothing matches
    assert paired_position_test(judged, consecutive_repeats).position_paired_p == 1.0
    assert paired_position_test(judged).position_paired_p is None


def test_strong_bias_is_detected_and_none_is_not() -> None:
    rng = np.random.default_rng(0)

    def run(bias_p: float) -> float | None:
        judged = []
        for pair in range(40):
            for order in (0, 1):
                a, b = ("p", f"q{pair}") if order == 0 else (f"q{pair}", "p")
                judged.append(J(a, b, 0, bool(rng.random() < bias_p)))
        return paired_position_test(judged).position_paired_p

    assert (run(0.9) or 1.0) < 1e-6
    p_values = [run(0.5) or 1.0 for _ in range(200)]
    assert 0.0 < np.mean(np.array(p_values) < 0.05) < 0.12


def test_qwk_and_rps_known_values() -> None:
    assert quadratic_weighted_kappa([0, 1, 2], [0, 1, 2], 3) == pytest.approx(1.0)
    assert quadratic_weighted_kappa([0, 1, 2, 2], [2, 1, 0, 0], 3) < 0
    assert ranked_probability_score([0, 1, 0], 1) == 0.0
    assert ranked_probability_score([1, 0, 0], 2) == pytest.approx(1.0)
    assert ranked_probability_score([0.5, 0.5, 0], 0) == pytest.approx(0.125)


def test_projection_orders_grades_and_spreads_with_se() -> None:
    ranks = [0, 1, 1, 2, 3, 3, 4, 5, 6, 6]
    theta = -np.array(ranks, dtype=float) * 1.2
    model = fit_grade_projection(theta, np.full(10, 0.4), ranks)
    assert model.categories == tuple(range(7)) and model.slope > 0
    probs = model.probabilities(theta, np.full(10, 0.4))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert list(probs.argmax(axis=1)) == ranks
    expected = model.expected_rank(probs)
    assert np.all(np.diff(expected) >= -1e-9)
    sharp = model.probabilities([theta[4]], [0.1])[0].max()
    vague = model.probabilities([theta[4]], [3.0])[0].max()
    assert vague < 0.5 < sharp


def test_projection_interpolates_a_grade_without_anchors() -> None:
    ranks = [0, 0, 1, 1, 3, 3, 4, 4]  # rank 2 has no anchor
    theta = -np.array(ranks, dtype=float)
    model = fit_grade_projection(theta, np.full(8, 0.2), ranks)
    probs = model.probabilities([-2.0], [0.2])[0]
    assert int(np.argmax(probs)) == 2


def test_leave_one_anchor_out_on_a_clean_scale() -> None:
    ranks = [r for r in range(6) for _ in range(3)]
    theta = -np.array(ranks, dtype=float) * 1.5 + np.tile([-0.2, 0.0, 0.2], 6)
    result = leave_one_anchor_out(theta, np.full(18, 0.3), ranks, resamples=200)
    assert result.n == 18
    assert (result.exact or 0) >= 0.8 and result.within_one == 1.0
    assert (result.qwk or 0) > 0.9 and result.qwk_ci95 is not None
    assert result.rps is not None and result.rps < 0.05
    low, high = result.exact_ci95 or (0, 0)
    assert low <= (result.exact or 0) <= high


def test_projection_needs_two_grades() -> None:
    with pytest.raises(ValueError, match="two different grades"):
        fit_grade_projection([0.0, 1.0], [0.1, 0.1], [2, 2])
    assert leave_one_anchor_out([0.0, 1.0], [0.1, 0.1], [1, 2]).n == 0
