"""Composing the CJ request envelope from settings (no network; dry-run uses it too)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

from pydantic import ValidationError

from eng5_runner.engine.records import PairRequest
from eng5_runner.errors import ConfigError
from eng5_runner.huleedu.contracts import (
    SOURCE_SERVICE,
    TOPIC_CJ_REQUEST,
    ELS_CJAssessmentRequestV1,
    EssayProcessingInputRefV1,
    EventEnvelope,
    LLMConfigOverrides,
    PreSpecifiedComparison,
    StorageReference,
    StorageReferenceMetadata,
    SystemProcessingMetadata,
)
from eng5_runner.huleedu.ids import CjIdMap, assign_cj_ids
from eng5_runner.inputs.inventory import Essay, RunnerInventory
from eng5_runner.output.atomic import write_json_atomic
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.settings.models import RunnerMode, RunnerSettings

RequestEnvelope = EventEnvelope[ELS_CJAssessmentRequestV1]
_PROVIDERS = {"openai": "openai", "anthropic": "anthropic"}


def build_llm_overrides(
    settings: RunnerSettings, *, include_rubric: bool = True
) -> tuple[LLMConfigOverrides, list[str]]:
    """Judge settings + prompt texts → ``LLMConfigOverrides``, with warnings.

    ``temperature=0.0`` is sent (``is None`` checks only).
    """
    judge = settings.judge
    warnings: list[str] = []
    provider: str | None = _PROVIDERS.get(judge.provider)
    model: str | None = judge.model
    if judge.provider == "simulated":
        provider = model = None
        warnings.append(
            "judge.provider=simulated has no HuleEdu equivalent: no provider/model "
            "override is sent, CJ uses its default judge"
        )
    elif judge.provider == "openai_compatible":
        if "openrouter" not in (judge.base_url or ""):
            raise ConfigError(
                f"judge.provider=openai_compatible (base_url={judge.base_url}) cannot be "
                "forwarded to the HuleEdu LLM Provider",
                hint="use judge.provider=openai|anthropic, or an OpenRouter base_url",
            )
        provider = "openrouter"
    if judge.reasoning_effort in ("minimal", "xhigh", "max"):
        raise ConfigError(
            f"judge.reasoning_effort={judge.reasoning_effort} is not accepted by CJ",
            hint="use none, low, medium or high",
        )
    if judge.temperature == 0.0:
        warnings.append(
            "temperature 0.0 is sent, but CJ builds before the fix replace a 0.0 "
            "override by their default 0.1 (UPSTREAM §8.23)"
        )
    try:
        overrides = LLMConfigOverrides.model_validate(
            {
                "provider_override": provider,
                "model_override": model,
                "temperature_override": judge.temperature,
                "max_tokens_override": judge.max_tokens,
                "reasoning_effort": judge.reasoning_effort,
                "output_verbosity": judge.output_verbosity,
                "system_prompt_override": settings.system_prompt.text,
                "judge_rubric_override": settings.rubric.text if include_rubric else None,
            }
        )
    except ValidationError as exc:
        raise ConfigError(f"judge settings do not fit CJ's LLMConfigOverrides: {exc}") from None
    return overrides, warnings


def build_request_envelope(
    settings: RunnerSettings,
    inventory: RunnerInventory,
    *,
    batch_uuid: UUID,
    essays_refs: Sequence[EssayProcessingInputRefV1],
    mode: RunnerMode,
    pre_specified: Sequence[PreSpecifiedComparison] | None = None,
    student_prompt_ref: StorageReferenceMetadata | None = None,
    llm_overrides: LLMConfigOverrides | None = None,
    correlation_id: UUID | None = None,
) -> RequestEnvelope:
    """The validated request envelope; GUEST (``assignment_id`` null) unless ``mode`` is execute.

    ``llm_overrides`` defaults to :func:`build_llm_overrides` of ``settings``.
    """
    backend = settings.backend
    if not essays_refs:
        raise ConfigError(
            f"no essays to send to CJ (anchors in {inventory.anchors_dir}, "
            f"students in {inventory.students_dir})"
        )
    assignment_id: str | None = None
    if mode is RunnerMode.EXECUTE:
        if backend.assignment_id is None:
            raise ConfigError(
                "backend.assignment_id is required for execute",
                hint="set backend.assignment_id=<CJ assignment UUID>",
            )
        assignment_id = str(backend.assignment_id)
    overrides = llm_overrides if llm_overrides is not None else build_llm_overrides(settings)[0]
    now = datetime.now(UTC)
    metadata: dict[str, object] = {"runner_mode": mode.value, "batch_label": settings.batch_label}
    max_comparisons = len(pre_specified) if pre_specified else backend.max_comparisons
    if max_comparisons is not None:
        metadata["max_comparisons"] = max_comparisons
    if backend.llm_batching_mode is not None:
        metadata["llm_batching_mode_hint"] = backend.llm_batching_mode
    try:
        payload = ELS_CJAssessmentRequestV1(
            entity_id=str(batch_uuid),
            parent_id=assignment_id,
            timestamp=now,
            system_metadata=SystemProcessingMetadata(
                entity_id=str(batch_uuid), parent_id=assignment_id, timestamp=now
            ),
            essays_for_cj=list(essays_refs),
            language=backend.language,
            course_code=backend.course_code,
            student_prompt_ref=student_prompt_ref,
            llm_config_overrides=overrides,
            assignment_id=assignment_id,
            user_id=backend.user_id,
            org_id=backend.org_id,
            pre_specified_comparisons=list(pre_specified) if pre_specified else None,
        )
    except ValidationError as exc:
        raise ConfigError(f"the CJ request does not validate: {exc}") from None
    return RequestEnvelope(
        event_type=TOPIC_CJ_REQUEST,
        event_timestamp=now,
        source_service=SOURCE_SERVICE,
        correlation_id=correlation_id or uuid4(),
        data=payload,
        metadata=metadata,
    )


def pre_specified_from(
    schedule: Sequence[PairRequest], id_map: CjIdMap
) -> list[PreSpecifiedComparison]:
    """The schedule's ordered pairs, in slot order, with CJ ids."""
    return [
        PreSpecifiedComparison(essay_a_id=id_map.cj(r.a_id), essay_b_id=id_map.cj(r.b_id))
        for r in schedule
    ]


