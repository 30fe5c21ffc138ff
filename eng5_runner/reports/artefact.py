"""The run artefact: one JSON document per run, validated against its published schema.

Schema: ``eng5_runner/schemas/artefact.schema.json`` (package data), published
unchanged as ``docs/artefact.schema.json``; version :data:`SCHEMA_VERSION`.

Checksum procedure (``validation.artefact_checksum``): set the field to ``""``,
serialise the whole artefact with ``json.dumps(data, sort_keys=True,
separators=(",", ":"), ensure_ascii=False, allow_nan=False)``, encode as UTF-8
and take the lowercase hex SHA-256. :func:`verify_checksum` re-does exactly that.

Lean at any size (schema 3): pairwise data is sparse (``analysis.pair_wins``, never an
n × n matrix); the document is sealed in place with one serialisation, no copy; it is
validated in time linear in its size (jsonschema for the structure, compiled pydantic
checks for the per-item arrays, :mod:`eng5_runner.reports.artefact_check`); and arrays
longer than :data:`COMPACT_ARRAY_MIN` are written one compact item per line.
Artefacts of schema 2 (dense ``analysis.win_matrix``) still read, verify and validate
against their own version's rules (:func:`validate_artefact`).
"""

from __future__ import annotations

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
from eng5_runner.output.atomic import write_text_atomic
from eng5_runner.reports.alignment.models import AlignmentResult
from eng5_runner.reports.artefact_check import FAST_ARRAYS, check_items
from eng5_runner.reports.boundary.models import BoundaryResult
from eng5_runner.reports.context import ReportContext, count_records
from eng5_runner.reports.summary import summary_from_alignment, summary_from_boundary

SCHEMA_VERSION = "3.0.0"
SCHEMA_RESOURCE = "schemas/artefact.schema.json"
COMPACT_ARRAY_MIN = 8
"""Arrays with at least this many items are written one compact JSON item per line."""
CHECKSUM_PROCEDURE = (
    "sha256 over UTF-8 json.dumps(artefact, sort_keys=True, separators=(',', ':'), "
    "ensure_ascii=False, allow_nan=False) with validation.artefact_checksum set to ''"
)
ArtefactStatus = Literal["stub", "complete", "partial", "failed"]


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The artefact JSON schema shipped with the package."""
    text = resources.files("eng5_runner").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _canonical(data: Mapping[str, Any]) -> str:
    """The checksummed serialisation, with the checksum field emptied (no deep copy)."""
    blank = dict(data)
    blank["validation"] = {**(data.get("validation") or {}), "artefact_checksum": ""}
    try:
        return json.dumps(
            blank, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError:
        bad = _non_finite(blank)
        where = _pointer(bad) if bad is not None else "/"
        raise ArtefactError(
            f"artefact invalid at {where}: nan or infinity is not JSON",
            hint="this is a bug in the runner; please report it with the run directory",
        ) from None


def artefact_checksum(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON with the checksum field emptied (see module doc)."""
    return hashlib.sha256(_canonical(data).encode("utf-8")).hexdigest()


def verify_checksum(data: Mapping[str, Any]) -> bool:
    """True when ``validation.artefact_checksum`` matches the content."""
    stored = data.get("validation", {}).get("artefact_checksum")
    return bool(stored) and stored == artefact_checksum(data)


def seal_artefact(data: dict[str, Any]) -> dict[str, Any]:
    """Set ``validation.artefact_checksum`` in place (one serialisation) and return ``data``."""
    checksum = artefact_checksum(data)
    data["validation"] = {**data.get("validation", {}), "artefact_checksum": checksum}
    return data


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


def _major(data: Mapping[str, Any]) -> int | None:
    version = data.get("schema_version")
    head = version.split(".", 1)[0] if isinstance(version, str) else ""
    return int(head) if head.isdigit() else None


