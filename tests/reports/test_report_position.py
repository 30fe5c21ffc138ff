"""Slot effect and paired position test in the anchor-align and boundary reports."""

from __future__ import annotations

import json

import pytest

from eng5_runner.handlers.anchor_align import AnchorAlignHandler
from eng5_runner.handlers.boundary import BoundaryTestHandler
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.reports.alignment import build_alignment, render_alignment_markdown
from eng5_runner.reports.boundary import build_boundary, render_boundary_markdown
from eng5_runner.reports.context import ReportContext
from eng5_runner.reports.position import soft_outcome
from eng5_runner.reports.summary import summary_from_alignment, summary_from_boundary
from eng5_runner.settings.models import ReportTargets
from tests.reports.builders import Recorder, essay, settings

H1, L1 = essay("H1", "B"), essay("L1", "C+")
H2, L2 = essay("H2", "D+"), essay("L2", "D-")


def _ctx() -> ReportContext:
    return ReportContext.from_settings(settings(), run_signature="abc123def456", git_sha=None)


def test_boundary_paired_counts_per_pair_and_pooled() -> None:
    rec = Recorder()
    for it in range(3):  # pair 1: slot A won both orders three times
        rec.won(H1, L1, "A", iteration=it)
        rec.won(L1, H1, "A", iteration=it)
    rec.won(H1, L1, "A", iteration=3)  # higher won both: consistent
    rec.won(L1, H1, "B", iteration=3)
    rec.won(H2, L2, "B", iteration=0)  # pair 2: slot B won both
    rec.won(L2, H2, "B", iteration=0)
    rec.won(H2, L2, "A", iteration=1)  # reverse failed: unmatched
    rec.failed(L2, H2, iteration=1)
    result = build_boundary(rec.records, [(H1, L1), (H2, L2)], targets=ReportTargets())
    one, two = (p.stats for p in result.pairs)
    assert (one.slot_a_won_both, one.slot_b_won_both) == (3, 0)
    assert one.position_paired_p == pytest.approx(0.25)
    assert (two.slot_a_won_both, two.slot_b_won_both, two.position_paired_p) == (0, 1, 1.0)
    pooled = result.pooled
    assert (pooled.slot_a_won_both, pooled.slot_b_won_both) == (3, 1)
    assert pooled.position_paired_p == pytest.approx(0.625)
    metrics = summary_from_boundary(result).metrics
    assert metrics["position_paired_p"] == pytest.approx(0.625)
    assert "A won both / B won both" in render_boundary_markdown(result, _ctx())


def test_alignment_with_repeats_reports_slot_effect_and_paired_test() -> None:
    anchors = [essay(f"X{i}", g) for i, g in enumerate(["A", "B", "C+", "C-", "D+"])]
    rec = Recorder()
    for rep in range(2):  # both orders; slot A always wins when the gap is one grade
        for i in range(5):
            for j in range(i + 1, 5):
                a, b = (anchors[i], anchors[j]) if rep == 0 else (anchors[j], anchors[i])
                winner = "A" if j - i == 1 else ("A" if a is anchors[i] else "B")
                rec.won(a, b, winner, iteration=rep)
    result = build_alignment(
        rec.records,
        anchors,
        grade_scale="eng5_np_legacy_9_step",
        targets=ReportTargets(),
        position_model="global",
    )
    pos = result.position_fit
    assert pos is not None and pos.slot_effect is not None and pos.slot_effect > 0
    assert pos.matched_pairs == 10 and pos.slot_a_won_both == 4 and pos.slot_b_won_both == 0
    low, high = pos.slot_effect_ci95 or (0, 0)
    assert low < pos.slot_effect < high
    metrics = summary_from_alignment(result).metrics
    assert metrics["slot_effect"] == pos.slot_effect
    assert metrics["slot_a_won_both"] == 4
    text = render_alignment_markdown(result, _ctx())
    assert "The judge favours slot A by" in text and "Paired position test over 10" in text
    plain = build_alignment(
        rec.records, anchors, grade_scale="eng5_np_legacy_9_step", targets=ReportTargets()
    )
    assert plain.position_fit is not None and plain.position_fit.slot_effect is None
    assert "position_model=none" in render_alignment_markdown(plain, _ctx())


def test_soft_outcome_mapping() -> None:
    assert [soft_outcome(c) for c in (1, 2, 3, 4, 5)] == pytest.approx([0.6, 0.7, 0.8, 0.9, 1.0])
    assert soft_outcome(None) == 1.0 and soft_outcome(9) == 1.0


def test_biased_simulated_judge_runs_through_the_handlers(
    settings_factory, sample_inventory: RunnerInventory, tmp_path
) -> None:
    align = settings_factory(
        "mode=anchor-align-test",
        "pairing.repeats=2",
        "judge.simulated.position_bias=3.0",
        "judge.simulated.noise=2.0",
        "judge.outcome=confidence",
        "report.plots=false",
    )
    paths = RunnerPaths(tmp_path / "a").ensure()
    AnchorAlignHandler().execute(align, sample_inventory, paths)
    metrics = json.loads(paths.summary.read_text())["metrics"]
    assert metrics["slot_effect"] > 1.0 and metrics["position_paired_p"] < 0.01
    boundary = settings_factory(
        "mode=boundary-test",
        "boundary=sample",
        "boundary.iterations=20",
        "judge.simulated.position_bias=3.0",
        "report.plots=false",
    )
    paths = RunnerPaths(tmp_path / "b").ensure()
    BoundaryTestHandler().execute(boundary, sample_inventory, paths)
    metrics = json.loads(paths.summary.read_text())["metrics"]
    assert metrics["position_paired_p"] < 0.01 and metrics["slot_a_won_both"] > 10


def test_sweep_rows_keep_the_slot_effect_and_its_interval() -> None:
    from eng5_runner.reports.sweep import SweepRow

    row = SweepRow(
        job="0",
        overrides=(),
        mode="anchor-align-test",
        status="success",
        metrics={"tau_b": 0.9, "slot_effect": 0.3, "slot_effect_ci95": [0.1, 0.5]},
    )
    assert row.metrics == {"tau_b": 0.9, "slot_effect": 0.3, "slot_effect_ci95": [0.1, 0.5]}
