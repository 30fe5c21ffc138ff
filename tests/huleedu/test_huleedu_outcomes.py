"""HuleEdu outcomes are honest: CJ status, failure reasons, foreign and duplicate events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eng5_runner.errors import CollectorError, IncompleteRun
from eng5_runner.handlers.anchor_align import AnchorAlignHandler
from eng5_runner.huleedu.contracts import CJAssessmentFailedV1
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.reports.artefact import validate_artefact
from eng5_runner.settings.models import RunnerMode
from tests.fakes.cj_worker import WorkerBehaviour
from tests.huleedu.conftest import ThreadedWorker, load_inventory

pytestmark = pytest.mark.kafka


def _artefact(paths: RunnerPaths) -> dict:
    artefact = json.loads(paths.artefact.read_text())
    validate_artefact(artefact)
    return artefact


def test_failed_critically_completion_is_partial_with_a_warning(
    make_settings_for, threaded_worker: ThreadedWorker, behaviour: WorkerBehaviour, tmp_path: Path
) -> None:
    behaviour.completion_status = "failed_critically"
    settings = make_settings_for(RunnerMode.ANCHOR_ALIGN_TEST)
    paths = RunnerPaths(tmp_path / "hl").ensure()
    with pytest.raises(IncompleteRun):
        AnchorAlignHandler().execute(settings, load_inventory(settings), paths)
    artefact = _artefact(paths)
    assert artefact["status"] == "partial" and artefact["runner_status"]["partial_data"]
    assert any("failed_critically" in w for w in artefact["runner_status"]["warnings"])
    assert "failed_critically" in " ".join(artefact["runner_status"]["outcome"]["notes"])
    report = paths.report.read_text()
    assert "Run PARTIAL" in report and "✅ pass" not in report


def test_duplicate_and_foreign_counts_are_in_the_artefact(
    make_settings_for, threaded_worker: ThreadedWorker, behaviour: WorkerBehaviour, tmp_path: Path
) -> None:
    behaviour.duplicates, behaviour.foreign = 3, 2
    settings = make_settings_for(RunnerMode.ANCHOR_ALIGN_TEST)
    paths = RunnerPaths(tmp_path / "hl").ensure()
    assert AnchorAlignHandler().execute(settings, load_inventory(settings), paths) == 0
    events = _artefact(paths)["runner_status"]["events"]
    assert events == {"foreign": 2, "duplicate": 3, "malformed": 0}


def test_all_callbacks_foreign_names_the_missing_batch_id(
    make_settings_for, threaded_worker: ThreadedWorker, behaviour: WorkerBehaviour, tmp_path: Path
) -> None:
    behaviour.no_batch_id = True
    settings = make_settings_for(RunnerMode.ANCHOR_ALIGN_TEST, completion_timeout_s=6.0)
    paths = RunnerPaths(tmp_path / "hl").ensure()
    with pytest.raises(IncompleteRun):
        AnchorAlignHandler().execute(settings, load_inventory(settings), paths)
    artefact = _artefact(paths)
    assert artefact["status"] == "failed" and set(artefact["metrics"].values()) == {None}
    assert artefact["runner_status"]["events"]["foreign"] == 66
    assert any("bos_batch_id" in w for w in artefact["runner_status"]["warnings"])


def test_failure_event_reason_is_text_not_json(
    make_settings_for, threaded_worker: ThreadedWorker, behaviour: WorkerBehaviour, tmp_path: Path
) -> None:
    behaviour.fail_after = 5
    behaviour.failure_error_info = {"reason": "assignment has no anchors"}
    settings = make_settings_for(RunnerMode.ANCHOR_ALIGN_TEST)
    paths = RunnerPaths(tmp_path / "hl").ensure()
    with pytest.raises(CollectorError, match="assignment has no anchors") as info:
        AnchorAlignHandler().execute(settings, load_inventory(settings), paths)
    assert "{" not in info.value.one_line()
    assert _artefact(paths)["status"] == "partial"
    assert "assignment has no anchors" in paths.report.read_text()


def test_reason_form_of_error_info() -> None:
    event = CJAssessmentFailedV1.model_validate(
        {"entity_id": "b", "system_metadata": {"error_info": {"reason": "no anchors"}}}
    )
    assert event.reason() == "no anchors"