def _set_aside(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[tuple[str, ...], Any]]]:
    """A shallow view of ``data`` with the per-item arrays emptied, and those arrays."""
    view = dict(data)
    arrays: list[tuple[tuple[str, ...], Any]] = []
    for path in FAST_ARRAYS:
        parent: Any = view
        for key in path[:-1]:
            child = parent.get(key) if isinstance(parent, dict) else None
            if not isinstance(child, Mapping):
                parent = None
                break
            parent[key] = parent = dict(child)
        if isinstance(parent, dict) and isinstance(parent.get(path[-1]), list):
            arrays.append((path, parent[path[-1]]))
            parent[path[-1]] = []
    return view, arrays


def _check_content(data: Mapping[str, Any]) -> None:
    """Schema rules for ``data``'s own schema version; linear in the document's size."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    schema = legacy_schema() if _major(data) == 2 else load_schema()
    view, arrays = _set_aside(data)
    error = best_match(Draft202012Validator(schema).iter_errors(view))
    if error is not None:
        raise ArtefactError(
            f"artefact invalid at {_pointer(list(error.absolute_path))}: {error.message}",
            hint="this is a bug in the runner; please report it with the run directory",
        )
    for path, items in arrays:
        bad = check_items(path, items)
        if bad is not None:
            raise ArtefactError(
                f"artefact invalid at {_pointer(bad[0])}: {bad[1]}",
                hint="this is a bug in the runner; please report it with the run directory",
            )


@lru_cache(maxsize=1)
def legacy_schema() -> dict[str, Any]:
    """Schema 2 rules: today's schema with the 2.x version and the dense win matrix allowed."""
    schema = json.loads(json.dumps(load_schema()))
    schema["properties"]["schema_version"]["pattern"] = r"^2\.\d+\.\d+$"
    schema["properties"]["analysis"]["oneOf"][1]["properties"].pop("win_matrix", None)
    return schema


def validate_artefact(data: Mapping[str, Any]) -> None:
    """Raise :class:`ArtefactError` naming the first offending JSON pointer and why.

    Reads schema 3 and schema 2 artefacts (the latter with their dense win matrix).
    """
    canonical = _canonical(data)  # also rejects nan / infinity, naming where
    _check_content(data)
    stored = data["validation"]["artefact_checksum"]
    if stored and stored != hashlib.sha256(canonical.encode("utf-8")).hexdigest():
        raise ArtefactError(
            "artefact invalid at /validation/artefact_checksum: the checksum "
            "does not match the content"
        )


def write_artefact(path: Path, data: dict[str, Any]) -> Path:
    """Seal (in place), validate, then write atomically; on error nothing is written."""
    seal_artefact(data)
    _check_content(data)
    return write_text_atomic(path, dumps_artefact(data))


def dumps_artefact(data: Mapping[str, Any]) -> str:
    """Indented JSON, except arrays of :data:`COMPACT_ARRAY_MIN`+ items: one compact item a line.

    Parses back to exactly ``data``; an 8,000-comparison artefact is ~3× smaller than
    ``indent=2`` and serialises in one pass.
    """
    return _encode(data, "") + "\n"


def _encode(value: Any, indent: str) -> str:
    inner = indent + "  "
    if isinstance(value, Mapping) and value:
        body = ",\n".join(
            f"{inner}{_compact(str(k))}: {_encode(v, inner)}" for k, v in sorted(value.items())
        )
        return "{\n" + body + "\n" + indent + "}"
    if isinstance(value, list | tuple) and value:
        if len(value) >= COMPACT_ARRAY_MIN:
            body = ",\n".join(inner + _compact(item) for item in value)
        else:
            body = ",\n".join(inner + _encode(item, inner) for item in value)
        return "[\n" + body + "\n" + indent + "]"
    return _compact(value)


_COMPACT = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":")
)
"""One encoder for every item: ``json.dumps`` with options builds a new one per call."""


def _compact(value: Any) -> str:
    return _COMPACT.encode(value)
