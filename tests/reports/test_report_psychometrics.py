"""The Psychometrics section: length-bias verdicts, misfit listing, report and metrics."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from eng5_runner.engine.judges.simulated import SimulatedJudge
from eng5_runner.engine.pairing import balanced
from eng5_runner.engine.records import JudgementRecord
from eng5_runner.inputs.grade_scales import grade_rank
from eng5_runner.inputs.inventory import Essay, FileRecord, essay_id_for
from eng5_runner.reports.psychometrics import (
    build_psychometrics,
    psychometrics_metrics,
    render_psychometrics_markdown,
)
from eng5_runner.settings.models import JudgeSettings, SimulatedJudgeSettings

GRADES = ("A", "B", "C+", "C-", "D+", "D-", "E+", "E-", "F+")


def _essays(n: int, seed: int) -> list[Essay]:
    """Graded anchors whose lengths (150–600 words) are independent of their grades."""
    rng = np.random.default_rng(seed)
    essays = []
    for i in range(n):
        grade = GRADES[i % len(GRADES)]
        text = f"essay {i} " + "word " * int(rng.integers(150, 600))
        essays.append(
            Essay(
                essay_id=essay_id_for("anchor", text),
                label=f"a{i:02d}_{grade}",
                stem=f"a{i:02d}",
                role="anchor",
                grade=grade,
                text=text,
                source=FileRecord(path=Path(f"a{i:02d}.txt"), exists=False),
            )
        )
    return essays


def _judge(essays: list[Essay], seed: int, per_essay: int = 12, **sim) -> list[JudgementRecord]:
    settings = JudgeSettings(
        provider="simulated", model="sim", simulated=SimulatedJudgeSettings(seed=seed, **sim)
    )
    qualities = {e.essay_id: -float(grade_rank(str(e.grade))) for e in essays}
    judge = SimulatedJudge(
        settings, qualities, word_counts={e.essay_id: e.word_count for e in essays}
    )
    records = []
    for request in balanced([e.essay_id for e in essays], per_essay=per_essay, seed=seed):
        answer = judge.judge_now(request)
        a_won = answer.winner == "A"
        records.append(
            JudgementRecord(
                comparison_id=request.comparison_id,
                essay_a_id=request.a_id,
                essay_b_id=request.b_id,
                status="succeeded",
                winner=answer.winner,
                winner_id=request.a_id if a_won else request.b_id,
                loser_id=request.b_id if a_won else request.a_id,
                provider="simulated",
                model="sim",
            )
        )
    return records


def _length_flagged(length_bias: float, seed: int) -> bool:
    essays = _essays(45, seed)
    records = _judge(essays, seed, noise=1.2, length_bias=length_bias)
    psy = build_psychometrics(records, essays, grade_scale="eng5_np_legacy_9_step")
    assert psy is not None
    return psy.length_bias.evidence


def test_length_biased_judge_is_flagged_unbiased_mostly_not() -> None:
    # 45 graded essays, 12 comparisons each; bias = +2 logits per doubling of length.
    biased = sum(_length_flagged(2.0, seed) for seed in range(8))
    unbiased = sum(_length_flagged(0.0, seed) for seed in range(8))
    assert biased >= 7
    assert unbiased <= 1


def test_misfitting_essays_listed_with_their_upsets() -> None:
    essays = _essays(27, 3)
    bad = (essays[4].essay_id, essays[13].essay_id)
    records = _judge(essays, 3, per_essay=26, noise=0.6, inconsistent_essays=bad)
    records += [
        r.model_copy(update={"comparison_id": r.comparison_id + "r", "iteration": 1})
        for r in _judge(essays, 4, per_essay=26, noise=0.6, inconsistent_essays=bad)
    ]
    psy = build_psychometrics(records, essays, grade_scale="eng5_np_legacy_9_step")
    assert psy is not None
    assert {row.essay_id for row in psy.misfitting} == set(bad)
    assert psy.unexpected and {u.essay for u in psy.unexpected} <= {
        essays[4].label,
        essays[13].label,
    }
    assert all(u.p_observed <= 0.3 for u in psy.unexpected)
    assert [j.name for j in psy.judges] == ["simulated/sim repeat 0", "simulated/sim repeat 1"]
    text = render_psychometrics_markdown(psy)
    for part in ("## Psychometrics", "Split-half", "SSR", essays[4].label, "Length", "Position"):
        assert part in text
    metrics = psychometrics_metrics(psy)
    assert metrics["misfit_essays"] == 2
    assert 0 < float(metrics["split_half_reliability"] or 0) <= 1
    assert metrics["length_bias_partial_r_ci95_low"] is not None


def test_too_little_data_gives_no_section() -> None:
    essays = _essays(3, 0)
    assert build_psychometrics([], essays, grade_scale="eng5_np_legacy_9_step") is None
    assert render_psychometrics_markdown(None) == ""
    assert psychometrics_metrics(None) == {}
