"""Wilson and t intervals, binomial test, modal agreement, order effect, consistency."""

from __future__ import annotations

import math

import pytest
from scipy.stats import binomtest

from eng5_runner.stats import (
    binomial_test_p,
    mean_t_interval,
    modal_agreement,
    order_effect,
    position_consistency,
    wilson_interval,
)


def test_wilson_table_values() -> None:
    assert wilson_interval(8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert wilson_interval(5, 10, confidence=0.9) == pytest.approx((0.2693, 0.7307), abs=1e-4)


def test_wilson_degenerate_and_invalid() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(1, 1)
    assert high == 1.0 and 0 < low < 1
    with pytest.raises(ValueError):
        wilson_interval(3, 2)
    with pytest.raises(ValueError):
        wilson_interval(1, 2, confidence=1.0)


@pytest.mark.parametrize(("k", "n", "p"), [(3, 10, 0.5), (0, 7, 0.5), (18, 20, 0.5), (4, 9, 0.3)])
def test_binomial_p_matches_scipy(k: int, n: int, p: float) -> None:
    assert binomial_test_p(k, n, p) == pytest.approx(binomtest(k, n, p).pvalue, rel=1e-12)


def test_binomial_p_edges() -> None:
    assert binomial_test_p(0, 0) == 1.0
    assert binomial_test_p(5, 10) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        binomial_test_p(1, 2, p=1.5)


def test_mean_t_interval() -> None:
    m, low, high = mean_t_interval([1.0, 2.0, 3.0])
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, 2) × s / √n with s = 1
    assert (m, low, high) == pytest.approx((2.0, 2.0 - half, 2.0 + half))
    assert mean_t_interval([4]) == (4.0, 4.0, 4.0)
    assert mean_t_interval([3, 3, 3]) == (3.0, 3.0, 3.0)
    with pytest.raises(ValueError, match="at least one"):
        mean_t_interval([])
    with pytest.raises(ValueError, match="finite"):
        mean_t_interval([1.0, float("nan")])


def test_modal_agreement() -> None:
    assert modal_agreement(7, 10) == 0.7
    assert modal_agreement(3, 10) == 0.7
    assert modal_agreement(5, 10) == 0.5
    assert modal_agreement(0, 0) == 0.0


def test_order_effect() -> None:
    # higher in A: won 2 of 2; higher in B: won 1 of 2 → 1.0 − 0.5
    assert order_effect([True, True, False, False], [True, True, True, False]) == 0.5
    assert order_effect([True, True], [True, False]) == 0.0  # no comparisons in B
    assert order_effect([], []) == 0.0
    with pytest.raises(ValueError, match="length"):
        order_effect([True], [])


def test_position_consistency() -> None:
    ab = [True, True, False, None]
    ba = [True, False, False, True]
    assert position_consistency(ab, ba) == pytest.approx(2 / 3)
    assert position_consistency([None], [True]) == 0.0
    with pytest.raises(ValueError, match="length"):
        position_consistency([True], [])
