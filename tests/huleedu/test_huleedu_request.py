"""Composing the CJ request: GUEST vs assignment runs, overrides, dry-run, request file."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from eng5_runner.engine.records import PairRequest
from eng5_runner.errors import ConfigError
from eng5_runner.huleedu.contracts import (
    ELS_CJAssessmentRequestV1,
    EssayProcessingInputRefV1,
    EventEnvelope,
)
from eng5_runner.huleedu.flows import (
    build_llm_overrides,
    build_request_envelope,
    dry_run_envelope,
    write_request_file,
)
from eng5_runner.huleedu.ids import assign_cj_ids
from eng5_runner.inputs.inventory import Essay
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.settings.models import RunnerMode

from .conftest import ASSIGNMENT_ID, RUBRIC, SYSTEM_PROMPT, huleedu_settings, load_inventory


def _refs(batch: uuid.UUID, essays: list[Essay]) -> list[EssayProcessingInputRefV1]:
    id_map = assign_cj_ids(batch, essays)
    return [
        EssayProcessingInputRefV1(essay_id=id_map.cj(e.essay_id), text_storage_id="f" * 32)
        for e in essays
    ]


def test_guest_request_carries_prompts_and_zero_temperature(tmp_path: Path) -> None:
    settings = huleedu_settings(
        tmp_path,
        RunnerMode.ANCHOR_ALIGN_TEST,
        content_url="http://x",
        assignment_id=ASSIGNMENT_ID,
        max_comparisons=30,
        llm_batching_mode="serial_bundle",
    )
    inventory = load_inventory(settings)
    batch = uuid.uuid4()
    envelope = build_request_envelope(
        settings,
        inventory,
        batch_uuid=batch,
        essays_refs=_refs(batch, list(inventory.anchors)),
        mode=RunnerMode.ANCHOR_ALIGN_TEST,
    )
    wire = json.loads(envelope.to_bytes())
    data = wire["data"]
    assert wire["event_type"] == "huleedu.els.cj_assessment.requested.v1"
    assert data["entity_id"] == str(batch) and data["entity_type"] == "batch"
    assert data["assignment_id"] is None and data["parent_id"] is None  # GUEST
    assert len(data["essays_for_cj"]) == len(inventory.anchors)
    overrides = data["llm_config_overrides"]
    assert overrides["temperature_override"] == 0.0
    assert overrides["system_prompt_override"] == SYSTEM_PROMPT
    assert overrides["judge_rubric_override"] == RUBRIC
    assert overrides["provider_override"] == "openai" and overrides["model_override"] == "gpt-5.1"
    assert overrides["reasoning_effort"] == "low" and overrides["max_tokens_override"] == 1024
    assert wire["metadata"] == {
        "runner_mode": "anchor-align-test",
        "batch_label": "huleedu-test",
        "max_comparisons": 30,
        "llm_batching_mode_hint": "serial_bundle",
    }
    assert "pre_specified_comparisons" not in data


def test_execute_request_is_assignment_bound(tmp_path: Path) -> None:
    settings = huleedu_settings(tmp_path, RunnerMode.EXECUTE, content_url="http://x")
    inventory = load_inventory(settings)
    batch = uuid.uuid4()
    refs = _refs(batch, list(inventory.students))
    with pytest.raises(ConfigError, match="assignment_id"):
        build_request_envelope(
            settings, inventory, batch_uuid=batch, essays_refs=refs, mode=RunnerMode.EXECUTE
        )
    settings = huleedu_settings(
        tmp_path, RunnerMode.EXECUTE, content_url="http://x", assignment_id=ASSIGNMENT_ID
    )
    envelope = build_request_envelope(
        settings, inventory, batch_uuid=batch, essays_refs=refs, mode=RunnerMode.EXECUTE
    )
    assert envelope.data.assignment_id == ASSIGNMENT_ID == envelope.data.parent_id
    assert envelope.data.student_prompt_ref is None


def test_overrides_for_judges_without_a_huleedu_equivalent(tmp_path: Path) -> None:
    sim = huleedu_settings(
        tmp_path,
        RunnerMode.ANCHOR_ALIGN_TEST,
        judge={"provider": "simulated", "model": "sim", "temperature": None},
    )
    overrides, warnings = build_llm_overrides(sim)
    assert overrides.provider_override is None and overrides.model_override is None
    assert any("simulated" in w for w in warnings)
    router = huleedu_settings(
        tmp_path,
        RunnerMode.ANCHOR_ALIGN_TEST,
        judge={"provider": "openai_compatible", "base_url": "https://openrouter.ai/api/v1"},
    )
    assert build_llm_overrides(router)[0].provider_override == "openrouter"
    local = huleedu_settings(
        tmp_path,
        RunnerMode.ANCHOR_ALIGN_TEST,
        judge={"provider": "openai_compatible", "base_url": "http://127.0.0.1:8000/v1"},
    )
    with pytest.raises(ConfigError, match="openai_compatible"):
        build_llm_overrides(local)
    minimal = huleedu_settings(
        tmp_path, RunnerMode.ANCHOR_ALIGN_TEST, judge={"reasoning_effort": "minimal"}
    )
    with pytest.raises(ConfigError, match="minimal"):
        build_llm_overrides(minimal)


def test_dry_run_envelope_needs_no_network(tmp_path: Path, no_network: None) -> None:
    settings = huleedu_settings(tmp_path, RunnerMode.DRY_RUN, content_url="http://x")
    inventory = load_inventory(settings)
    a, b = inventory.anchors[0].essay_id, inventory.anchors[5].essay_id
    schedule = [
        PairRequest(comparison_id="c0001", a_id=a, b_id=b),
        PairRequest(comparison_id="c0002", a_id=b, b_id=a),
        PairRequest(comparison_id="c0003", a_id=a, b_id=b, iteration=1),
    ]
    envelope, id_map = dry_run_envelope(settings, inventory, schedule=schedule)
    pre = envelope.data.pre_specified_comparisons or []
    assert [(p.essay_a_id, p.essay_b_id) for p in pre] == [
        (id_map.cj(r.a_id), id_map.cj(r.b_id)) for r in schedule
    ]
    assert len(envelope.data.essays_for_cj) == 2  # only the essays the schedule names
    assert (envelope.metadata or {})["max_comparisons"] == 3
    assert (envelope.metadata or {})["runner_mode"] == "boundary-test"


def test_request_file_is_portable_and_valid(tmp_path: Path) -> None:
    settings = huleedu_settings(tmp_path, RunnerMode.ANCHOR_ALIGN_TEST, content_url="http://x")
    envelope, _ = dry_run_envelope(settings, load_inventory(settings))
    paths = RunnerPaths(tmp_path / "run").ensure()
    first = write_request_file(paths, envelope)
    second = write_request_file(paths, envelope.model_copy(update={"event_id": uuid.uuid4()}))
    assert first != second and first.parent == paths.requests_dir
    assert ":" not in first.name and first.suffix == ".json"
    again = EventEnvelope[ELS_CJAssessmentRequestV1].model_validate_json(first.read_text())
    assert again.data.entity_id == envelope.data.entity_id
    assert not list(paths.requests_dir.glob("*.tmp"))
