"""Infit/outfit mean-squares: hand-derived cases, an independent loop, simulated misfits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eng5_runner.engine.judges.simulated import SimulatedJudge
from eng5_runner.engine.pairing import round_robin
from eng5_runner.settings.models import JudgeSettings, SimulatedJudgeSettings
from eng5_runner.stats import (
    fit_bradley_terry,
    group_fit,
    item_fit,
    unexpected_judgements,
    wilson_hilferty_z,
)

LOG3 = math.log(3.0)  # θ0 − θ1 = ln 3 → P(0 beats 1) = 0.75


def test_expected_record_has_mean_squares_of_one() -> None:
    # 0 beats 1 three times, loses once: z² = 1/3 (×3) and 3; (1−p)² = 1/16 (×3), 9/16.
    fits = item_fit(2, [0, 0, 0, 1], [1, 1, 1, 0], [LOG3 / 2, -LOG3 / 2])
    for fit in fits:
        assert fit.n == 4
        assert fit.outfit == pytest.approx(1.0)
        assert fit.infit == pytest.approx(1.0)
        assert not fit.misfit


def test_reversed_record_by_hand() -> None:
    # 1 beats 0 three times: outfit = (1/3 + 3·3)/4 = 7/3; infit = (1/16 + 3·9/16)/(4·3/16) = 7/3.
    fit = item_fit(2, [0, 1, 1, 1], [1, 0, 0, 0], [LOG3 / 2, -LOG3 / 2])[0]
    assert fit.outfit == pytest.approx(7 / 3)
    assert fit.infit == pytest.approx(7 / 3)
    # W = 3/16, C = W(1 − 3W) = 21/256: q²(outfit) = C/(4W²) − 1/4 = 1/3 = q²(infit).
    q = math.sqrt(1 / 3)
    expected = ((7 / 3) ** (1 / 3) - 1) * 3 / q + q / 3
    assert expected == pytest.approx(1.8882, abs=1e-4)
    assert fit.outfit_z == pytest.approx(expected)
    assert fit.infit_z == pytest.approx(expected)
    assert not fit.misfit  # MS > 1.3 but z < 2 on four judgements


def test_wilson_hilferty_at_one_is_small() -> None:
    assert wilson_hilferty_z(1.0, 0.3) == pytest.approx(0.1)


def _loop_fit(n, winners, losers, theta):
    """A straightforward per-item loop of the textbook formulas."""
    out = []
    for item in range(n):
        z2, y2, ws, cs = [], [], [], []
        for w, lo in zip(winners, losers, strict=True):
            if item not in (w, lo):
                continue
            p = 1 / (1 + math.exp(-(theta[w] - theta[lo])))
            var = p * (1 - p)
            z2.append((1 - p) ** 2 / var)
            y2.append((1 - p) ** 2)
            ws.append(var)
            cs.append(var * (1 - 3 * var))
        m = len(z2)
        outfit = sum(z2) / m
        infit = sum(y2) / sum(ws)
        q_out = math.sqrt(max(sum(c / v**2 for c, v in zip(cs, ws, strict=True)) / m**2 - 1 / m, 0))
        q_in = math.sqrt(max(sum(c - v**2 for c, v in zip(cs, ws, strict=True)) / sum(ws) ** 2, 0))
        z_out = (outfit ** (1 / 3) - 1) * 3 / q_out + q_out / 3
        z_in = (infit ** (1 / 3) - 1) * 3 / q_in + q_in / 3
        out.append((infit, outfit, z_in, z_out))
    return out


def test_matches_an_independent_loop() -> None:
    rng = np.random.default_rng(7)
    n = 9
    truth = rng.normal(0, 1, n)
    a = rng.integers(0, n, 300)
    b = (a + rng.integers(1, n, 300)) % n
    a_wins = rng.random(300) < 1 / (1 + np.exp(-(truth[a] - truth[b])))
    winners = np.where(a_wins, a, b)
    losers = np.where(a_wins, b, a)
    theta = np.asarray(fit_bradley_terry(n, winners, losers).theta)
    ours = item_fit(n, winners, losers, theta)
    theirs = _loop_fit(n, winners.tolist(), losers.tolist(), theta.tolist())
    for fit, (infit, outfit, z_in, z_out) in zip(ours, theirs, strict=True):
        assert fit.infit == pytest.approx(infit)
        assert fit.outfit == pytest.approx(outfit)
        assert fit.infit_z == pytest.approx(z_in)
        assert fit.outfit_z == pytest.approx(z_out)
    groups = ["x" if k % 3 else "y" for k in range(300)]
    by_group = group_fit(groups, winners, losers, theta)
    mask = np.array([g == "y" for g in groups])
    p = 1 / (1 + np.exp(-(theta[winners[mask]] - theta[losers[mask]])))
    assert by_group["y"].outfit == pytest.approx(float(np.mean((1 - p) / p)))
    assert by_group["y"].n == int(mask.sum())


def test_unexpected_judgements_are_the_upsets() -> None:
    theta = [2.0, 0.0, -2.0]
    winners, losers = [0, 2, 0, 1], [1, 0, 2, 2]
    found = unexpected_judgements(0, winners, losers, theta)
    assert [u.index for u in found] == [1]
    assert found[0].p_observed == pytest.approx(1 / (1 + math.exp(4)))


def test_no_judgements_gives_none() -> None:
    fit = item_fit(3, [0], [1], [0.0, 0.0, 0.0])[2]
    assert fit.n == 0 and fit.infit is None and not fit.misfit


@pytest.mark.parametrize("seed", range(5))
def test_judge_inconsistent_on_two_essays_flags_exactly_those(seed: int) -> None:
    # 30 essays, every pair twice (58 judgements per essay); spread 1.5 grade steps.
    ids = [f"e{i:02d}" for i in range(30)]
    rng = np.random.default_rng(seed)
    qualities = {e: float(q) for e, q in zip(ids, rng.normal(0, 1.5, len(ids)), strict=True)}
    settings = JudgeSettings(
        provider="simulated",
        model="sim",
        simulated=SimulatedJudgeSettings(seed=seed, inconsistent_essays=("e03", "e17")),
    )
    judge = SimulatedJudge(settings, qualities)
    index = {e: i for i, e in enumerate(ids)}
    winners, losers = [], []
    for request in round_robin(ids, seed=seed, repeats=2):
        a_won = judge.judge_now(request).winner == "A"
        w, lo = (request.a_id, request.b_id) if a_won else (request.b_id, request.a_id)
        winners.append(index[w])
        losers.append(index[lo])
    theta = fit_bradley_terry(len(ids), winners, losers).theta
    fits = item_fit(len(ids), winners, losers, theta)
    flagged = [ids[i] for i, fit in enumerate(fits) if fit.misfit]
    assert flagged == ["e03", "e17"]
