"""The run artefact: one JSON document per run, validated against its published schema.

Schema: ``eng5_runner/schemas/artefact.schema.json`` (package data), published
unchanged as ``docs/artefact.schema.json``; version :data:`SCHEMA_VERSION`.

Checksum procedure (``validation.artefact_checksum``): set the field to ``""``,
serialise the whole artefact with ``json.dumps(data, sort_keys=True,
separators=(",", ":"), ensure_ascii=False, allow_nan=False)``, encode as UTF-8
and take the lowercase hex SHA-256. :func:`verify_checksum` re-does exactly that.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from eng5_runner.engine.records import JudgementRecord, PairRequest
from eng5_runner.errors import ArtefactError
from eng5_runner.inputs.inventory import Essay
from eng5_runner.output.atomic import write_json_atomic
from eng5_runner.reports.alignment import AlignmentResult
from eng5_runner.reports.boundary import BoundaryResult
from eng5_runner.reports.context import ReportContext, count_records
from eng5_runner.reports.summary import summary_from_alignment, summary_from_boundary

SCHEMA_VERSION = "2.0.0"
SCHEMA_RESOURCE = "schemas/artefact.schema.json"
CHECKSUM_PROCEDURE = (
    "sha256 over UTF-8 json.dumps(artefact, sort_keys=True, separators=(',', ':'), "
    "ensure_ascii=False, allow_nan=False) with validation.artefact_checksum set to ''"
)
ArtefactStatus = Literal["stub", "complete", "partial"]


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The artefact JSON schema shipped with the package."""
    text = resources.files("eng5_runner").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def artefact_checksum(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON with the checksum field emptied (see module doc)."""
    blank = copy.deepcopy(dict(data))
    blank.setdefault("validation", {})["artefact_checksum"] = ""
    canonical = json.dumps(
        blank, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def verify_checksum(data: Mapping[str, Any]) -> bool:
    """True when ``validation.artefact_checksum`` matches the content."""
    stored = data.get("validation", {}).get("artefact_checksum")
    return bool(stored) and stored == artefact_checksum(data)


def seal_artefact(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` with a freshly computed checksum."""
    sealed = copy.deepcopy(dict(data))
    sealed.setdefault("validation", {})["artefact_checksum"] = artefact_checksum(sealed)
    return sealed


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
    psychometrics: Any = None,
) -> dict[str, Any]:
    """Assemble the artefact (sealed with its checksum); :func:`write_artefact` validates it.

    ``psychometrics`` (a ``reports.psychometrics.Psychometrics``) defaults to the mode
    result's own.
    """
    counts = count_records(records)
    warnings = list(ctx.warnings)
    metrics: dict[str, float | int | None] = {}
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
            "partial_data": ctx.partial_data or status == "partial",
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
    return seal_artefact(data)


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
            },
        )
        entry["comparisons"] += 1
        entry["prompt_tokens"] += r.prompt_tokens
        entry["completion_tokens"] += r.completion_tokens
        entry["usd"] += r.cost_usd
    rows = [dict(entry, usd=round(entry["usd"], 6)) for _, entry in sorted(groups.items())]
    return {"total_usd": round(sum(r.cost_usd for r in records), 6), "token_counts": rows}


def _pointer(parts: Sequence[object]) -> str:
    """RFC 6901 JSON pointer; the root is shown as ``/``."""
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return "/" + "/".join(escaped)


def _non_finite(value: Any, path: tuple[object, ...] = ()) -> tuple[object, ...] | None:
    if isinstance(value, float) and not math.isfinite(value):
        return path
    items: Any = (
        value.items()
        if isinstance(value, Mapping)
        else (enumerate(value) if isinstance(value, list | tuple) else ())
    )
    for key, item in items:
        found = _non_finite(item, (*path, key))
        if found is not None:
            return found
    return None


def validate_artefact(data: Mapping[str, Any]) -> None:
    """Raise :class:`ArtefactError` naming the first offending JSON pointer and why."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    bad = _non_finite(data)
    if bad is not None:
        raise ArtefactError(f"artefact invalid at {_pointer(bad)}: nan or infinity is not JSON")
    error = best_match(Draft202012Validator(load_schema()).iter_errors(data))
    if error is not None:
        raise ArtefactError(
            f"artefact invalid at {_pointer(list(error.absolute_path))}: {error.message}",
            hint="this is a bug in the runner; please report it with the run directory",
        )
    stored = data["validation"]["artefact_checksum"]
    if stored and stored != artefact_checksum(data):
        raise ArtefactError(
            "artefact invalid at /validation/artefact_checksum: the checksum "
            "does not match the content"
        )


def write_artefact(path: Path, data: Mapping[str, Any]) -> Path:
    """Re-seal, validate, then write atomically; on error nothing is written."""
    sealed = seal_artefact(data)
    validate_artefact(sealed)
    return write_json_atomic(path, sealed)
