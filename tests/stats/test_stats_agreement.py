"""Rank agreement (τ-b, ceiling, Somers' d, upstream τ-a) and inversion counting."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import kendalltau

from eng5_runner.stats import (
    InversionPair,
    UnknownGradeError,
    cross_grade_records,
    direct_inversions,
    inversion_rate,
    kendall_tau_b,
    majority_inversions,
    somers_d,
    tau_b_ceiling,
    tau_upstream,
)


def _brute(x: list[float], y: list[float]) -> tuple[int, int, int, int, int]:
    """(concordant, discordant, tied in x only, tied in y only, pairs) by definition."""
    c = d = tx = ty = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        if sx == 0 and sy != 0:
            tx += 1
        elif sy == 0 and sx != 0:
            ty += 1
        elif sx * sy > 0:
            c += 1
        elif sx * sy < 0:
            d += 1
    return c, d, tx, ty, len(x) * (len(x) - 1) // 2


@pytest.mark.parametrize("seed", range(5))
def test_tau_b_matches_scipy_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 5, 40)
    y = rng.integers(0, 8, 40) + 0.5 * x
    assert kendall_tau_b(x, y) == pytest.approx(kendalltau(x, y).statistic, abs=1e-12)
    z = rng.normal(size=200)
    w = z + rng.normal(size=200)
    assert kendall_tau_b(z, w) == pytest.approx(kendalltau(z, w).statistic, abs=1e-12)


def test_tau_b_undefined_cases_are_zero() -> None:
    assert kendall_tau_b([1, 1, 1], [1, 2, 3]) == 0.0
    assert kendall_tau_b([1, 2, 3], [4, 4, 4]) == 0.0
    assert kendall_tau_b([1], [2]) == 0.0
    assert kendall_tau_b([], []) == 0.0
    assert kendall_tau_b([1, 2, np.nan, 3], [1, 2, 0, 3]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="length"):
        kendall_tau_b([1, 2], [1])


def test_tau_b_ceiling_is_reached_by_a_perfect_scale() -> None:
    expert = [0, 0, 1, 2]  # one tied pair of six
    assert tau_b_ceiling(expert) == pytest.approx(np.sqrt(5 / 6))
    assert kendall_tau_b(expert, [1.0, 2.0, 3.0, 4.0]) == pytest.approx(tau_b_ceiling(expert))
    assert tau_b_ceiling([3, 1, 2]) == 1.0
    assert tau_b_ceiling([1]) == 0.0


def test_somers_d_examples() -> None:
    assert somers_d([1, 2, 3], [10, 20, 30]) == 1.0
    assert somers_d([1, 2, 3], [30, 20, 10]) == -1.0
    assert somers_d([1, 2], [5, 5]) == 0.0  # a tie in score counts half either way
    assert somers_d([1, 1, 2], [1, 2, 3]) == 1.0  # the same-grade pair is left out
    # three graded pairs: one concordant, one discordant, one tied in score → 0
    assert somers_d([1, 2, 3], [1, 3, 1]) == 0.0
    assert somers_d([4, 4, 4], [1, 2, 3]) == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_somers_d_matches_definition(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    expert = rng.integers(0, 4, 25).astype(float)
    scores = rng.integers(0, 6, 25) + expert
    c, d, _, ty, _ = _brute(list(expert), list(scores))
    assert somers_d(expert, scores) == pytest.approx((c - d) / (c + d + ty), abs=1e-12)
    # equivalently 1 − 2 × (wrong share, ties in score counting half)
    assert somers_d(expert, scores) == pytest.approx(1 - 2 * (d + ty / 2) / (c + d + ty))


GRADES_1_TO_5 = ["A", "A-", "B+", "B", "B-"]  # expected ranks 1..5 on the full scale


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ([1, 2, 3, 4, 5], 1.0),
        ([5, 4, 3, 2, 1], -1.0),
        ([1, 3, 2, 4, 5], 0.8),
        ([1, 3, 2, 5, 4], 0.6),
    ],
)
def test_tau_upstream_reference_values(actual: list[int], expected: float) -> None:
    assert tau_upstream(GRADES_1_TO_5, actual) == pytest.approx(expected)


def test_tau_upstream_orders_same_grade_by_actual_rank() -> None:
    assert tau_upstream(["B", "B", "C-"], [2, 1, 3]) == pytest.approx(1.0)
    assert tau_upstream([" c+ ", "F+"], [1, 2]) == pytest.approx(1.0)  # legacy labels
    assert tau_upstream(["A"], [1]) == 0.0
    with pytest.raises(UnknownGradeError, match="Q"):
        tau_upstream(["A", "Q"], [1, 2])


# Items 0 (A), 1 (B), 2 and 3 (both C).
GRADES = [0, 1, 2, 2]
WINNERS = [0, 0, 1, 2, 2, 1, 0, 3]
LOSERS = [1, 1, 0, 1, 1, 2, 2, 2]


def test_cross_grade_records() -> None:
    assert cross_grade_records(WINNERS, LOSERS, GRADES) == (
        InversionPair(higher=0, lower=1, higher_wins=2, lower_wins=1),
        InversionPair(higher=0, lower=2, higher_wins=1, lower_wins=0),
        InversionPair(higher=1, lower=2, higher_wins=1, lower_wins=2),
    )


def test_direct_and_majority_inversions_and_rate() -> None:
    direct = direct_inversions(WINNERS, LOSERS, GRADES)
    assert [(p.higher, p.lower) for p in direct] == [(0, 1), (1, 2)]
    majority = majority_inversions(WINNERS, LOSERS, GRADES)
    assert majority == (InversionPair(1, 2, 1, 2),)
    assert majority[0].comparisons == 3 and majority[0].majority and majority[0].inverted
    # 3 comparisons won by the lower grade out of 7 between different grades; the
    # same-grade comparison 3 > 2 is ignored.
    assert inversion_rate(WINNERS, LOSERS, GRADES) == pytest.approx(3 / 7)


def test_inversions_edge_cases() -> None:
    assert direct_inversions([], [], [0, 1]) == ()
    assert inversion_rate([0], [1], [2, 2]) == 0.0
    tie = cross_grade_records([0, 1], [1, 0], [0, 1])
    assert tie == (InversionPair(0, 1, 1, 1),) and not tie[0].majority
    with pytest.raises(ValueError, match="outside"):
        direct_inversions([0], [5], [0, 1])
    with pytest.raises(ValueError, match="integers"):
        direct_inversions([0], [1], [0.5, 1.5])


def test_tau_b_ceiling_accounts_for_ties_in_scores() -> None:
    from eng5_runner.stats import kendall_tau_b, tau_b_ceiling

    grades = [3, 3, 2, 1, 1]
    untied = [5.0, 4.0, 3.0, 2.0, 1.0]
    tied_like_grades = [4.0, 4.0, 3.0, 1.0, 1.0]
    assert kendall_tau_b(grades, untied) == pytest.approx(tau_b_ceiling(grades))
    assert kendall_tau_b(grades, tied_like_grades) == pytest.approx(1.0)
    assert tau_b_ceiling(grades, tied_like_grades) == pytest.approx(1.0)
    assert tau_b_ceiling(grades, untied) == pytest.approx(tau_b_ceiling(grades))