def guest_essays(inventory: RunnerInventory, schedule: Sequence[PairRequest] | None) -> list[Essay]:
    """Essays under test in GUEST runs: all anchors, or those the schedule names."""
    if schedule is None:
        return list(inventory.anchors)
    named = {r.a_id for r in schedule} | {r.b_id for r in schedule}
    unknown = named - {e.essay_id for e in inventory.anchors}
    if unknown:
        raise ConfigError(f"the boundary schedule names essays that are not anchors: {unknown}")
    return [e for e in inventory.anchors if e.essay_id in named]


def dry_run_envelope(
    settings: RunnerSettings,
    inventory: RunnerInventory,
    *,
    batch_uuid: UUID | None = None,
    schedule: Sequence[PairRequest] | None = None,
) -> tuple[RequestEnvelope, CjIdMap]:
    """The request a run would publish, with placeholder storage ids; no network."""
    batch_uuid = batch_uuid or uuid4()
    mode = settings.mode
    if mode in (RunnerMode.PLAN, RunnerMode.DRY_RUN):
        mode = RunnerMode.BOUNDARY_TEST if schedule is not None else RunnerMode.ANCHOR_ALIGN_TEST
    essays = (
        list(inventory.students)
        if mode is RunnerMode.EXECUTE
        else guest_essays(inventory, schedule if mode is RunnerMode.BOUNDARY_TEST else None)
    )
    id_map = assign_cj_ids(batch_uuid, essays)
    refs = [
        EssayProcessingInputRefV1(
            essay_id=id_map.cj(e.essay_id),
            text_storage_id="dry-run-" + hashlib.sha256(e.text.encode()).hexdigest()[:24],
        )
        for e in essays
    ]
    pre = (
        pre_specified_from(schedule, id_map)
        if schedule and mode is RunnerMode.BOUNDARY_TEST
        else None
    )
    prompt_ref = None
    text = inventory.assignment_text
    if mode is not RunnerMode.EXECUTE and settings.dataset.include_assignment and text:
        hint = inventory.assignment.path.name if inventory.assignment else "assignment"
        placeholder = "dry-run-" + hashlib.sha256(text.encode()).hexdigest()[:24]
        prompt_ref = StorageReferenceMetadata(
            references={"student_prompt_text": StorageReference(storage_id=placeholder, path=hint)}
        )
    envelope = build_request_envelope(
        settings,
        inventory,
        batch_uuid=batch_uuid,
        essays_refs=refs,
        mode=mode,
        pre_specified=pre,
        student_prompt_ref=prompt_ref,
    )
    return envelope, id_map


def write_request_file(paths: RunnerPaths, envelope: RequestEnvelope) -> Path:
    """Write the envelope under ``requests/`` with a portable, unique name (no ``:``)."""
    stamp = envelope.event_timestamp.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = paths.requests_dir / f"cj_assessment_request_{stamp}_{envelope.event_id.hex[:8]}.json"
    return write_json_atomic(path, envelope.model_dump(mode="json"))
