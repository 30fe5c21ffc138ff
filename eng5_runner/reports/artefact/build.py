"""Assemble the artefact document from a run's context, records and mode result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from eng5_runner.engine.records import JudgementRecord, PairRequest
from eng5_runner.inputs.inventory import Essay
from eng5_runner.reports.alignment.models import AlignmentResult
from eng5_runner.reports.artefact.checksum import CHECKSUM_PROCEDURE, seal_artefact
from eng5_runner.reports.artefact.schema import SCHEMA_VERSION
from eng5_runner.reports.boundary.models import BoundaryResult
from eng5_runner.reports.context import ReportContext, count_records
from eng5_runner.reports.summary import summary_from_alignment, summary_from_boundary

ArtefactStatus = Literal["stub", "complete", "partial", "failed"]


def build_artefact(
    *,
    ctx: ReportContext,
    records: Sequence[JudgementRecord],
    essays: Sequence[Essay],
    mode_result: AlignmentResult | BoundaryResult | None,
    status: ArtefactStatus,
    extra: Mapping[str, Any] | None = None,
    requests: Sequence[PairRequest] | None = None,
    cj_published_scores: Sequence[Mapping[str, Any]] | None = None,
    run_outcome: Mapping[str, Any] | None = None,
    event_counts: Mapping[str, int] | None = None,
    sealed: bool = True,
    psychometrics: Any = None,
) -> dict[str, Any]:
    """Assemble the artefact; :func:`write_artefact` validates and writes it.

    ``sealed=False`` leaves the checksum empty, for a caller that adds to the document
    and then writes it (:func:`write_artefact` seals it once, just before writing).
    ``psychometrics`` (a ``reports.psychometrics.Psychometrics``) defaults to the mode
    result's own.
    """
    counts = count_records(records)
    warnings = list(ctx.warnings)
    metrics: dict[str, float | int | list[float] | None] = {}
    analysis: dict[str, Any] | None = None
    bt_summary: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    if isinstance(mode_result, AlignmentResult):
        metrics = summary_from_alignment(mode_result).metrics
        analysis = {"kind": "anchor_alignment", **mode_result.model_dump(mode="json")}
        bt_summary = [_bt_entry(row.model_dump()) for row in mode_result.anchors]
    elif isinstance(mode_result, BoundaryResult):
        metrics = summary_from_boundary(mode_result).metrics
        analysis = {"kind": "boundary", **mode_result.model_dump(mode="json")}
    if mode_result is not None:
        targets = [check.model_dump(mode="json") for check in mode_result.targets]
        warnings += [w for w in mode_result.warnings if w not in warnings]
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "status": status,
        "metadata": {
            "runner_version": ctx.runner_version,
            "run_signature": ctx.run_signature,
            "mode": ctx.mode,
            "batch_label": ctx.batch_label,
            "batch_uuid": ctx.batch_uuid,
            "git_sha": ctx.git_sha,
            "generated_at": ctx.created_at,
            "backend": ctx.backend,
            "judge": {
                "provider": ctx.judge_provider,
                "model": ctx.judge_model,
                "models_observed": list(ctx.models_observed),
                "generation_params": ctx.generation_params,
            },
            "grade_scale": ctx.grade_scale,
            "simulated": ctx.simulated,
            "dataset": ctx.dataset,
            "experiment_name": ctx.experiment_name,
            "overrides": list(ctx.overrides),
        },
        "inputs": {
            "anchors": [_essay(e) for e in essays if e.role == "anchor"],
            "students": [_essay(e) for e in essays if e.role == "student"],
            "assignment": None
            if ctx.assignment_name is None
            else {
                "name": ctx.assignment_name,
                "sha256": ctx.assignment_sha256,
                "included": ctx.assignment_included,
            },
            "prompts": {
                "system_prompt": ctx.system_prompt.model_dump(mode="json"),
                "rubric": ctx.rubric.model_dump(mode="json"),
            },
        },
        "comparisons": [record.model_dump(mode="json") for record in records],
        "bt_summary": bt_summary,
        "metrics": metrics,
        "targets": targets,
        "analysis": analysis,
        "costs": _costs(records),
        "runner_status": {
            "partial_data": ctx.partial_data or status in ("partial", "failed"),
            "observed": {
                "comparisons": counts.total,
                "succeeded": counts.successful,
                "failed": counts.failed,
                "cached": counts.cached,
                "requested": len(requests) if requests is not None else None,
            },
            "warnings": warnings,
        },
        "validation": {
            "artefact_checksum": "",
            "algorithm": "sha256",
            "procedure": CHECKSUM_PROCEDURE,
        },
    }
    if run_outcome is not None:
        data["runner_status"]["outcome"] = dict(run_outcome)
    if event_counts is not None:
        data["runner_status"]["events"] = dict(event_counts)
    if requests is not None:
        data["requests"] = [request.model_dump(mode="json") for request in requests]
    if cj_published_scores is not None:
        data["cj_published_scores"] = [dict(score) for score in cj_published_scores]
    if extra:
        data["extra"] = dict(extra)
    psy = (
        psychometrics if psychometrics is not None else getattr(mode_result, "psychometrics", None)
    )
    if psy is not None:
        data["psychometrics"] = psy.model_dump(mode="json")
    return seal_artefact(data) if sealed else data


def _essay(essay: Essay) -> dict[str, Any]:
    path = Path(essay.source.path)
    return {
        "essay_id": essay.essay_id,
        "label": essay.label,
        "grade": essay.grade,
        "file_name": path.name,
        "source_path": str(path),
        "sha256": essay.source.sha256,
        "words": essay.word_count,
    }


def _bt_entry(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "essay_id": row["essay_id"],
        "label": row["label"],
        "grade": row["grade"],
        "is_anchor": True,
        "theta": row["theta"],
        "standard_error": row["se"],
        "ci_low": row["ci_low"],
        "ci_high": row["ci_high"],
        "rank": row["actual_rank"],
        "expected_rank": row["expected_rank"],
        "wins": row["wins"],
        "losses": row["losses"],
        "comparison_count": row["comparisons"],
    }


def _costs(records: Sequence[JudgementRecord]) -> dict[str, Any]:
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for r in records:
        entry = groups.setdefault(
            (r.provider, r.model),
            {
                "provider": r.provider,
                "model": r.model,
                "comparisons": 0,
                "prompt_tokens": 0,
                "completion_tokens": 0,
                "usd": 0.0,
                "cached_input_tokens": 0,
                "cache_write_tokens": 0,
                "reasoning_tokens": 0,
                "cost_known": True,
            },
        )
        entry["comparisons"] += 1
        entry["prompt_tokens"] += r.prompt_tokens
        entry["completion_tokens"] += r.completion_tokens
        entry["usd"] += r.cost_usd
        entry["cached_input_tokens"] += r.cached_input_tokens
        entry["cache_write_tokens"] += r.cache_write_tokens
        entry["reasoning_tokens"] += r.reasoning_tokens
        entry["cost_known"] = entry["cost_known"] and (r.cost_known or not r.succeeded)
    rows = [dict(entry, usd=round(entry["usd"], 6)) for _, entry in sorted(groups.items())]
    return {"total_usd": round(sum(r.cost_usd for r in records), 6), "token_counts": rows}
