"""anchor-align-test report: every number of small hand-checkable cases."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from rich.console import Console

from eng5_runner.errors import InputError
from eng5_runner.reports.alignment import (
    AlignmentResult,
    build_alignment,
    print_alignment_summary,
    render_alignment_markdown,
)
from eng5_runner.reports.context import ReportContext
from eng5_runner.settings.models import ReportTargets
from eng5_runner.stats import fit_bradley_terry, wilson_interval
from tests.reports.builders import Recorder, essay, perfect_round_robin, settings

P, Q, R, S = essay("P", "A"), essay("Q", "B"), essay("R", "C+"), essay("S", "C-")
ANCHORS = (P, Q, R, S)


def small_case() -> Recorder:
    """P > Q > R > S by grade; R beats Q once (an inversion); S never wins; one failure."""
    rec = Recorder()
    rec.won(P, Q, "A", confidence=4)
    rec.won(Q, R, "B", confidence=2, justification="R argues more clearly")  # inversion
    rec.won(R, Q, "B", confidence=3)
    rec.won(R, P, "B")
    rec.won(S, P, "B")
    rec.won(Q, S, "A")
    rec.failed(R, S, "timeout after 3 attempts")
    rec.won(S, R, "B")
    rec.won(R, Q, "B")
    return rec


@pytest.fixture(scope="module")
def result() -> AlignmentResult:
    return build_alignment(
        small_case().records, ANCHORS, grade_scale="eng5_np_legacy_9_step", targets=ReportTargets()
    )


def ctx(**changes: object) -> ReportContext:
    base = ReportContext.from_settings(
        settings(),
        run_signature="abc123def456",
        git_sha=None,
        records=small_case().records,
        overrides=("judge=simulated", "rubric=r_fenced"),
    )
    return base.model_copy(update=changes)


def test_counts_and_failures(result: AlignmentResult) -> None:
    assert (result.counts.total, result.counts.successful, result.counts.failed) == (9, 8, 1)
    assert result.counts.tokens == 8 * 110
    assert result.counts.cost_usd == pytest.approx(0.008)
    (failure,) = result.failures
    assert (failure.comparison_id, failure.essay_a, failure.essay_b) == ("c00007", "R", "S")
    assert failure.reason == "timeout after 3 attempts"


def test_per_anchor_rows(result: AlignmentResult) -> None:
    rows = {row.label: row for row in result.anchors}
    assert [row.label for row in result.anchors] == ["P", "Q", "R", "S"]
    assert [(rows[x].wins, rows[x].losses) for x in "PQRS"] == [(3, 0), (3, 2), (2, 3), (0, 3)]
    assert rows["Q"].comparisons == 5 and rows["Q"].win_rate == pytest.approx(0.6)
    assert rows["S"].win_rate == 0.0 and rows["S"].source_file == "S.txt"
    assert [rows[x].actual_rank for x in "PQRS"] == [1, 2, 3, 4]
    assert [rows[x].expected_rank for x in "PQRS"] == [1, 2, 3, 4]
    assert rows["P"].bt_flag == "no losses" and rows["S"].bt_flag == "no wins"
    fit = fit_bradley_terry(
        4, np.array([0, 2, 1, 0, 0, 1, 2, 1]), np.array([1, 1, 2, 2, 3, 3, 3, 2])
    )
    for i, x in enumerate("PQRS"):
        assert rows[x].theta == pytest.approx(float(fit.theta[i]))
        assert rows[x].se == pytest.approx(float(fit.se[i]))
        assert rows[x].ci_low == pytest.approx(fit.theta[i] - 1.959964 * fit.se[i], abs=1e-5)
        assert rows[x].ci_high == pytest.approx(fit.theta[i] + 1.959964 * fit.se[i], abs=1e-5)
    assert sum(row.theta or 0 for row in result.anchors) == pytest.approx(0.0, abs=1e-9)
    assert result.bt.regularised and (result.bt.n_components or 0) > 1
    assert result.bt.zero_win == ("S",) and result.bt.zero_loss == ("P",)


def test_agreement_metrics(result: AlignmentResult) -> None:
    assert result.tau_b == pytest.approx(1.0)
    assert result.tau_b_ceiling == pytest.approx(1.0)
    assert result.somers_d == pytest.approx(1.0)
    assert result.tau_upstream == pytest.approx(1.0)
    assert result.ssr is not None and math.isfinite(result.ssr)


def test_inversions(result: AlignmentResult) -> None:
    assert result.direct_inversions == 1
    assert result.majority_inversions == 0
    assert (result.inverted_comparisons, result.cross_grade_comparisons) == (1, 8)
    assert result.inversion_rate == pytest.approx(0.125)
    (inv,) = result.inversions
    assert (inv.higher_label, inv.lower_label, inv.higher_wins, inv.lower_wins) == ("Q", "R", 2, 1)
    assert inv.mean_confidence == pytest.approx(2.0)
    assert inv.justification == "R argues more clearly"
    assert inv.involves_ab and not inv.majority
    assert result.ab_regression == 1


def test_zero_wins_and_position(result: AlignmentResult) -> None:
    assert result.zero_win_anchors == 1 and result.zero_win_labels == ("S",)
    assert result.zero_win_excl_bottom == 0 and result.lowest_grade == "C-"
    pos = result.position
    assert (pos.k, pos.n) == (2, 8) and pos.rate == pytest.approx(0.25)
    assert (pos.low, pos.high) == pytest.approx(wilson_interval(2, 8))
    assert pos.p_value == pytest.approx(74 / 256)  # 2 · P(X ≤ 2), X ~ Bin(8, 1/2)


def test_win_matrix_and_targets(result: AlignmentResult) -> None:
    assert result.win_matrix == ((0, 1, 1, 1), (0, 0, 2, 1), (0, 1, 0, 1), (0, 0, 0, 0))
    checks = {c.name: c for c in result.targets}
    assert checks["direct_inversions"].passed and checks["direct_inversions"].value == 1
    assert checks["zero_win_excl_bottom"].passed
    assert checks["tau_upstream"].passed and checks["tau_upstream"].threshold == 0.9
    assert not checks["ab_regression"].passed
    assert not result.targets_met


def test_perfect_round_robin_reaches_ceiling() -> None:
    anchors = [
        essay("a1", "A"),
        essay("b1", "B"),
        essay("b2", "B"),
        essay("c1", "C+"),
        essay("d1", "C-"),
        essay("d2", "C-"),
    ]
    result = build_alignment(
        perfect_round_robin(anchors),
        anchors,
        grade_scale="eng5_np_legacy_9_step",
        targets=ReportTargets(),
    )
    assert result.tau_b_ceiling == pytest.approx(math.sqrt(13 / 15))
    assert result.tau_b == pytest.approx(result.tau_b_ceiling)
    assert result.somers_d == pytest.approx(1.0)
    assert result.tau_upstream == pytest.approx(1.0)
    assert result.direct_inversions == 0 and result.majority_inversions == 0
    assert result.inversion_rate == 0.0
    assert result.zero_win_anchors == 1 and result.zero_win_excl_bottom == 0
    assert [a.actual_rank for a in result.anchors] == [1, 2, 3, 4, 5, 6]
    assert result.position.n == 15 and result.targets_met


def test_no_successful_comparisons_is_all_undefined() -> None:
    rec = Recorder()
    rec.failed(P, Q, "provider 500")
    result = build_alignment(
        rec.records, ANCHORS, grade_scale="eng5_np_legacy_9_step", targets=ReportTargets()
    )
    assert result.tau_b is None and result.tau_upstream is None and result.ssr is None
    assert not result.bt.fitted and result.bt.note
    assert result.position.rate is None and result.inversion_rate is None
    assert result.zero_win_anchors == 4 and result.zero_win_excl_bottom == 3
    assert all(row.theta is None and row.actual_rank is None for row in result.anchors)
    assert not result.targets_met
    text = render_alignment_markdown(result, ctx())
    assert not re.search(r"\b(nan|inf)\b", text, re.IGNORECASE)
    assert "—" in text


def test_non_anchor_records_are_left_out_with_a_warning() -> None:
    rec = small_case()
    rec.won(P, essay("stranger", None, role="student"), "A")
    result = build_alignment(
        rec.records, ANCHORS, grade_scale="eng5_np_legacy_9_step", targets=ReportTargets()
    )
    assert result.counts.successful == 9 and result.position.n == 8
    assert any("not anchors" in w for w in result.warnings)
    assert (
        "> ⚠️ 1 successful comparison(s) involve essays that are not anchors"
        in render_alignment_markdown(result, ctx())
    )


def test_unknown_grade_is_an_input_error() -> None:
    with pytest.raises(InputError, match="A-"):
        build_alignment(
            [], [essay("x", "A-"), P], grade_scale="eng5_np_legacy_9_step", targets=ReportTargets()
        )


def test_markdown_sections(result: AlignmentResult) -> None:
    text = render_alignment_markdown(
        result, ctx(), plots=["plots/bt_scale.png", "plots/win_matrix.png"]
    )
    assert text.startswith("# Anchor alignment report: unit-batch\n")
    assert "Simulated judge — not an LLM; numbers show the pipeline, not a prompt's quality" in text
    for heading in (
        "## Summary",
        "## Bradley–Terry fit",
        "## Per-anchor results",
        "## Inversions",
        "## Failed judgements",
        "## Plots",
        "## Prompts used",
        "## Provenance",
    ):
        assert f"\n{heading}\n" in text, heading
    assert "![Bradley–Terry scale with 95% intervals](plots/bt_scale.png)" in text
    assert "(plots/win_matrix.png)" in text
    assert "| Direct inversions (unique pairs) | 1 | <= 1 | ✅ pass |" in text
    assert "❌ fail" in text
    assert "R argues more clearly" in text and "| 2–1 |" in text
    assert "c00007" in text and "timeout after 3 attempts" in text
    assert "````text\nJudge clarity.\n```\ninner fence\n```\n````" in text  # longer fence
    assert "`judge=simulated`" in text and "abc123def456" in text
    assert "not a git checkout" in text
    assert "Partial data" not in text
    assert not re.search(r"\b(nan|inf)\b", text, re.IGNORECASE)


def test_markdown_banners_follow_context(result: AlignmentResult) -> None:
    real = ctx(simulated=False, partial_data=True, warnings=("store was locked",))
    text = render_alignment_markdown(result, real)
    assert "Simulated judge" not in text
    assert "**Partial data:**" in text and "store was locked" in text
    assert "## Plots" not in text


def test_terminal_summary(result: AlignmentResult) -> None:
    console = Console(record=True, width=120)
    print_alignment_summary(result, console)
    out = console.export_text()
    assert "τ-b" in out and "Direct inversions" in out and "fail" in out


def test_all_same_grade_leaves_grade_metrics_undefined() -> None:
    anchors = [essay("x1", "B"), essay("x2", "B"), essay("x3", "B")]
    result = build_alignment(
        perfect_round_robin(anchors),
        anchors,
        grade_scale="eng5_np_legacy_9_step",
        targets=ReportTargets(),
    )
    assert result.tau_b is None and result.tau_b_ceiling is None and result.somers_d is None
    assert result.direct_inversions == 0 and result.inversion_rate is None
    assert result.zero_win_anchors == 1 and result.zero_win_excl_bottom == 0


def test_ridge_settings_reach_the_fit() -> None:
    records = small_case().records
    strict = build_alignment(
        records, ANCHORS, grade_scale="eng5_np_legacy_9_step", targets=ReportTargets(), ridge=0.0
    )
    assert not strict.bt.fitted and strict.tau_b is None
    assert any("does not exist" in w for w in strict.warnings)
    ridged = build_alignment(
        records, ANCHORS, grade_scale="eng5_np_legacy_9_step", targets=ReportTargets(), ridge=2.0
    )
    assert ridged.bt.regularised and ridged.bt.ridge == 2.0
    assert "ridge λ = 2.0000" in render_alignment_markdown(ridged, ctx())
