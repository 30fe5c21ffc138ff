"""Get judgements for a schedule from the configured backend (local engine or HuleEdu)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from eng5_runner.engine.records import JudgementRecord, PairRequest
from eng5_runner.errors import ConfigError, RunnerError
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.settings.models import RunnerMode, RunnerSettings


class JudgedRun(BaseModel):
    """Records of one run plus what the backend said about them."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    records: tuple[JudgementRecord, ...]
    partial_data: bool = False
    batch_uuid: str | None = None
    warnings: tuple[str, ...] = ()
    published: bool = True
    cj_published_scores: list[dict[str, Any]] | None = None
    outcome: Any = None
    """The HuleeduOutcome, for the huleedu backend."""
    requested: int | None = None
    """Comparisons asked for (None when CJ chooses them)."""
    backend_notes: tuple[str, ...] = ()
    """Why the backend did not finish (timeout, lost broker, CJ status); see run_status."""
    fatal: Any = None
    """A RunnerError that stopped judging; raised once the outputs are written."""
    event_counts: dict[str, int] | None = None
    """huleedu: foreign, duplicate and malformed events (artefact runner_status.events)."""
    requests: tuple[PairRequest, ...] | None = None
    """pairing=adaptive: every request of every round (the schedule was round 0 only)."""
    adaptive: Any = None
    """pairing=adaptive: the engine.adaptive.AdaptiveResult (rounds, stop reason)."""


def judge_schedule(
    settings: RunnerSettings,
    inventory: RunnerInventory,
    schedule: Sequence[PairRequest],
    paths: RunnerPaths,
) -> JudgedRun:
    """Run the schedule on the chosen backend; one ``asyncio.run`` per run."""
    if settings.backend.kind == "local":
        return _judge_locally(settings, inventory, schedule)
    return _judge_on_huleedu(settings, inventory, schedule, paths)


def _judge_locally(
    settings: RunnerSettings, inventory: RunnerInventory, schedule: Sequence[PairRequest]
) -> JudgedRun:
    """Judge on the local engine; a fatal provider error keeps what was judged."""
    from eng5_runner.engine.run_local import judge_pairs

    if settings.pairing.design == "adaptive" and settings.mode is not RunnerMode.BOUNDARY_TEST:
        from eng5_runner.engine.adaptive import judge_adaptive

        rounds = asyncio.run(
            judge_adaptive(settings, inventory, schedule, progress=settings.show_progress)
        )
        return JudgedRun(
            records=tuple(rounds.records),
            requests=tuple(rounds.requests),
            adaptive=rounds,
            requested=len(rounds.requests),
        )

    seen: dict[str, JudgementRecord] = {}

    def keep(record: JudgementRecord) -> None:
        seen[record.comparison_id] = record

    try:
        records = asyncio.run(
            judge_pairs(
                settings, inventory, schedule, progress=settings.show_progress, on_record=keep
            )
        )
    except RunnerError as exc:
        if not seen:
            raise  # nothing was judged (a missing key, a replay miss): nothing to report
        order = [r.comparison_id for r in schedule if r.comparison_id in seen]
        kept = tuple(seen[cid] for cid in order)
        note = f"stopped early: {type(exc).__name__}: {exc.one_line()}"
        return JudgedRun(records=kept, requested=len(schedule), backend_notes=(note,), fatal=exc)
    return JudgedRun(records=tuple(records), requested=len(schedule))


def _judge_on_huleedu(
    settings: RunnerSettings,
    inventory: RunnerInventory,
    schedule: Sequence[PairRequest],
    paths: RunnerPaths,
) -> JudgedRun:
    from eng5_runner.huleedu import flows

    if settings.cache.mode == "replay":
        raise ConfigError(
            "cache=replay needs backend=local: on the huleedu backend CJ makes the comparisons",
            hint="replay recorded judgements with backend=local, or use cache=read_write",
        )
    if settings.mode is RunnerMode.BOUNDARY_TEST:
        outcome = asyncio.run(flows.run_boundary(settings, inventory, paths, list(schedule)))
    elif settings.mode is RunnerMode.EXECUTE:
        outcome = asyncio.run(flows.run_execute(settings, inventory, paths))
    else:
        outcome = asyncio.run(flows.run_anchor_align(settings, inventory, paths))
    scores = outcome.cj_published_scores
    return JudgedRun(
        requested=len(schedule) if settings.mode is RunnerMode.BOUNDARY_TEST else None,
        backend_notes=tuple(outcome.status_notes()),
        event_counts=outcome.event_counts(),
        records=tuple(outcome.records),
        partial_data=outcome.partial_data,
        batch_uuid=str(outcome.batch_uuid),
        warnings=tuple(outcome.warnings),
        published=outcome.published,
        cj_published_scores=[s.model_dump(mode="json") for s in scores.scores]
        if scores is not None
        else None,
        outcome=outcome,
    )


def submitted_without_results(judged: JudgedRun, settings: RunnerSettings) -> bool:
    """True (and says why) when a huleedu run ends at the request: nothing to report."""
    from eng5_runner.output.console import print_path

    outcome = judged.outcome
    if outcome is None:
        return False
    if not judged.published:
        print_path(
            "Kafka disabled (backend.kafka_enabled=false): nothing was published; "
            "request written to",
            outcome.request_path,
        )
        return True
    if not settings.await_completion:
        print_path(
            f"Published batch {judged.batch_uuid}; not waiting for results "
            "(await_completion=false); request",
            outcome.request_path,
        )
        return True
    return False
