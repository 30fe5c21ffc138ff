"""Awaiting one CJ batch on Kafka (CONTRACTS.md "Awaiting results").

Started (partitions assigned, positions pinned to the current end of every
topic) before the request is published, so nothing is replayed and nothing
is missed. Stops on completion + result (after a grace period for late
callbacks), at once on a failure event, or at the deadline (partial data).
Malformed and foreign events are counted and skipped; every event of our
batch is saved under ``events/<kind>/<event_id>.json`` atomically.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from uuid import UUID

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError as AIOKafkaError
from pydantic import ValidationError

from eng5_runner.errors import KafkaError
from eng5_runner.huleedu.contracts import (
    AWAITED_TOPICS,
    TOPIC_ASSESSMENT_RESULT,
    TOPIC_CJ_COMPLETED,
    TOPIC_CJ_FAILED,
    TOPIC_COMPARISON_RESULT,
    AssessmentResultV1,
    CJAssessmentCompletedV1,
    CJAssessmentFailedV1,
    EventEnvelope,
    LLMComparisonResultV1,
)
from eng5_runner.huleedu.kafka import BOOTSTRAP_HINT, KAFKA_TIMEOUT_S, unreachable
from eng5_runner.huleedu.liveness import BrokerWatch
from eng5_runner.output.atomic import write_bytes_atomic

log = logging.getLogger(__name__)
KIND_BY_TOPIC = {
    TOPIC_COMPARISON_RESULT: "comparisons",
    TOPIC_CJ_COMPLETED: "completions",
    TOPIC_CJ_FAILED: "failures",
    TOPIC_ASSESSMENT_RESULT: "results",
}


@dataclass
class CollectedEvents:
    """Everything one batch produced on Kafka, in arrival order."""

    callbacks: list[LLMComparisonResultV1] = field(default_factory=list)
    completion: CJAssessmentCompletedV1 | None = None
    result: AssessmentResultV1 | None = None
    failure: CJAssessmentFailedV1 | None = None
    timed_out: bool = False
    error: str | None = None
    events_received: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(KIND_BY_TOPIC.values(), 0)
    )
    malformed: list[str] = field(default_factory=list)
    duplicate_count: int = 0
    foreign_count: int = 0
    elapsed_s: float = 0.0
    event_files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def partial_data(self) -> bool:
        return self.timed_out or self.error is not None or self.completion is None


class BatchCollector:
    """Consumes the four CJ outcome topics for one batch; use ``async with``."""

    def __init__(
        self,
        *,
        bootstrap: str,
        batch_uuid: UUID,
        events_dir: Path,
        timeout_s: float,
        grace_s: float,
        client_id: str = "eng5-runner",
        result_wait_s: float = 10.0,
        expected_callbacks: int | None = None,
        connect_timeout_s: float = KAFKA_TIMEOUT_S,
        poll_ms: int = 200,
        on_event: Callable[[CollectedEvents], None] | None = None,
        broker_loss_s: float = 30.0,
    ) -> None:
        self.bootstrap = bootstrap
        self.batch_id = str(batch_uuid)
        self.group_id = f"{client_id}-eng5-{batch_uuid}"
        self.client_id = client_id
        self.events_dir = events_dir
        self.timeout_s, self.grace_s, self.result_wait_s = timeout_s, grace_s, result_wait_s
        self.expected_callbacks = expected_callbacks
        self.connect_timeout_s = connect_timeout_s
        self.poll_ms = poll_ms
        self.on_event = on_event
        self.broker_loss_s = broker_loss_s
        self.events = CollectedEvents()
        self._consumer: AIOKafkaConsumer | None = None
        self._seen_requests: set[str] = set()
        self._both_seen_at: float | None = None
        self._completion_at: float | None = None

    async def __aenter__(self) -> BatchCollector:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Connect, assign every partition of the awaited topics and pin them to their end."""
        t = self.connect_timeout_s
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            request_timeout_ms=int(t * 1000),
            metadata_max_age_ms=int(max(t, 1.0) * 1000),
            fetch_max_wait_ms=self.poll_ms,
        )
        self._consumer = consumer
        try:
            await asyncio.wait_for(consumer.start(), t)
            available = await asyncio.wait_for(consumer.topics(), t)
            missing = [topic for topic in AWAITED_TOPICS if topic not in available]
            if [topic for topic in missing if topic != TOPIC_CJ_FAILED]:
                raise KafkaError(
                    f"Kafka at {self.bootstrap} has no topic(s) {', '.join(missing)}",
                    hint="create the HuleEdu topics (kafka topic setup); " + BOOTSTRAP_HINT,
                )
            if missing:
                self.events.warnings.append(
                    f"topic {TOPIC_CJ_FAILED} does not exist; a CJ "
                    "failure will only show as a timeout"
                )
            partitions = [
                TopicPartition(topic, p)
                for topic in AWAITED_TOPICS
                if topic not in missing
                for p in sorted(consumer.partitions_for_topic(topic) or ())
            ]
            consumer.assign(partitions)
            ends = await asyncio.wait_for(consumer.end_offsets(partitions), t)
            for tp, offset in ends.items():
                consumer.seek(tp, offset)
        except KafkaError:
            await self.stop()
            raise
        except (TimeoutError, AIOKafkaError, OSError) as exc:
            await self.stop()
            raise unreachable(self.bootstrap, exc, "starting the result collector") from None
        log.info("collector ready for batch %s (%d partitions)", self.batch_id, len(partitions))

    async def stop(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            try:
                await asyncio.wait_for(consumer.stop(), self.connect_timeout_s)
            except (TimeoutError, AIOKafkaError, OSError):  # pragma: no cover - best effort
                log.warning("Kafka consumer did not stop cleanly")
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # we are being cancelled: pass it on
                log.warning("Kafka consumer stop was cancelled inside aiokafka (broker lost?)")

    async def collect(self) -> CollectedEvents:
        """Consume until a stop condition; never raises for a broker lost mid-run."""
        if self._consumer is None:
            raise RuntimeError("start the collector before collecting")
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + self.timeout_s
        watch = BrokerWatch(self.bootstrap, self.broker_loss_s)
        while self.events.failure is None:
            now = loop.time()
            settle_at = self._settle_at(now)
            if settle_at is not None and now >= min(settle_at, deadline):
                break
            if now >= deadline:
                self.events.timed_out = True
                break
            if await watch.lost():
                self.events.error = (
                    f"lost the Kafka broker at {self.bootstrap}: unreachable for "
                    f"{self.broker_loss_s:g} s (backend.broker_loss_s)"
                )
                break
            wait_ms = int(max(0.0, min(self.poll_ms / 1000, deadline - now)) * 1000)
            try:
                batch = await asyncio.wait_for(
                    self._consumer.getmany(timeout_ms=wait_ms), wait_ms / 1000 + self.broker_loss_s
                )
            except (TimeoutError, AIOKafkaError, OSError) as exc:
                self.events.error = f"lost the Kafka connection: {type(exc).__name__}: {exc}"
                break
            for records in batch.values():
                for record in records:
                    self._handle(record, loop.time())
        self.events.elapsed_s = round(loop.time() - started, 3)
        return self.events

    def _settle_at(self, now: float) -> float | None:
        ev = self.events
        if ev.completion is not None and ev.result is not None:
            if self.expected_callbacks is not None and len(ev.callbacks) >= self.expected_callbacks:
                return now
            return (self._both_seen_at or now) + self.grace_s
        if ev.completion is not None:
            return (self._completion_at or now) + max(self.grace_s, self.result_wait_s)
        return None

    def _handle(self, record: ConsumerRecord[Any, Any], now: float) -> None:
        kind = KIND_BY_TOPIC[record.topic]
        try:
            envelope = EventEnvelope[dict[str, Any]].model_validate_json(record.value)
        except (ValidationError, ValueError, TypeError) as exc:
            self._malformed(record, f"{kind}: not a valid event envelope ({_first_error(exc)})")
            return
        ref = _batch_ref(kind, envelope.data)
        if ref != self.batch_id:
            self.events.foreign_count += 1
            return
        self.events.events_received[kind] += 1
        try:
            self._accept(kind, envelope.data, now)
        except (ValidationError, ValueError) as exc:
            reason = f"{kind} event {envelope.event_id}: {_first_error(exc)}"
            self._malformed(record, reason, name=f"{kind}-{envelope.event_id}")
        else:
            self._save(kind, str(envelope.event_id), record.value)
        if self.on_event is not None:
            self.on_event(self.events)

    def _accept(self, kind: str, data: dict[str, Any], now: float) -> None:
        ev = self.events
        if kind == "comparisons":
            callback = LLMComparisonResultV1.model_validate(data)
            meta = callback.request_metadata
            if not meta.essay_a_id or not meta.essay_b_id:
                raise ValueError("request_metadata lacks essay_a_id/essay_b_id")
            if callback.request_id in self._seen_requests:
                ev.duplicate_count += 1
                return
            self._seen_requests.add(callback.request_id)
            ev.callbacks.append(callback)
        elif kind == "completions" and ev.completion is None:
            ev.completion = CJAssessmentCompletedV1.model_validate(data)
            self._completion_at = now
        elif kind == "results" and ev.result is None:
            ev.result = AssessmentResultV1.model_validate(data)
        elif kind == "failures" and ev.failure is None:
            ev.failure = CJAssessmentFailedV1.model_validate(data)
        else:
            ev.duplicate_count += 1
        if ev.completion is not None and ev.result is not None and self._both_seen_at is None:
            self._both_seen_at = now

    def _malformed(
        self, record: ConsumerRecord[Any, Any] | None, reason: str, *, name: str | None = None
    ) -> None:
        """Count and log it; keep its bytes under ``events/malformed/`` (``.json`` if it parsed)."""
        log.warning("skipped malformed event: %s", reason)
        self.events.malformed.append(reason)
        if record is not None:
            stem = name or f"{record.topic}-p{record.partition}-o{record.offset}"
            suffix = ".json" if name else ".bin"
            self._save("malformed", stem, record.value or b"", suffix=suffix)

    def _save(self, kind: str, name: str, value: bytes, suffix: str = ".json") -> None:
        directory = self.events_dir / kind
        path = directory / f"{name}{suffix}"
        n = 1
        while path.exists():
            n += 1
            path = directory / f"{name}-{n}{suffix}"
        self.events.event_files.append(write_bytes_atomic(path, value))


def _batch_ref(kind: str, data: dict[str, Any]) -> str | None:
    """The batch an event belongs to, from the fields CJ and the LLM Provider set."""
    if kind == "comparisons":
        meta = data.get("request_metadata")
        if not isinstance(meta, dict):
            return None
        value = meta.get("bos_batch_id") or meta.get("batch_id")
    elif kind == "results":
        value = data.get("batch_id") or data.get("entity_id")
    else:
        value = data.get("entity_id") or data.get("batch_id")
    return str(value) if value is not None else None


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        return f"{loc}: {err['msg']}"
    return " ".join(str(exc).split())[:200]


def describe(events: CollectedEvents) -> str:
    """One line for logs and the console."""
    return json.dumps(
        {
            "callbacks": len(events.callbacks),
            "completion": events.completion is not None,
            "result": events.result is not None,
            "failure": events.failure is not None,
            "timed_out": events.timed_out,
            "malformed": len(events.malformed),
            "duplicates": events.duplicate_count,
            "foreign": events.foreign_count,
        }
    )
