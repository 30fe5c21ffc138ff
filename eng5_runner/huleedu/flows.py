"""What the mode handlers call: execute, anchor-align and boundary runs against HuleEdu.

Each flow checks everything up front (listing every problem at once), talks
HTTP, writes the request under ``requests/``, then publishes and (with
``await_completion``) collects and hydrates the results into the shared
judgement records. A CJ failure or a timeout is an *outcome*, not an
exception, so the handler can still write the artefact with what arrived.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from uuid import uuid4

from eng5_runner.engine.records import PairRequest
from eng5_runner.errors import ConfigError, ServiceError
from eng5_runner.huleedu.cj import TOKEN_ENV_VARS, CJClient, admin_token
from eng5_runner.huleedu.content import ContentClient
from eng5_runner.huleedu.contracts import (
    EssayProcessingInputRefV1,
    StorageReference,
    StorageReferenceMetadata,
)
from eng5_runner.huleedu.http import ServiceCaller, make_client
from eng5_runner.huleedu.ids import assign_cj_ids
from eng5_runner.huleedu.outcome import FlowOptions, HuleeduOutcome, publish_and_collect
from eng5_runner.huleedu.request import (
    build_llm_overrides,
    build_request_envelope,
    dry_run_envelope,
    guest_essays,
    pre_specified_from,
    write_request_file,
)
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.settings.models import RunnerMode, RunnerSettings

__all__ = [
    "FlowOptions",
    "HuleeduOutcome",
    "build_llm_overrides",
    "build_request_envelope",
    "dry_run_envelope",
    "run_anchor_align",
    "run_boundary",
    "run_execute",
    "write_request_file",
]
log = logging.getLogger(__name__)
_PROMPT_KEY = "__student_prompt__"


def _problems(settings: RunnerSettings, inventory: RunnerInventory, mode: RunnerMode) -> None:
    b = settings.backend
    problems: list[str] = []
    if not b.content_service_url:
        problems.append("backend.content_service_url is not set (CONTENT_SERVICE_URL)")
    if b.kafka_enabled and not b.kafka_bootstrap:
        problems.append("backend.kafka_bootstrap is not set (KAFKA_BOOTSTRAP_SERVERS)")
    if mode is RunnerMode.EXECUTE:
        if b.assignment_id is None:
            problems.append("backend.assignment_id is required for execute")
        if not b.cj_service_url:
            problems.append("backend.cj_service_url is not set (CJ_SERVICE_URL)")
        if admin_token() is None:
            problems.append(f"no CJ admin token: set {' or '.join(TOKEN_ENV_VARS)}")
        if not inventory.students:
            problems.append(f"no student essays (dataset.students_dir={inventory.students_dir})")
        if b.register_anchors and not inventory.anchors:
            problems.append(
                f"no anchor essays to register (dataset.anchors_dir="
                f"{inventory.anchors_dir}); or set backend.register_anchors=false"
            )
    elif len(inventory.anchors) < 2:
        problems.append(
            f"{mode.value} needs at least 2 anchor essays "
            f"(dataset.anchors_dir={inventory.anchors_dir})"
        )
    if problems:
        raise ConfigError("the huleedu backend cannot start: " + "; ".join(problems))


def _content(settings: RunnerSettings, caller: ServiceCaller, opts: FlowOptions) -> ContentClient:
    b = settings.backend
    cache = opts.cache_file or settings.cache.path.parent / "content_upload_cache.json"
    assert b.content_service_url is not None
    return ContentClient(
        caller,
        b.content_service_url,
        cache_path=cache,
        force_reupload=b.force_reupload,
        concurrency=b.upload_concurrency,
    )


async def run_execute(
    settings: RunnerSettings,
    inventory: RunnerInventory,
    paths: RunnerPaths,
    options: FlowOptions | None = None,
) -> HuleeduOutcome:
    """US-008.1: students against the assignment's DB anchors (registered first)."""
    opts, b, mode = options or FlowOptions(), settings.backend, RunnerMode.EXECUTE
    _problems(settings, inventory, mode)
    assert b.assignment_id is not None and b.cj_service_url is not None
    assignment_id, token = str(b.assignment_id), admin_token() or ""
    batch_uuid, warnings = opts.batch_uuid or uuid4(), []
    id_map = assign_cj_ids(batch_uuid, inventory.students)
    async with make_client(b.http_timeout_s) as client:
        caller = ServiceCaller(client, retries=b.http_retries, backoff_s=opts.http_backoff_s)
        cj = CJClient(caller, b.cj_service_url)
        instructions = await cj.get_instructions(assignment_id, token)
        if b.expected_grade_scale and instructions.grade_scale != b.expected_grade_scale:
            raise ConfigError(
                f"assignment {assignment_id} uses grade scale "
                f"'{instructions.grade_scale}', not backend.expected_grade_scale="
                f"'{b.expected_grade_scale}'"
            )
        if instructions.grade_scale != inventory.grade_scale:
            warnings.append(
                f"CJ grades this assignment on '{instructions.grade_scale}', the "
                f"dataset on '{inventory.grade_scale}'"
            )
        if settings.dataset.include_assignment and not instructions.student_prompt_storage_id:
            raise ServiceError(
                f"assignment {assignment_id} has no student prompt in CJ",
                hint="upload it (cj-admin prompts upload) or set dataset.include_assignment=false",
            )
        if b.register_anchors:
            registered = await cj.register_anchors(
                assignment_id, inventory.anchors, concurrency=b.registration_concurrency
            )
            for essay_id, response in registered.items():
                id_map.add_anchor_ref(response.anchor_id, essay_id)
        summary = await cj.get_anchor_summary(assignment_id, token)
        if summary.anchor_count <= 0:
            raise ServiceError(
                f"CJ has no anchors for assignment {assignment_id} on scale "
                f"'{summary.grade_scale}'",
                hint="set backend.register_anchors=true or register them",
            )
        by_label = {e.label: e.essay_id for e in inventory.anchors}
        for ref in summary.anchors:
            if ref.anchor_label in by_label and ref.id not in id_map.cj_anchor_refs:
                id_map.add_anchor_ref(ref.id, by_label[ref.anchor_label])
        uploads = await _content(settings, caller, opts).upload_texts(
            {e.essay_id: e.text for e in inventory.students}
        )
    canonical = instructions.context_origin == "canonical_national"
    if canonical:
        warnings.append(
            "assignment context is canonical_national: CJ's own rubric is used; "
            "rubric override not sent"
        )
    overrides, more = build_llm_overrides(settings, include_rubric=not canonical)
    refs = [
        EssayProcessingInputRefV1(
            essay_id=id_map.cj(e.essay_id), text_storage_id=uploads.storage_ids[e.essay_id]
        )
        for e in inventory.students
    ]
    envelope = build_request_envelope(
        settings,
        inventory,
        batch_uuid=batch_uuid,
        essays_refs=refs,
        mode=mode,
        llm_overrides=overrides,
    )
    outcome = await publish_and_collect(
        settings, paths, envelope, id_map, None, opts, warnings + more
    )
    outcome.uploaded, outcome.reused_uploads = uploads.uploaded, uploads.reused
    return outcome


