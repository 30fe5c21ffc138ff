"""summary.json for sweeps, and the report context's provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from eng5_runner.reports.alignment import build_alignment
from eng5_runner.reports.boundary import build_boundary
from eng5_runner.reports.context import ReportContext
from eng5_runner.reports.summary import (
    read_run_summary,
    summary_from_alignment,
    summary_from_boundary,
    write_run_summary,
)
from eng5_runner.reports.sweep import HEADLINE_METRICS, read_job
from eng5_runner.settings.models import PromptSettings, ReportTargets, RunnerMode
from tests.reports.builders import Recorder, essay, settings
from tests.reports.test_report_alignment import ANCHORS, P, Q, small_case
from tests.reports.test_report_boundary import PAIRS, records


def _strict(text: str) -> dict[str, object]:
    def reject(name: str) -> None:
        raise AssertionError(f"non-JSON constant {name}")

    data: dict[str, object] = json.loads(text, parse_constant=reject)
    return data


def test_alignment_summary(tmp_path: Path) -> None:
    result = build_alignment(
        small_case().records, ANCHORS, grade_scale="eng5_np_legacy_9_step", targets=ReportTargets()
    )
    ctx = ReportContext.from_settings(settings(), run_signature="sig", git_sha=None)
    summary = summary_from_alignment(result, ctx=ctx)
    assert set(HEADLINE_METRICS["anchor-align-test"]) <= set(summary.metrics)
    assert summary.metrics["direct_inversions"] == 1
    assert summary.metrics["zero_win_excl_bottom"] == 0
    assert summary.metrics["slot_a_rate"] == pytest.approx(0.25)
    assert summary.targets == {
        "direct_inversions": True,
        "zero_win_excl_bottom": True,
        "tau_upstream": True,
        "ab_regression": False,
    }
    assert summary.targets_met is False
    assert (summary.comparisons, summary.failures, summary.tokens) == (8, 1, 880)
    assert summary.system_prompt == "001_baseline" and summary.simulated is True
    path = summary.write(tmp_path / "summary.json")
    _strict(path.read_text(encoding="utf-8"))
    assert read_run_summary(path) == summary
    row = read_job(tmp_path)
    assert row is not None and row.metrics["tau_b"] == summary.metrics["tau_b"]


def test_boundary_summary_with_undefined_values(tmp_path: Path) -> None:
    summary = summary_from_boundary(
        build_boundary(records().records, PAIRS, targets=ReportTargets())
    )
    assert set(HEADLINE_METRICS["boundary-test"]) <= set(summary.metrics)
    assert summary.metrics["pooled_win_rate"] == pytest.approx(5 / 6)
    assert summary.targets_met is True and summary.mode == "boundary-test"
    empty = summary_from_boundary(build_boundary([], PAIRS, targets=ReportTargets()))
    assert empty.metrics["pooled_win_rate"] is None and empty.targets_met is False
    _strict(empty.write(tmp_path / "summary.json").read_text(encoding="utf-8"))


def test_write_run_summary_for_modes_without_results(tmp_path: Path) -> None:
    summary = write_run_summary(
        tmp_path / "summary.json", mode="dry-run", status="stub", metrics={}, targets={}
    )
    assert summary.targets_met is None
    assert _strict((tmp_path / "summary.json").read_text(encoding="utf-8"))["status"] == "stub"


def test_context_from_settings(tmp_path: Path) -> None:
    rec = Recorder()
    rec.won(P, Q, "A")
    cached = rec.records[0].model_copy(update={"cached": True, "comparison_id": "c9"})
    rec.failed(P, Q)
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("From a file.", encoding="utf-8")
    base = settings(RunnerMode.ANCHOR_ALIGN_TEST, provider="openai")
    base = base.model_copy(update={"system_prompt": PromptSettings(name="f", file=prompt)})
    ctx = ReportContext.from_settings(
        base,
        run_signature="sig",
        git_sha="ABCDEF1",
        records=[*rec.records, cached],
        overrides=["a=1"],
        rubric_text="resolved rubric",
        partial_data=True,
        warnings=["late callbacks"],
    )
    assert not ctx.simulated and ctx.git_sha == "abcdef1"
    assert ctx.system_prompt.text == "From a file." and ctx.system_prompt.sha256
    assert ctx.rubric.text == "resolved rubric"
    assert (ctx.cache_hits, ctx.new_calls) == (1, 2)
    assert ctx.models_observed == ("simulated/sim-1",)
    assert ctx.overrides == ("a=1",) and ctx.partial_data
    assert ctx.with_warnings("more").warnings == ("late callbacks", "more")
    assert ctx.generation_params["max_tokens"] == 1024
    assert not ctx.assignment_included and ctx.assignment_name is None


@pytest.mark.parametrize("sha", ["UNKNOWN", "", "xyz1234", "0" * 41])
def test_context_rejects_placeholder_git_sha(sha: str) -> None:
    with pytest.raises(ValidationError):
        ReportContext.from_settings(settings(), run_signature="sig", git_sha=sha)


def test_student_essay_helper_is_unique() -> None:
    assert essay("a", "A").essay_id != essay("a", None, role="student").essay_id
