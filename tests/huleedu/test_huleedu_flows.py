"""End-to-end flows: HTTP fakes + tansu + CJ worker double, as the handlers call them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from eng5_runner.engine.records import PairRequest
from eng5_runner.errors import (
    CollectorError,
    ConfigError,
    KafkaError,
    RegistrationError,
    ServiceError,
)
from eng5_runner.huleedu.flows import FlowOptions, run_anchor_align, run_boundary, run_execute
from eng5_runner.inputs.grade_scales import grade_rank
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.settings.models import RunnerMode, RunnerSettings
from tests.fakes.cj_worker import FakeCJWorker, WorkerBehaviour
from tests.fakes.huleedu_services import HuleeduServices
from tests.fakes.kafka_broker import free_port

from .conftest import ASSIGNMENT_ID, RUBRIC, huleedu_settings, load_inventory

pytestmark = pytest.mark.kafka
Factory = Callable[..., RunnerSettings]


def _by_grade(inventory: RunnerInventory) -> Callable[[str], float]:
    """Quality for the worker: CJ id → inventory id (after the batch prefix) → grade."""
    rank = {e.essay_id: -grade_rank(e.grade or "F+") for e in inventory.anchors}
    return lambda cj_id: rank.get(cj_id.split("-", 1)[-1], 0)


async def test_anchor_align_end_to_end(
    make_settings_for: Factory,
    services: HuleeduServices,
    cj_worker: FakeCJWorker,
    behaviour: WorkerBehaviour,
    hl_paths: RunnerPaths,
    fast_options: FlowOptions,
) -> None:
    settings = make_settings_for(RunnerMode.ANCHOR_ALIGN_TEST)
    inventory = load_inventory(settings)
    behaviour.quality = _by_grade(inventory)
    outcome = await run_anchor_align(settings, inventory, hl_paths, fast_options)
    assert outcome.published and outcome.awaited and outcome.completed
    assert not outcome.partial_data and outcome.cj_failure is None
    assert len(outcome.records) == 66 and all(r.succeeded for r in outcome.records)
    anchors = {e.essay_id: e for e in inventory.anchors}
    for record in outcome.records:
        assert record.winner_id in anchors and record.loser_id in anchors
        winner, loser = anchors[record.winner_id], anchors[record.loser_id]
        assert grade_rank(winner.grade or "") <= grade_rank(loser.grade or "")
    assert outcome.cj_published_scores is not None
    assert {s.essay_id for s in outcome.cj_published_scores.scores} == set(anchors)
    key, request = cj_worker.requests[0]
    data = request["data"]
    assert key == str(outcome.batch_uuid).encode()
    assert data["assignment_id"] is None
    assert data["llm_config_overrides"]["temperature_override"] == 0.0
    assert data["llm_config_overrides"]["judge_rubric_override"] == RUBRIC
    prompt_ref = data["student_prompt_ref"]["references"]["student_prompt_text"]
    stored, _ = services.content.store[prompt_ref["storage_id"]]
    assert stored.decode() == inventory.assignment_text
    assert outcome.request_path.is_file() and ":" not in outcome.request_path.name
    assert outcome.events_received["comparisons"] == 66
    assert outcome.uploaded == 13 and outcome.reused_uploads == 0
    assert any("0.0" in w for w in outcome.warnings)  # the CJ 0.0-temperature caveat


async def test_second_run_reuses_uploads_and_gets_new_ids(
    make_settings_for: Factory,
    cj_worker: FakeCJWorker,
    hl_paths: RunnerPaths,
    fast_options: FlowOptions,
    tmp_path: Path,
) -> None:
    settings = make_settings_for(RunnerMode.ANCHOR_ALIGN_TEST, max_comparisons=6)
    inventory = load_inventory(settings)
    first = await run_anchor_align(settings, inventory, hl_paths, fast_options)
    second = await run_anchor_align(
        settings, inventory, RunnerPaths(tmp_path / "r2").ensure(), fast_options
    )
    assert len(first.records) == len(second.records) == 6
    assert second.uploaded == 0 and second.reused_uploads == 13
    assert set(first.cj_essay_ids.values()).isdisjoint(second.cj_essay_ids.values())


def _boundary_schedule(inventory: RunnerInventory, iterations: int = 3) -> list[PairRequest]:
    hi, lo = inventory.anchors[3].essay_id, inventory.anchors[2].essay_id
    schedule: list[PairRequest] = []
    for i in range(iterations):
        for a, b in ((hi, lo), (lo, hi)):
            schedule.append(
                PairRequest(comparison_id=f"b{len(schedule) + 1:04d}", a_id=a, b_id=b, iteration=i)
            )
    return schedule


async def test_boundary_pairs_are_sent_in_slot_order(
    make_settings_for: Factory,
    cj_worker: FakeCJWorker,
    hl_paths: RunnerPaths,
    fast_options: FlowOptions,
) -> None:
    settings = make_settings_for(RunnerMode.BOUNDARY_TEST)
    inventory = load_inventory(settings)
    schedule = _boundary_schedule(inventory)
    outcome = await run_boundary(settings, inventory, hl_paths, schedule, fast_options)
    sent = cj_worker.requests[0][1]
    assert [
        (p["essay_a_id"], p["essay_b_id"]) for p in sent["data"]["pre_specified_comparisons"]
    ] == [(outcome.cj_essay_ids[r.a_id], outcome.cj_essay_ids[r.b_id]) for r in schedule]
    assert len(sent["data"]["essays_for_cj"]) == 2
    assert [
        (r.comparison_id, r.essay_a_id, r.essay_b_id, r.iteration) for r in outcome.records
    ] == [(r.comparison_id, r.a_id, r.b_id, r.iteration) for r in schedule]
    assert not any("pre_specified" in w for w in outcome.warnings)


async def test_boundary_detects_a_cj_that_ignores_pre_specified(
    make_settings_for: Factory,
    cj_worker: FakeCJWorker,
    behaviour: WorkerBehaviour,
    hl_paths: RunnerPaths,
    fast_options: FlowOptions,
) -> None:
    behaviour.ignore_pre_specified = True
    settings = make_settings_for(RunnerMode.BOUNDARY_TEST)
    inventory = load_inventory(settings)
    schedule = _boundary_schedule(inventory, iterations=2)
    outcome = await run_boundary(settings, inventory, hl_paths, schedule, fast_options)
    assert len(outcome.records) == 1  # a CJ without ADR-0018 judges the pair once
    assert any(
        "did not follow pre_specified_comparisons" in w or "never came back" in w
        for w in outcome.warnings
    )


async def test_execute_registers_anchors_and_maps_db_anchor_ids(
    make_settings_for: Factory,
    services: HuleeduServices,
    cj_worker: FakeCJWorker,
    behaviour: WorkerBehaviour,
    hl_paths: RunnerPaths,
    fast_options: FlowOptions,
    admin_token: str,
) -> None:
    behaviour.db_anchors = lambda aid: [
        f"ANCHOR_{row['id']}_DEADBEEF" for (a, _, _), row in services.cj.anchors.items() if a == aid
    ][:3]
    settings = make_settings_for(RunnerMode.EXECUTE, assignment_id=ASSIGNMENT_ID)
    inventory = load_inventory(settings)
    outcome = await run_execute(settings, inventory, hl_paths, fast_options)
    assert len(services.cj.anchors) == len(inventory.anchors)
    request = cj_worker.requests[0][1]["data"]
    assert request["assignment_id"] == ASSIGNMENT_ID and request["student_prompt_ref"] is None
    assert len(request["essays_for_cj"]) == len(inventory.students)
    n = len(inventory.students) + 3
    assert len(outcome.records) == n * (n - 1) // 2 and outcome.completed
    known = {e.essay_id for e in inventory.essays}
    assert all(r.essay_a_id in known and r.essay_b_id in known for r in outcome.records)
    assert not any("not ours" in w for w in outcome.warnings)
    auth = [r["auth"] for r in services.cj.requests if r["path"].startswith("/admin")]
    assert auth and all(a == f"Bearer {admin_token}" for a in auth)
    dumped = outcome.model_dump_json() + outcome.request_path.read_text()
    assert admin_token not in dumped


async def test_execute_lists_every_missing_prerequisite(
    tmp_path: Path, hl_paths: RunnerPaths
) -> None:
    settings = huleedu_settings(tmp_path, RunnerMode.EXECUTE, bootstrap=None)
    with pytest.raises(ConfigError) as info:
        await run_execute(settings, load_inventory(settings), hl_paths)
    message = info.value.message
    for needle in (
        "content_service_url",
        "kafka_bootstrap",
        "assignment_id",
        "cj_service_url",
        "HULEEDU_ADMIN_TOKEN",
    ):
        assert needle in message


async def test_execute_canonical_assignment_drops_the_rubric(
    make_settings_for: Factory,
    services: HuleeduServices,
    cj_worker: FakeCJWorker,
    hl_paths: RunnerPaths,
    fast_options: FlowOptions,
    admin_token: str,
) -> None:
    services.cj.assignments[ASSIGNMENT_ID].context_origin = "canonical_national"
    settings = make_settings_for(RunnerMode.EXECUTE, assignment_id=ASSIGNMENT_ID)
    settings = settings.model_copy(update={"await_completion": False})
    outcome = await run_execute(settings, load_inventory(settings), hl_paths, fast_options)
    assert outcome.published and not outcome.awaited
    await asyncio.sleep(0.3)
    overrides = cj_worker.requests[0][1]["data"]["llm_config_overrides"]
    assert overrides["judge_rubric_override"] is None
    assert any("canonical_national" in w for w in outcome.warnings)


async def test_registration_failure_aborts_before_publishing(
    make_settings_for: Factory,
    services: HuleeduServices,
    cj_worker: FakeCJWorker,
    hl_paths: RunnerPaths,
    fast_options: FlowOptions,
    admin_token: str,
) -> None:
    services.cj.assignments[ASSIGNMENT_ID].grade_scale = "full_16_step"
    services.cj.inject(
        "/api/v1/anchors/register",
        status=400,
        times=2,
        body={"error": "Invalid grade 'C+' for scale 'x'"},
    )
    settings = make_settings_for(RunnerMode.EXECUTE, assignment_id=ASSIGNMENT_ID)
    with pytest.raises(RegistrationError) as info:
        await run_execute(settings, load_inventory(settings), hl_paths, fast_options)
    assert "2 of 12 anchor(s)" in info.value.message and ".txt" in info.value.message
    assert not list(hl_paths.requests_dir.glob("*.json")) and not cj_worker.requests


async def test_content_error_aborts_before_publishing(
    make_settings_for: Factory,
    services: HuleeduServices,
    cj_worker: FakeCJWorker,
    hl_paths: RunnerPaths,
    fast_options: FlowOptions,
) -> None:
    services.content.inject("/v1/content", status=400, times=100)
    settings = make_settings_for(RunnerMode.ANCHOR_ALIGN_TEST)
    with pytest.raises(ServiceError, match="Content Service upload"):
        await run_anchor_align(settings, load_inventory(settings), hl_paths, fast_options)
    assert not cj_worker.requests


async def test_kafka_disabled_writes_the_request_and_publishes_nothing(
    make_settings_for: Factory,
    cj_worker: FakeCJWorker,
    hl_paths: RunnerPaths,
    fast_options: FlowOptions,
) -> None:
    settings = make_settings_for(RunnerMode.ANCHOR_ALIGN_TEST, kafka_enabled=False)
    outcome = await run_anchor_align(settings, load_inventory(settings), hl_paths, fast_options)
    assert not outcome.published and not outcome.records
    assert any("nothing was published" in w for w in outcome.warnings)
    request = json.loads(outcome.request_path.read_text())
    assert request["data"]["entity_id"] == str(outcome.batch_uuid)
    await asyncio.sleep(0.3)
    assert not cj_worker.requests


async def test_unreachable_broker_is_a_kafka_error(
    make_settings_for: Factory,
    hl_paths: RunnerPaths,
    fast_options: FlowOptions,
) -> None:
    settings = make_settings_for(RunnerMode.ANCHOR_ALIGN_TEST, bootstrap=f"127.0.0.1:{free_port()}")
    with pytest.raises(KafkaError, match="unreachable"):
        await run_anchor_align(settings, load_inventory(settings), hl_paths, fast_options)


async def test_cj_failure_is_an_outcome_with_what_arrived(
    make_settings_for: Factory,
    cj_worker: FakeCJWorker,
    behaviour: WorkerBehaviour,
    hl_paths: RunnerPaths,
    fast_options: FlowOptions,
) -> None:
    behaviour.fail_after = 4
    settings = make_settings_for(RunnerMode.ANCHOR_ALIGN_TEST)
    outcome = await run_anchor_align(settings, load_inventory(settings), hl_paths, fast_options)
    assert outcome.cj_failure and "LLM provider unavailable" in outcome.cj_failure
    assert len(outcome.records) == 4 and outcome.partial_data
    with pytest.raises(CollectorError, match="failed"):
        outcome.raise_for_failure()


async def test_timeout_and_malformed_callbacks_end_as_partial_data(
    make_settings_for: Factory,
    cj_worker: FakeCJWorker,
    behaviour: WorkerBehaviour,
    hl_paths: RunnerPaths,
    fast_options: FlowOptions,
) -> None:
    behaviour.silent_after, behaviour.malformed = 9, 1
    settings = make_settings_for(RunnerMode.ANCHOR_ALIGN_TEST, completion_timeout_s=1.0)
    outcome = await run_anchor_align(settings, load_inventory(settings), hl_paths, fast_options)
    assert outcome.partial_data and outcome.timed_out and not outcome.completed
    assert len(outcome.records) == 9 and outcome.malformed_count == 1
    assert any("timed out" in w for w in outcome.warnings)
    assert any("malformed" in w for w in outcome.warnings)
    assert len(list((hl_paths.events_dir / "comparisons").glob("*.json"))) == 9
    assert len(list((hl_paths.events_dir / "malformed").glob("comparisons-*.json"))) == 1