async def run_anchor_align(
    settings: RunnerSettings,
    inventory: RunnerInventory,
    paths: RunnerPaths,
    options: FlowOptions | None = None,
) -> HuleeduOutcome:
    """GUEST run: every anchor sent as an essay under test; CJ chooses the pairs."""
    return await _run_guest(settings, inventory, paths, None, options or FlowOptions())


async def run_boundary(
    settings: RunnerSettings,
    inventory: RunnerInventory,
    paths: RunnerPaths,
    schedule: list[PairRequest],
    options: FlowOptions | None = None,
) -> HuleeduOutcome:
    """GUEST run with ``pre_specified_comparisons`` in slot order; checks CJ honoured them."""
    if not schedule:
        raise ConfigError("boundary-test schedule is empty", hint="set boundary.pairs")
    return await _run_guest(settings, inventory, paths, schedule, options or FlowOptions())


async def _run_guest(
    settings: RunnerSettings,
    inventory: RunnerInventory,
    paths: RunnerPaths,
    schedule: Sequence[PairRequest] | None,
    opts: FlowOptions,
) -> HuleeduOutcome:
    mode = RunnerMode.BOUNDARY_TEST if schedule is not None else RunnerMode.ANCHOR_ALIGN_TEST
    _problems(settings, inventory, mode)
    b, warnings = settings.backend, []
    if b.assignment_id is not None:
        warnings.append(
            f"backend.assignment_id is ignored: {mode.value} runs as GUEST "
            "(assignment_id null, no DB anchors)"
        )
    pairing = settings.pairing
    if schedule is None and (pairing.repeats > 1 or pairing.design != "round_robin"):
        warnings.append("pairing.* is not used by the huleedu backend: CJ chooses the pairs")
    essays = guest_essays(inventory, schedule)
    batch_uuid = opts.batch_uuid or uuid4()
    id_map = assign_cj_ids(batch_uuid, essays)
    overrides, more = build_llm_overrides(settings)
    pre = pre_specified_from(schedule, id_map) if schedule is not None else None
    texts = {e.essay_id: e.text for e in essays}
    send_prompt = settings.dataset.include_assignment and inventory.assignment_text is not None
    if settings.dataset.include_assignment and not send_prompt:
        warnings.append(
            "dataset.include_assignment=true but there is no assignment text: the "
            "judge sees no Student Assignment"
        )
    if send_prompt and inventory.assignment_text is not None:
        texts[_PROMPT_KEY] = inventory.assignment_text
    async with make_client(b.http_timeout_s) as client:
        caller = ServiceCaller(client, retries=b.http_retries, backoff_s=opts.http_backoff_s)
        uploads = await _content(settings, caller, opts).upload_texts(texts)
    prompt_ref = None
    if send_prompt:
        hint = inventory.assignment.path.name if inventory.assignment else "assignment"
        prompt_ref = StorageReferenceMetadata(
            references={
                "student_prompt_text": StorageReference(
                    storage_id=uploads.storage_ids[_PROMPT_KEY], path=hint
                )
            }
        )
    refs = [
        EssayProcessingInputRefV1(
            essay_id=id_map.cj(e.essay_id), text_storage_id=uploads.storage_ids[e.essay_id]
        )
        for e in essays
    ]
    envelope = build_request_envelope(
        settings,
        inventory,
        batch_uuid=batch_uuid,
        essays_refs=refs,
        mode=mode,
        pre_specified=pre,
        student_prompt_ref=prompt_ref,
        llm_overrides=overrides,
    )
    outcome = await publish_and_collect(
        settings, paths, envelope, id_map, schedule, opts, warnings + more
    )
    outcome.uploaded, outcome.reused_uploads = uploads.uploaded, uploads.reused
    return outcome
