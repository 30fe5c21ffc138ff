"""A run's outcome, and the publish → collect → hydrate step every flow ends with."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from pydantic import BaseModel, Field

from eng5_runner.engine.records import JudgementRecord, PairRequest
from eng5_runner.errors import CollectorError, KafkaError
from eng5_runner.huleedu.collector import BatchCollector, CollectedEvents, describe
from eng5_runner.huleedu.hydrate import (
    CjPublishedScores,
    hydrate_callbacks,
    pre_specified_warnings,
    published_scores,
)
from eng5_runner.huleedu.ids import CjIdMap
from eng5_runner.huleedu.kafka import KAFKA_TIMEOUT_S, publish_envelope
from eng5_runner.huleedu.request import RequestEnvelope, write_request_file
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.settings.models import RunnerSettings

log = logging.getLogger(__name__)
CJ_SUCCESS_STATUSES = frozenset({"completed_successfully", "completed", "success", "succeeded"})


class HuleeduOutcome(BaseModel):
    """What a huleedu run produced; the handler turns it into the artefact and report."""

    batch_uuid: UUID
    mode: str
    records: list[JudgementRecord] = Field(default_factory=list)
    published: bool
    awaited: bool
    partial_data: bool
    """Awaited but incomplete: timeout, lost broker, or CJ failure before completion."""
    timed_out: bool = False
    completed: bool = False
    cj_status: str | None = None
    cj_failure: str | None = None
    events_received: dict[str, int] = Field(default_factory=dict)
    malformed_count: int = 0
    duplicate_count: int = 0
    foreign_count: int = 0
    cj_published_scores: CjPublishedScores | None = None
    warnings: list[str] = Field(default_factory=list)
    request_path: Path
    cj_essay_ids: dict[str, str] = Field(default_factory=dict)
    """Inventory essay id → the id CJ saw."""
    uploaded: int = 0
    reused_uploads: int = 0
    elapsed_s: float = 0.0
    collection_error: str | None = None
    """Why collecting stopped early (e.g. the broker was lost)."""

    def status_notes(self) -> list[str]:
        """Backend facts that make the run partial (see ``reports.run_status``)."""
        if not self.awaited:
            return []
        notes: list[str] = []
        if self.collection_error is not None:
            notes.append(f"collection stopped early: {self.collection_error}")
        if self.timed_out:
            notes.append(f"timed out after {self.elapsed_s:.0f} s waiting for CJ")
        if self.cj_failure is not None:
            notes.append(f"CJ reported the batch as failed: {self.cj_failure}")
        elif self.cj_status is not None and self.cj_status not in CJ_SUCCESS_STATUSES:
            notes.append(f"CJ completed with status {self.cj_status!r}, not a success")
        elif not self.completed and not notes:
            notes.append("CJ never reported completion")
        return notes

    def event_counts(self) -> dict[str, int] | None:
        """Foreign, duplicate and malformed events (None when nothing was awaited)."""
        if not self.awaited:
            return None
        return {
            "foreign": self.foreign_count,
            "duplicate": self.duplicate_count,
            "malformed": self.malformed_count,
        }

    def raise_for_failure(self) -> None:
        """Raise after the artefact is written: CJ failure, or the broker lost mid-run."""
        if self.cj_failure is not None:
            raise CollectorError(
                f"CJ reported batch {self.batch_uuid} as failed: {self.cj_failure}",
                hint="see the CJ service logs",
            )
        if self.collection_error is not None:
            raise KafkaError(
                f"batch {self.batch_uuid}: {self.collection_error}; "
                f"{len(self.records)} comparison(s) received before that are in the report",
                hint="check that the Kafka broker is up (backend.kafka_bootstrap), then run again",
            )


@dataclass(frozen=True)
class FlowOptions:
    """Knobs that are not settings (tests, benchmarks, handler progress)."""

    batch_uuid: UUID | None = None
    cache_file: Path | None = None
    """Content upload cache; default ``<cache.path dir>/content_upload_cache.json``."""
    http_backoff_s: float = 0.5
    kafka_timeout_s: float = KAFKA_TIMEOUT_S
    result_wait_s: float = 10.0
    on_event: Callable[[CollectedEvents], None] | None = None


async def publish_and_collect(
    settings: RunnerSettings,
    paths: RunnerPaths,
    envelope: RequestEnvelope,
    id_map: CjIdMap,
    schedule: Sequence[PairRequest] | None,
    opts: FlowOptions,
    warnings: list[str],
) -> HuleeduOutcome:
    """Write the request; publish it (collector first when awaiting); hydrate."""
    b, started = settings.backend, time.monotonic()
    request_path = write_request_file(paths, envelope)
    outcome = HuleeduOutcome(
        batch_uuid=id_map.batch_uuid,
        mode=str((envelope.metadata or {}).get("runner_mode")),
        request_path=request_path,
        cj_essay_ids=dict(id_map.to_cj),
        published=False,
        awaited=False,
        partial_data=False,
        warnings=list(warnings),
    )
    if not b.kafka_enabled:
        outcome.warnings.append(
            f"backend.kafka_enabled=false: nothing was published; the request is in {request_path}"
        )
        log.warning(outcome.warnings[-1])
        return outcome
    bootstrap = b.kafka_bootstrap
    assert bootstrap is not None

    async def publish() -> None:
        await publish_envelope(
            bootstrap,
            envelope,
            key=str(id_map.batch_uuid),
            client_id=b.kafka_client_id,
            idempotence=b.kafka_idempotence,
            timeout_s=opts.kafka_timeout_s,
        )
        outcome.published = True

    if not settings.await_completion:
        await publish()
        outcome.warnings.append("await_completion=false: published without waiting for results")
        outcome.elapsed_s = round(time.monotonic() - started, 3)
        return outcome
    collector = BatchCollector(
        bootstrap=bootstrap,
        batch_uuid=id_map.batch_uuid,
        events_dir=paths.events_dir,
        timeout_s=b.completion_timeout_s,
        grace_s=b.grace_s,
        client_id=b.kafka_client_id,
        result_wait_s=opts.result_wait_s,
        connect_timeout_s=opts.kafka_timeout_s,
        expected_callbacks=len(schedule) if schedule is not None else None,
        on_event=opts.on_event,
        broker_loss_s=b.broker_loss_s,
    )
    async with collector:
        await publish()
        events = await collector.collect()
    log.info("collected batch %s: %s", id_map.batch_uuid, describe(events))
    _fill(outcome, events, id_map, schedule)
    outcome.elapsed_s = round(time.monotonic() - started, 3)
    return outcome


def _fill(
    outcome: HuleeduOutcome,
    events: CollectedEvents,
    id_map: CjIdMap,
    schedule: Sequence[PairRequest] | None,
) -> None:
    """Hydrate the collected events into ``outcome`` and explain anything unusual."""
    hydrated = hydrate_callbacks(events.callbacks, id_map, schedule=schedule)
    warnings = outcome.warnings
    warnings += events.warnings
    if events.timed_out:
        warnings.append(
            f"timed out after {events.elapsed_s:.1f} s waiting for CJ: partial data "
            f"({len(hydrated.records)} comparison(s) received)"
        )
    if events.error:
        warnings.append(f"collection stopped early: {events.error}")
    if events.failure is not None:
        warnings.append(f"CJ reported the batch as failed: {events.failure.reason()}")
    completion_status = events.completion.status if events.completion else None
    if completion_status is not None and completion_status not in CJ_SUCCESS_STATUSES:
        warnings.append(
            f"CJ completed the batch with status {completion_status!r}: the results are "
            "incomplete (see the CJ service logs)"
        )
    if events.foreign_count and not events.callbacks:
        warnings.append(
            f"all {events.foreign_count} event(s) received belonged to other batches: the "
            "callbacks probably lack our batch id (request_metadata.bos_batch_id) in their "
            "metadata"
        )
    if events.completion is not None and events.result is None:
        warnings.append("CJ completed but its rich result (BT scores) never arrived")
    if events.malformed:
        warnings.append(
            f"{len(events.malformed)} malformed event(s) skipped; first: {events.malformed[0]}"
        )
    if hydrated.unknown_cj_ids:
        warnings.append(
            f"{len(hydrated.unknown_cj_ids)} essay id(s) in callbacks are not ours "
            f"(kept verbatim): {sorted(hydrated.unknown_cj_ids)[:5]}"
        )
    if schedule is not None:
        warnings += pre_specified_warnings(
            schedule, hydrated.records, completed=events.completion is not None
        )
    outcome.awaited = True
    outcome.partial_data = events.partial_data
    outcome.timed_out = events.timed_out
    outcome.completed = events.completion is not None
    outcome.cj_status = events.completion.status if events.completion else None
    outcome.cj_failure = events.failure.reason() if events.failure else None
    outcome.records = hydrated.records
    outcome.events_received = events.events_received
    outcome.malformed_count = len(events.malformed)
    outcome.duplicate_count = events.duplicate_count
    outcome.foreign_count = events.foreign_count
    outcome.collection_error = events.error
    outcome.cj_published_scores = published_scores(events.result, id_map)
