"""Simulated judge: deterministic per seed, grade-driven, position bias visible."""

from __future__ import annotations

from eng5_runner.engine.judges.base import make_judge
from eng5_runner.engine.pairing import boundary_schedule, round_robin
from eng5_runner.engine.run_local import judge_pairs, latent_qualities
from eng5_runner.inputs.grade_scales import grade_rank
from tests.engine.engine_support import make_inventory


def _outcomes(records):
    return {(r.essay_a_id, r.essay_b_id, r.iteration): r.winner for r in records}


async def test_same_seed_same_answers_whatever_the_order(make_settings):
    inventory = make_inventory(9)
    requests = round_robin([e.essay_id for e in inventory.anchors], repeats=2)
    one = make_settings(
        "simulated", cache_mode="off", concurrency=1, simulated={"noise": 2.0, "seed": 7}
    )
    many = make_settings(
        "simulated", cache_mode="off", concurrency=64, simulated={"noise": 2.0, "seed": 7}
    )
    first = await judge_pairs(one, inventory, requests, progress=False)
    second = await judge_pairs(many, inventory, list(reversed(requests)), progress=False)
    assert _outcomes(first) == _outcomes(second)
    other = make_settings("simulated", cache_mode="off", simulated={"noise": 2.0, "seed": 8})
    third = await judge_pairs(other, inventory, requests, progress=False)
    assert _outcomes(third) != _outcomes(first)
    assert all(r.provider == "simulated" and r.model == "simulated-model" for r in first)
    assert all(1 <= (r.confidence or 0) <= 5 and r.justification for r in first)


async def test_no_noise_follows_the_grades(make_settings):
    inventory = make_inventory(9)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    settings = make_settings("simulated", cache_mode="off", simulated={"noise": 0.0})
    records = await judge_pairs(settings, inventory, requests)  # progress on, no TTY: quiet
    grade = {e.essay_id: grade_rank(e.grade or "") for e in inventory.anchors}
    assert all(grade[r.winner_id or ""] < grade[r.loser_id or ""] for r in records)


async def test_position_bias_favours_slot_a(make_settings):
    inventory = make_inventory(2)
    a, b = (e.essay_id for e in inventory.anchors)
    schedule = boundary_schedule([(a, b)], iterations=200)

    async def a_win_rate(bias: float) -> float:
        settings = make_settings(
            "simulated",
            cache_mode="off",
            simulated={"noise": 3.0, "position_bias": bias, "seed": 1},
        )
        records = await judge_pairs(settings, inventory, schedule, progress=False)
        return sum(r.winner == "A" for r in records) / len(records)

    neutral, biased = await a_win_rate(0.0), await a_win_rate(2.0)
    assert abs(neutral - 0.5) < 0.1
    assert biased > 0.75


def test_latent_qualities_from_grades_and_text(make_settings):
    inventory = make_inventory(9, n_students=4)
    qualities = latent_qualities(inventory)
    for essay in inventory.anchors:
        assert qualities[essay.essay_id] == -grade_rank(essay.grade or "")
    for essay in inventory.students:
        assert -8 <= qualities[essay.essay_id] <= 0
    assert latent_qualities(inventory) == qualities


def test_probability_and_confidence(make_settings):
    settings = make_settings("simulated", simulated={"noise": 0.6, "scale": 1.0})
    judge = make_judge(settings.judge, qualities={"x": 0.0, "y": -1.0, "z": -1.0})
    assert judge.p_a_wins("x", "y") > 0.9  # type: ignore[attr-defined]
    assert judge.p_a_wins("y", "z") == 0.5  # type: ignore[attr-defined]
    assert judge.p_a_wins("y", "x") < 0.1  # type: ignore[attr-defined]
