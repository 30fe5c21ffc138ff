"""Mode handlers on the huleedu backend: same outputs as the local backend."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from eng5_runner.errors import CollectorError
from eng5_runner.handlers.anchor_align import AnchorAlignHandler
from eng5_runner.handlers.boundary import BoundaryTestHandler
from eng5_runner.handlers.execute import ExecuteHandler
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.reports.artefact import validate_artefact
from eng5_runner.settings.models import BoundarySettings, RunnerMode, RunnerSettings
from tests.fakes.cj_worker import WorkerBehaviour
from tests.huleedu.conftest import ASSIGNMENT_ID, ThreadedWorker, load_inventory

pytestmark = pytest.mark.kafka


def _grade_quality(settings: RunnerSettings) -> Callable[[str], float]:
    """CJ ids → quality from the anchors' expert grades (higher grade wins)."""
    from eng5_runner.inputs.grade_scales import grade_rank

    inventory = load_inventory(settings)
    by_tail = {e.essay_id: -grade_rank(e.grade or "F+") for e in inventory.anchors}
    return lambda cj_id: float(by_tail.get(cj_id.split("-", 1)[-1], -4))


def test_anchor_align_over_huleedu_writes_the_same_outputs(
    make_settings_for,
    threaded_worker: ThreadedWorker,
    behaviour: WorkerBehaviour,
    tmp_path: Path,
) -> None:
    settings = make_settings_for(RunnerMode.ANCHOR_ALIGN_TEST)
    behaviour.quality = _grade_quality(settings)
    paths = RunnerPaths(tmp_path / "hl").ensure()
    assert AnchorAlignHandler().execute(settings, load_inventory(settings), paths) == 0
    records = [json.loads(line) for line in paths.comparisons.read_text().splitlines()]
    assert len(records) == 66 and all(r["status"] == "succeeded" for r in records)
    artefact = json.loads(paths.artefact.read_text())
    validate_artefact(artefact)
    assert artefact["metadata"]["backend"] == "huleedu"
    assert artefact["metadata"]["batch_uuid"]
    assert artefact["cj_published_scores"]
    summary = json.loads(paths.summary.read_text())
    assert summary["metrics"]["direct_inversions"] == 0
    assert "Per-anchor" in paths.report.read_text()
    assert list((paths.run_dir / "events").rglob("*.json"))


def test_boundary_over_huleedu(
    make_settings_for, threaded_worker: ThreadedWorker, tmp_path: Path
) -> None:
    base = make_settings_for(RunnerMode.BOUNDARY_TEST)
    settings = base.model_copy(
        update={
            "boundary": BoundarySettings(
                name="t", pairs="ANCHOR_03:ANCHOR_01,ANCHOR_05:ANCHOR_04", iterations=3
            )
        }
    )
    paths = RunnerPaths(tmp_path / "b").ensure()
    assert BoundaryTestHandler().execute(settings, load_inventory(settings), paths) == 0
    records = [json.loads(line) for line in paths.comparisons.read_text().splitlines()]
    assert len(records) == 2 * 3 * 2
    (request,) = (paths.run_dir / "requests").glob("*.json")
    pre = json.loads(request.read_text())["data"]["pre_specified_comparisons"]
    assert len(pre) == 12
    assert json.loads(paths.summary.read_text())["mode"] == "boundary-test"


def test_execute_over_huleedu(
    make_settings_for,
    threaded_worker: ThreadedWorker,
    admin_token: str,
    services,
    tmp_path: Path,
) -> None:
    settings = make_settings_for(RunnerMode.EXECUTE, assignment_id=ASSIGNMENT_ID)
    paths = RunnerPaths(tmp_path / "x").ensure()
    assert ExecuteHandler().execute(settings, load_inventory(settings), paths) == 0
    assert "student_0" in paths.report.read_text()
    validate_artefact(json.loads(paths.artefact.read_text()))
    # CJ's published letter grade (the fake worker publishes "U") sits next to ours
    assert "| CJ grade |" in paths.report.read_text()
    students = json.loads(paths.summary.read_text())["students"]
    assert students and all(s["cj_grade"] == "U" and s["projected_grade"] for s in students)
    for path in paths.run_dir.rglob("*"):
        if path.is_file():
            assert admin_token not in path.read_text(errors="ignore"), path


def test_cj_failure_event_exits_non_zero_and_keeps_what_arrived(
    make_settings_for,
    threaded_worker: ThreadedWorker,
    behaviour: WorkerBehaviour,
    tmp_path: Path,
) -> None:
    behaviour.fail_after = 10
    settings = make_settings_for(RunnerMode.ANCHOR_ALIGN_TEST)
    paths = RunnerPaths(tmp_path / "f").ensure()
    with pytest.raises(CollectorError, match="failed"):
        AnchorAlignHandler().execute(settings, load_inventory(settings), paths)
    assert len(paths.comparisons.read_text().splitlines()) == 10
    assert json.loads(paths.artefact.read_text())["status"] == "partial"
