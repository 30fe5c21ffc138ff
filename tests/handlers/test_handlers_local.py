"""Handlers called directly with settings built from composed configs (local backend)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eng5_runner.errors import CacheMissError, ConfigError, GateFailed, InputError
from eng5_runner.handlers.anchor_align import AnchorAlignHandler
from eng5_runner.handlers.boundary import BoundaryTestHandler
from eng5_runner.handlers.dry_run import DryRunHandler
from eng5_runner.handlers.execute import ExecuteHandler
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.reports.artefact import validate_artefact
from eng5_runner.settings.models import RunnerMode


def _records(paths: RunnerPaths) -> list[dict]:
    return [json.loads(line) for line in paths.comparisons.read_text().splitlines()]


def test_anchor_align_writes_every_output(
    settings_factory, sample_inventory: RunnerInventory, run_paths: RunnerPaths
) -> None:
    settings = settings_factory("experiment=quickstart")
    assert AnchorAlignHandler().execute(settings, sample_inventory, run_paths) == 0
    records = _records(run_paths)
    assert len(records) == 66 and all(r["status"] == "succeeded" for r in records)
    artefact = json.loads(run_paths.artefact.read_text())
    validate_artefact(artefact)
    assert artefact["metadata"]["simulated"] is True
    report = run_paths.report.read_text()
    for section in ("Kendall", "Per-anchor", "Prompts used", "Simulated judge"):
        assert section in report
    assert (run_paths.plots_dir / "bt_scale.png").is_file()
    summary = json.loads(run_paths.summary.read_text())
    assert summary["metrics"]["tau_b"] > 0.8


def test_rerun_is_served_from_the_store(
    settings_factory, sample_inventory: RunnerInventory, tmp_path: Path
) -> None:
    settings = settings_factory("experiment=quickstart")
    first, second = RunnerPaths(tmp_path / "a").ensure(), RunnerPaths(tmp_path / "b").ensure()
    AnchorAlignHandler().execute(settings, sample_inventory, first)
    AnchorAlignHandler().execute(settings, sample_inventory, second)
    assert all(r["cached"] for r in _records(second))
    assert [r["winner_id"] for r in _records(first)] == [r["winner_id"] for r in _records(second)]


def test_replay_miss_names_the_comparison(
    settings_factory, sample_inventory: RunnerInventory, tmp_path: Path
) -> None:
    record = settings_factory("experiment=quickstart")
    AnchorAlignHandler().execute(record, sample_inventory, RunnerPaths(tmp_path / "a").ensure())
    replay = settings_factory(
        "experiment=quickstart", "cache=replay", "rubric=002_analytic_criteria"
    )
    paths = RunnerPaths(tmp_path / "b").ensure()
    with pytest.raises(CacheMissError, match=r"66 comparison\(s\) not recorded.*ANCHOR_"):
        AnchorAlignHandler().execute(replay, sample_inventory, paths)
    assert not paths.report.exists() and not paths.artefact.exists()


def test_missing_store_in_replay_is_an_input_error(
    settings_factory, sample_inventory: RunnerInventory, run_paths: RunnerPaths
) -> None:
    settings = settings_factory("experiment=quickstart", "cache=replay")
    with pytest.raises(InputError, match="cache.path=.*not found"):
        AnchorAlignHandler().execute(settings, sample_inventory, run_paths)


def test_gate_fails_after_writing_everything(
    settings_factory, sample_inventory: RunnerInventory, run_paths: RunnerPaths
) -> None:
    settings = settings_factory(
        "experiment=quickstart",
        "report.gate=true",
        "report.targets.tau_upstream_min=1.0",
        "judge.simulated.noise=3",
    )
    with pytest.raises(GateFailed) as info:
        AnchorAlignHandler().execute(settings, sample_inventory, run_paths)
    assert info.value.exit_code == 3
    assert run_paths.report.is_file() and run_paths.artefact.is_file()


def test_boundary_test_on_the_sample(
    settings_factory, sample_inventory: RunnerInventory, run_paths: RunnerPaths
) -> None:
    settings = settings_factory("mode=boundary-test", "boundary=sample", "boundary.iterations=4")
    assert BoundaryTestHandler().execute(settings, sample_inventory, run_paths) == 0
    records = _records(run_paths)
    assert len(records) == 2 * 4 * 2
    keys = {r["cache_key"] for r in records}
    assert len(keys) == len(records)  # repeated iterations are distinct judgements
    summary = json.loads(run_paths.summary.read_text())
    assert summary["mode"] == "boundary-test"
    assert "pooled_win_rate" in summary["metrics"]


@pytest.mark.parametrize("bias,significant", [(3.0, True), (0.0, False)])
def test_simulated_position_bias_shows_in_the_report(
    settings_factory,
    sample_inventory: RunnerInventory,
    run_paths: RunnerPaths,
    bias: float,
    significant: bool,
) -> None:
    settings = settings_factory(
        "mode=boundary-test",
        "boundary=sample",
        "boundary.iterations=20",
        f"judge.simulated.position_bias={bias}",
        "seed=7",
    )
    BoundaryTestHandler().execute(settings, sample_inventory, run_paths)
    p = json.loads(run_paths.summary.read_text())["metrics"]["pooled_bias_p"]
    assert (p < 0.01) is significant


@pytest.mark.parametrize(
    "pairs,fragment",
    [
        ("ANCHOR_03:NOPE", "unknown anchor 'NOPE'"),
        ("A:E-", "grade 'A' is ambiguous"),
        ("ANCHOR_01:ANCHOR_12", "is not above"),
        ("ANCHOR_01:anchor_01_F+", "itself"),
        ("ANCHOR_03:ANCHOR_01,anchor_03_E-:anchor_01_F+", "listed twice"),
    ],
)
def test_boundary_pair_errors(
    settings_factory,
    sample_inventory: RunnerInventory,
    run_paths: RunnerPaths,
    pairs: str,
    fragment: str,
) -> None:
    settings = settings_factory("mode=boundary-test", f"boundary.pairs='{pairs}'")
    with pytest.raises(ConfigError, match=fragment):
        BoundaryTestHandler().execute(settings, sample_inventory, run_paths)


def test_execute_places_students(settings_factory, run_paths: RunnerPaths) -> None:
    settings = settings_factory("mode=execute")
    inventory = RunnerInventory.load(settings.dataset, RunnerMode.EXECUTE)
    assert ExecuteHandler().execute(settings, inventory, run_paths) == 0
    assert len(_records(run_paths)) == 20 * 19 // 2
    assert "student_0" in run_paths.report.read_text()
    validate_artefact(json.loads(run_paths.artefact.read_text()))


def test_dry_run_local_is_offline_and_writes_requests_and_stub(
    no_network: None,
    settings_factory,
    sample_inventory: RunnerInventory,
    run_paths: RunnerPaths,
) -> None:
    settings = settings_factory("mode=dry-run", "judge=openai")
    assert DryRunHandler().execute(settings, sample_inventory, run_paths) == 0
    lines = (run_paths.requests_dir / "judge_requests.jsonl").read_text().splitlines()
    assert len(lines) == 66
    first = json.loads(lines[0])
    labels = {e.label for e in sample_inventory.essays} | {e.stem for e in sample_inventory.essays}
    ids = {e.essay_id for e in sample_inventory.essays}
    assert not any(token in first["user"] for token in labels | ids)  # no names or ids leak
    stub = json.loads(run_paths.artefact.read_text())
    validate_artefact(stub)
    assert stub["status"] == "stub" and len(stub["requests"]) == 66


def test_dry_run_huleedu_writes_envelope_offline(
    no_network: None,
    settings_factory,
    sample_inventory: RunnerInventory,
    run_paths: RunnerPaths,
) -> None:
    settings = settings_factory("mode=dry-run", "backend=huleedu")
    assert DryRunHandler().execute(settings, sample_inventory, run_paths) == 0
    (request,) = run_paths.requests_dir.glob("*.json")
    envelope = json.loads(request.read_text())
    assert envelope["event_type"] == "huleedu.els.cj_assessment.requested.v1"
    assert envelope["data"]["assignment_id"] is None
    assert len(envelope["data"]["essays_for_cj"]) == 12
    prompt_ref = envelope["data"]["student_prompt_ref"]["references"]["student_prompt_text"]
    assert prompt_ref["path"] == "assignment.md"  # as a real GUEST run sends it
    assert ":" not in request.name


def test_fewer_than_two_anchors(settings_factory, tmp_path: Path, run_paths: RunnerPaths) -> None:
    (tmp_path / "anchors").mkdir()
    (tmp_path / "anchors" / "only_A.txt").write_text("A single essay about phones.")
    settings = settings_factory(
        "experiment=quickstart",
        f"dataset.anchors_dir={tmp_path}/anchors",
        "dataset.grades_file=null",
    )
    inventory = RunnerInventory.load(settings.dataset, settings.mode)
    with pytest.raises(InputError, match="at least 2"):
        AnchorAlignHandler().execute(settings, inventory, run_paths)


def test_replay_on_the_huleedu_backend_is_a_config_error(
    settings_factory, sample_inventory: RunnerInventory, run_paths: RunnerPaths
) -> None:
    settings = settings_factory("mode=anchor-align-test", "backend=huleedu", "cache=replay")
    with pytest.raises(ConfigError, match="cache=replay needs backend=local"):
        AnchorAlignHandler().execute(settings, sample_inventory, run_paths)


def test_adaptive_execute_places_students_and_reports_psychometrics(
    settings_factory, sample_inventory: RunnerInventory, run_paths: RunnerPaths
) -> None:
    settings = settings_factory("experiment=quickstart", "mode=execute", "pairing=adaptive")
    assert ExecuteHandler().execute(settings, sample_inventory, run_paths) == 0
    records = _records(run_paths)
    artefact = json.loads(run_paths.artefact.read_text())
    validate_artefact(artefact)
    assert len(artefact["requests"]) == len(records) > len(sample_inventory.essays)
    psy = artefact["psychometrics"]
    assert psy["adaptive"] is True and psy["rounds"][0]["index"] == 0
    assert psy["n_essays"] == len(sample_inventory.essays)
    summary = json.loads(run_paths.summary.read_text())
    assert 0 < summary["metrics"]["split_half_reliability"] <= 1
    assert "misfit_essays" in summary["metrics"]
    report = run_paths.report.read_text()
    assert "## Psychometrics" in report and "inflated" in report


def test_anchor_align_artefact_has_psychometrics(
    settings_factory, sample_inventory: RunnerInventory, run_paths: RunnerPaths
) -> None:
    settings = settings_factory("experiment=quickstart")
    AnchorAlignHandler().execute(settings, sample_inventory, run_paths)
    artefact = json.loads(run_paths.artefact.read_text())
    validate_artefact(artefact)
    psy = artefact["psychometrics"]
    assert psy["adaptive"] is False and len(psy["essays"]) == len(sample_inventory.anchors)
    assert "psychometrics" not in artefact["analysis"]
    assert artefact["metrics"]["split_half_reliability"] == psy["split_half_reliability"]
