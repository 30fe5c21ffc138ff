"""Execute mode: projected grades in summary/report, and the locked anchor scale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eng5_runner.engine.judges.simulated import SimulatedJudge
from eng5_runner.errors import InputError
from eng5_runner.handlers.anchor_align import AnchorAlignHandler
from eng5_runner.handlers.execute import ExecuteHandler
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.reports.artefact import validate_artefact
from eng5_runner.settings.models import RunnerMode


def _count_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every (slot A, slot B) the simulated judge is asked about."""
    calls: list[tuple[str, str]] = []
    original = SimulatedJudge.judge_now

    def counting(self, request):  # type: ignore[no-untyped-def]
        calls.append((request.a_id, request.b_id))
        return original(self, request)

    monkeypatch.setattr(SimulatedJudge, "judge_now", counting)
    return calls


def test_execute_projects_every_student(settings_factory, run_paths: RunnerPaths) -> None:
    settings = settings_factory("mode=execute", "cache=off")
    inventory = RunnerInventory.load(settings.dataset, RunnerMode.EXECUTE)
    assert ExecuteHandler().execute(settings, inventory, run_paths) == 0
    summary = json.loads(run_paths.summary.read_text())
    students = summary["students"]
    assert len(students) == len(inventory.students)
    for s in students:
        assert set(s) >= {"essay_id", "theta", "se", "projected_grade", "grade_probs"}
        assert sum(s["grade_probs"].values()) == pytest.approx(1.0, abs=1e-4)
        assert s["projected_grade"] == max(s["grade_probs"], key=s["grade_probs"].get)
    metrics = summary["metrics"]
    assert 0.0 <= metrics["projection_exact_loo"] <= metrics["projection_within_one_loo"] <= 1
    assert metrics["projection_qwk_loo"] is not None
    assert metrics["slot_effect"] is not None and len(metrics["slot_effect_ci95"]) == 2
    report = run_paths.report.read_text()
    assert "Projected grades" in report and "leave one anchor out" in report
    assert "Indicative grade" not in report
    assert "favours slot" in report
    validate_artefact(json.loads(run_paths.artefact.read_text()))


def test_locked_scale_makes_no_anchor_calls(
    settings_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_calls(monkeypatch)
    align = settings_factory("mode=anchor-align-test", "cache=off", "report.plots=false")
    anchors_run = RunnerPaths(tmp_path / "align").ensure()
    inventory = RunnerInventory.load(align.dataset, RunnerMode.EXECUTE)
    AnchorAlignHandler().execute(align, inventory, anchors_run)
    anchor_ids = {e.essay_id for e in inventory.anchors}
    assert len(calls) == 66 and all({a, b} <= anchor_ids for a, b in calls)

    calls.clear()
    settings = settings_factory(
        "mode=execute", "cache=off", f"report.anchor_scale={anchors_run.run_dir}"
    )
    second = RunnerPaths(tmp_path / "exec").ensure()
    assert ExecuteHandler().execute(settings, inventory, second) == 0
    assert sum(1 for a, b in calls if {a, b} <= anchor_ids) == 0
    assert len(calls) == 20 * 19 // 2 - 66
    summary = json.loads(second.summary.read_text())
    assert len(summary["students"]) == 8
    assert all(s["projected_grade"] for s in summary["students"])
    report = second.report.read_text()
    assert "Locked anchor scale" in report and "66 anchor–anchor judgements" in report


def test_locked_scale_anchor_mismatch_is_a_clear_error(
    settings_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    align = settings_factory("mode=anchor-align-test", "cache=off", "report.plots=false")
    anchors_run = RunnerPaths(tmp_path / "align").ensure()
    inventory = RunnerInventory.load(align.dataset, RunnerMode.EXECUTE)
    AnchorAlignHandler().execute(align, inventory, anchors_run)
    artefact = json.loads(anchors_run.artefact.read_text())
    artefact["inputs"]["anchors"][0]["sha256"] = "0" * 64
    anchors_run.artefact.write_text(json.dumps(artefact))
    calls = _count_calls(monkeypatch)
    settings = settings_factory(
        "mode=execute", "cache=off", f"report.anchor_scale={anchors_run.run_dir}"
    )
    with pytest.raises(InputError, match="report.anchor_scale=.*content hash") as info:
        ExecuteHandler().execute(settings, inventory, RunnerPaths(tmp_path / "x").ensure())
    assert info.value.exit_code == 2 and "\n" not in info.value.one_line()
    assert calls == []  # nothing judged
    with pytest.raises(InputError, match="no artefact.json"):
        ExecuteHandler().execute(
            settings_factory("mode=execute", f"report.anchor_scale={tmp_path / 'none'}"),
            inventory,
            RunnerPaths(tmp_path / "y").ensure(),
        )
