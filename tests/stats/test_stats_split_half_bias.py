"""Split-half reliability and the bias statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eng5_runner.stats import (
    correlation,
    partial_correlation,
    position_effects,
    spearman_brown,
    split_half_reliability,
)


def _simulate(n: int, per_item: int, sd: float, seed: int, bias: float = 0.0):
    rng = np.random.default_rng(seed)
    truth = rng.normal(0, sd, n)
    m = n * per_item // 2
    a = rng.integers(0, n, m)
    b = (a + rng.integers(1, n, m)) % n
    a_won = rng.random(m) < 1 / (1 + np.exp(-(truth[a] - truth[b] + bias)))
    return truth, a, b, a_won


def test_spearman_brown() -> None:
    assert spearman_brown(0.5) == pytest.approx(2 / 3)
    assert spearman_brown(0.0) == 0.0
    assert spearman_brown(0.6, 3) == pytest.approx(1.8 / 2.2)


def test_split_half_tracks_the_true_reliability() -> None:
    truth, a, b, a_won = _simulate(60, 20, 1.5, 3)
    w, lo = np.where(a_won, a, b), np.where(a_won, b, a)
    half = split_half_reliability(60, w, lo, splits=10, seed=1)
    from eng5_runner.stats import fit_bradley_terry

    theta = np.asarray(fit_bradley_terry(60, w, lo).theta)
    true_rel = float(np.corrcoef(theta, truth)[0, 1]) ** 2
    assert half.low <= half.reliability <= half.high
    assert abs(half.reliability - true_rel) < 0.1
    assert half == split_half_reliability(60, w, lo, splits=10, seed=1)  # seeded


def test_split_half_of_coin_flips_is_near_zero() -> None:
    _, a, b, _ = _simulate(40, 20, 1.0, 4)
    coin = np.random.default_rng(5).random(a.size) < 0.5
    w, lo = np.where(coin, a, b), np.where(coin, b, a)
    assert abs(split_half_reliability(40, w, lo, splits=10).reliability) < 0.3


def test_split_half_too_little_data() -> None:
    assert split_half_reliability(5, [0, 1], [1, 2]).reliability == 0.0


def test_fisher_interval_by_hand() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=28)
    y = 0.6 * x + rng.normal(size=28)
    c = correlation(x, y)
    r = float(np.corrcoef(x, y)[0, 1])
    assert c.r == pytest.approx(r)
    z = math.atanh(r)
    assert c.low == pytest.approx(math.tanh(z - 1.959964 / 5), abs=1e-5)
    assert c.high == pytest.approx(math.tanh(z + 1.959964 / 5), abs=1e-5)


def test_partial_correlation_matches_the_formula() -> None:
    rng = np.random.default_rng(1)
    g = rng.normal(size=50)
    x = g + rng.normal(size=50)
    y = g + 0.5 * x + rng.normal(size=50)
    rxy, rxg, ryg = (float(np.corrcoef(u, v)[0, 1]) for u, v in ((x, y), (x, g), (y, g)))
    expected = (rxy - rxg * ryg) / math.sqrt((1 - rxg**2) * (1 - ryg**2))
    p = partial_correlation(x, y, g)
    assert p.r == pytest.approx(expected)
    half = 1.959964 / math.sqrt(50 - 4)
    assert p.low == pytest.approx(math.tanh(math.atanh(expected) - half), abs=1e-5)
    assert partial_correlation(x, y, np.ones(50)).r is None


def test_position_effect_detects_slot_a_bias() -> None:
    from eng5_runner.stats import fit_bradley_terry

    for bias, expect in ((1.0, True), (0.0, False)):
        _, a, b, a_won = _simulate(30, 30, 1.0, 6, bias=bias)
        w, lo = np.where(a_won, a, b), np.where(a_won, b, a)
        theta = fit_bradley_terry(30, w, lo).theta
        audit = position_effects(30, a, b, a_won, theta)
        assert audit.evidence is expect
        assert (audit.z > 2) is expect
        assert len(audit.effects) == 30
