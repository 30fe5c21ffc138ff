"""CJ callbacks → the shared :class:`JudgementRecord` list; CJ's own scores kept aside.

Reports compute BT and every metric from the records alone; CJ's published
BT scores are stored separately (``cj_published_scores``) for comparison.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from eng5_runner.engine.records import JudgementRecord, PairRequest
from eng5_runner.huleedu.contracts import AssessmentResultV1, LLMComparisonResultV1
from eng5_runner.huleedu.ids import CjIdMap

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class Hydrated:
    """Records in arrival order, plus what could not be mapped."""

    records: list[JudgementRecord]
    unknown_cj_ids: set[str] = field(default_factory=set)
    unscheduled: int = 0
    """Callbacks whose ordered pair matched no open slot of the schedule."""


class CjPublishedScore(BaseModel):
    """One essay's result as CJ published it (``EssayResultV1``)."""

    model_config = ConfigDict(frozen=True)

    essay_id: str
    """Inventory id when known, else CJ's id (e.g. a DB anchor ``ANCHOR_...``)."""
    cj_essay_id: str
    bt_score: float | None
    rank: int | None
    letter_grade: str | None
    normalized_score: float | None
    confidence_score: float | None
    confidence_label: str | None
    is_anchor: bool


class CjPublishedScores(BaseModel):
    """CJ's rich result, kept alongside our own BT fit in the artefact."""

    model_config = ConfigDict(frozen=True)

    batch_id: str
    cj_assessment_job_id: str | None
    model_used: str | None
    model_provider: str | None
    scores: list[CjPublishedScore]
    assessment_metadata: dict[str, Any]


def hydrate_callbacks(
    callbacks: Sequence[LLMComparisonResultV1],
    id_map: CjIdMap,
    *,
    schedule: Sequence[PairRequest] | None = None,
) -> Hydrated:
    """One record per callback; with a schedule, callbacks fill its ordered-pair slots."""
    slots: dict[tuple[str, str], deque[PairRequest]] = {}
    for request in schedule or ():
        slots.setdefault((request.a_id, request.b_id), deque()).append(request)
    seen: Counter[tuple[str, str]] = Counter()
    result = Hydrated(records=[])
    for seq, callback in enumerate(callbacks, start=1):
        meta = callback.request_metadata
        a_id = _inventory(meta.essay_a_id or "", id_map, result)
        b_id = _inventory(meta.essay_b_id or "", id_map, result)
        key = (a_id, b_id)
        open_slots = slots.get(key)
        if open_slots:
            slot = open_slots.popleft()
            comparison_id, iteration = slot.comparison_id, slot.iteration
        else:
            if schedule is not None:
                result.unscheduled += 1
            comparison_id = f"{'u' if schedule is not None else 'c'}{seq:04d}"
            iteration = seen[key]
        seen[key] += 1
        result.records.append(_record(callback, comparison_id, a_id, b_id, iteration))
    return result


def _inventory(cj_id: str, id_map: CjIdMap, result: Hydrated) -> str:
    found = id_map.inventory_id(cj_id)
    if found is None:
        result.unknown_cj_ids.add(cj_id)
        return cj_id
    return found


def _record(
    callback: LLMComparisonResultV1, comparison_id: str, a_id: str, b_id: str, iteration: int
) -> JudgementRecord:
    meta = callback.request_metadata
    usage = callback.token_usage
    common: dict[str, Any] = {
        "comparison_id": comparison_id,
        "essay_a_id": a_id,
        "essay_b_id": b_id,
        "iteration": iteration,
        "provider": meta.resolved_provider or callback.provider,
        "model": meta.resolved_model or callback.model,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "cost_usd": callback.cost_estimate,
        "latency_ms": callback.response_time_ms,
        "started_at": callback.requested_at.isoformat() if callback.requested_at else None,
        "completed_at": callback.completed_at.isoformat() if callback.completed_at else None,
        "request_id": callback.request_id,
        "prompt_sha256": meta.prompt_sha256 if _SHA256.match(meta.prompt_sha256 or "") else None,
    }
    if callback.error_detail is not None:
        detail = callback.error_detail
        return JudgementRecord(
            status="failed", failure_reason=f"{detail.error_code}: {detail.message}", **common
        )
    winner: Literal["A", "B"] = "A" if callback.winner == "Essay A" else "B"
    winner_id, loser_id = (a_id, b_id) if winner == "A" else (b_id, a_id)
    return JudgementRecord(
        status="succeeded",
        winner=winner,
        winner_id=winner_id,
        loser_id=loser_id,
        confidence=callback.confidence,
        justification=callback.justification,
        **common,
    )


def published_scores(
    result: AssessmentResultV1 | None, id_map: CjIdMap
) -> CjPublishedScores | None:
    """CJ's published BT scores with essay ids mapped back to the inventory."""
    if result is None:
        return None
    scores = [
        CjPublishedScore(
            essay_id=id_map.inventory_id(item.essay_id) or item.essay_id,
            cj_essay_id=item.essay_id,
            bt_score=item.bt_score,
            rank=item.rank,
            letter_grade=item.letter_grade,
            normalized_score=item.normalized_score,
            confidence_score=item.confidence_score,
            confidence_label=item.confidence_label,
            is_anchor=item.is_anchor,
        )
        for item in result.essay_results
    ]
    return CjPublishedScores(
        batch_id=result.batch_id,
        cj_assessment_job_id=result.cj_assessment_job_id,
        model_used=result.model_used,
        model_provider=result.model_provider,
        scores=scores,
        assessment_metadata=result.assessment_metadata,
    )


def pre_specified_warnings(
    schedule: Sequence[PairRequest], records: Sequence[JudgementRecord], *, completed: bool
) -> list[str]:
    """Say whether CJ honoured ``pre_specified_comparisons`` (ordered pairs, counts)."""
    requested = Counter((r.a_id, r.b_id) for r in schedule)
    received = Counter((r.essay_a_id, r.essay_b_id) for r in records)
    extra = received - requested
    missing = requested - received
    warnings: list[str] = []
    if extra:
        n_extra = sum(extra.values())
        reversed_ = sum(n for (a, b), n in extra.items() if (b, a) in requested)
        warnings.append(
            f"CJ did not follow pre_specified_comparisons: {n_extra} of {len(records)} "
            f"callback(s) match no requested ordered pair ({reversed_} with A/B swapped); "
            "this CJ build probably lacks ADR-0018 support, so position-bias and boundary "
            "statistics from this run are not valid"
        )
    if missing and (completed or extra):
        warnings.append(
            f"{sum(missing.values())} of {len(schedule)} requested comparison(s) never came back"
        )
    return warnings
