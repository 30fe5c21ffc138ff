"""A CJ + LLM Provider double on Kafka (see :mod:`tests.fakes.huleedu_services`).

:class:`FakeCJWorker` consumes the request topic and publishes comparison
callbacks (round robin over ``essays_for_cj`` or the ``pre_specified_comparisons``
in order), then the completion and the rich result; :class:`WorkerBehaviour`
injects failure events, malformed / duplicate / foreign / late events, silence
and a CJ that ignores ``pre_specified_comparisons``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tests.fakes.huleedu_services import (
    T_CALLBACK,
    T_COMPLETED,
    T_FAILED,
    T_REQUEST,
    T_RESULT,
    _now,
)


@dataclass
class WorkerBehaviour:
    """How the CJ double misbehaves (defaults: a well-behaved CJ)."""

    quality: Callable[[str], float] | None = None
    """CJ essay id → quality; the higher wins. Default: a hash of the ordered pair."""
    ignore_pre_specified: bool = False
    fail_after: int | None = None
    """Publish a failure event after this many callbacks, then stop."""
    silent_after: int | None = None
    """Publish this many callbacks, then nothing more (the runner times out)."""
    malformed: int = 0
    duplicates: int = 0
    foreign: int = 0
    error_every: int | None = None
    """Every n-th comparison is an error callback."""
    late_callbacks: int = 0
    """The last n callbacks arrive after completion + result."""
    skip_result: bool = False
    delay_s: float = 0.0
    db_anchors: Callable[[str | None], list[str]] | None = None
    """assignment_id → CJ ids of DB anchors (``ANCHOR_<ref>_<hex>``) compared with students."""
    provider: str = "openai"
    model: str = "gpt-5.1"
    pipeline: bool = False
    """Send callbacks without waiting for each acknowledgement (flushed before completion)."""
    completion_status: str = "completed_successfully"
    """The completion event's ``status`` (e.g. ``failed_critically``)."""
    failure_error_info: dict[str, Any] | None = None
    """Replaces the failure event's ``system_metadata.error_info`` (e.g. ``{"reason": …}``)."""
    no_batch_id: bool = False
    """Callbacks lack ``bos_batch_id`` in ``request_metadata`` (a CJ build that drops it)."""


@dataclass
class FakeCJWorker:
    bootstrap: str
    behaviour: WorkerBehaviour = field(default_factory=WorkerBehaviour)
    requests: list[tuple[bytes | None, dict[str, Any]]] = field(default_factory=list)
    published: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _consumer: AIOKafkaConsumer | None = None
    _producer: AIOKafkaProducer | None = None
    _task: asyncio.Task[None] | None = None
    _jobs: set[asyncio.Task[None]] = field(default_factory=set)
    _pending: list[asyncio.Future[Any]] = field(default_factory=list)

    async def start(self) -> FakeCJWorker:
        """Ready when this returns: the request topic is pinned to its end."""
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=False
        )
        await self._producer.start()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            fetch_max_wait_ms=50,
        )
        await self._consumer.start()
        parts = [
            TopicPartition(T_REQUEST, p)
            for p in sorted(self._consumer.partitions_for_topic(T_REQUEST) or {0})
        ]
        self._consumer.assign(parts)
        for tp, offset in (await self._consumer.end_offsets(parts)).items():
            self._consumer.seek(tp, offset)
        self._task = asyncio.create_task(self._loop())
        return self

    async def stop(self) -> None:
        for task in [self._task, *self._jobs]:
            if task is not None:
                task.cancel()
        await asyncio.gather(*(t for t in [self._task, *self._jobs] if t), return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()
        if self._producer is not None:
            await self._producer.stop()

    async def _loop(self) -> None:
        assert self._consumer is not None
        while True:
            batch = await self._consumer.getmany(timeout_ms=100)
            for records in batch.values():
                for record in records:
                    envelope = json.loads(record.value)
                    self.requests.append((record.key, envelope))
                    job = asyncio.create_task(self._process(envelope))
                    self._jobs.add(job)
                    job.add_done_callback(self._jobs.discard)

    def pairs(self, data: dict[str, Any], metadata: dict[str, Any]) -> list[tuple[str, str]]:
        """What CJ would compare: the pre-specified pairs, else a round robin."""
        pre = data.get("pre_specified_comparisons")
        if pre and not self.behaviour.ignore_pre_specified:
            return [(p["essay_a_id"], p["essay_b_id"]) for p in pre]
        ids = [e["essay_id"] for e in data["essays_for_cj"]]
        if self.behaviour.db_anchors is not None:
            ids += self.behaviour.db_anchors(data.get("assignment_id"))
        out = [
            (a, b) if (i + j) % 2 == 0 else (b, a)
            for i, a in enumerate(ids)
            for j, b in enumerate(ids)
            if i < j
        ]
        limit = metadata.get("max_comparisons")
        return out[:limit] if isinstance(limit, int) and limit > 0 else out

    def winner(self, a: str, b: str) -> str:
        if self.behaviour.quality is not None:
            better = self.behaviour.quality(a) >= self.behaviour.quality(b)
            return "Essay A" if better else "Essay B"
        digest = int(hashlib.sha256(f"{a}|{b}".encode()).hexdigest()[:8], 16)
        return "Essay A" if digest % 2 == 0 else "Essay B"

    async def _send(
        self,
        topic: str,
        data: dict[str, Any],
        key: str,
        correlation: str,
        source: str = "cj_assessment_service",
    ) -> None:
        assert self._producer is not None
        envelope = {
            "event_id": str(uuid.uuid4()),
            "event_type": topic,
            "event_timestamp": _now(),
            "source_service": source,
            "schema_version": 1,
            "correlation_id": correlation,
            "data_schema_uri": None,
            "data": data,
            "metadata": {},
        }
        self.published.append((topic, envelope))
        value = json.dumps(envelope).encode()
        if self.behaviour.pipeline and topic == T_CALLBACK:
            self._pending.append(await self._producer.send(topic, value, key=key.encode()))
            return
        await asyncio.gather(*self._pending)
        self._pending.clear()
        await self._producer.send_and_wait(topic, value, key=key.encode())

    async def send_raw(self, topic: str, value: bytes) -> None:
        assert self._producer is not None
        await self._producer.send_and_wait(topic, value)

    def callback(
        self, n: int, a: str, b: str, batch: str, overrides: dict[str, Any], job: str
    ) -> dict[str, Any]:
        beh = self.behaviour
        provider = overrides.get("provider_override") or beh.provider
        model = overrides.get("model_override") or beh.model
        meta = {
            "essay_a_id": a,
            "essay_b_id": b,
            **({} if beh.no_batch_id else {"bos_batch_id": batch}),
            "cj_batch_id": job,
            "cj_source": "els",
            "cj_request_type": "cj_comparison",
            "comparison_iteration": 0,
            "prompt_sha256": hashlib.sha256(f"{a}{b}{n}".encode()).hexdigest(),
            "resolved_provider": provider,
            "resolved_model": model,
        }
        base = {
            "request_id": f"req-{batch[:8]}-{n:04d}",
            "correlation_id": str(uuid.uuid4()),
            "provider": provider,
            "model": model,
            "response_time_ms": 120 + n,
            "token_usage": {"prompt_tokens": 900, "completion_tokens": 60, "total_tokens": 960},
            "cost_estimate": 0.001,
            "requested_at": _now(),
            "completed_at": _now(),
            "trace_id": None,
            "request_metadata": meta,
        }
        if beh.error_every and n % beh.error_every == 0:
            base["error_detail"] = {
                "error_code": "EXTERNAL_SERVICE_ERROR",
                "message": "provider overloaded",
                "correlation_id": str(uuid.uuid4()),
                "timestamp": _now(),
                "service": "llm_provider_service",
                "operation": "compare",
                "details": {},
            }
        else:
            base.update(
                {
                    "winner": self.winner(a, b),
                    "justification": "Clearer argument.",
                    "confidence": 4.0,
                }
            )
        return base

    async def _process(self, envelope: dict[str, Any]) -> None:
        beh = self.behaviour
        data, metadata = envelope["data"], envelope.get("metadata") or {}
        batch, corr, job = data["entity_id"], envelope["correlation_id"], "17"
        overrides = data.get("llm_config_overrides") or {}
        for i in range(beh.foreign):
            other = str(uuid.uuid4())
            await self._send(
                T_CALLBACK,
                self.callback(i, "x-a", "x-b", other, overrides, job),
                other,
                corr,
                "llm_provider_service",
            )
        for i in range(beh.malformed):
            bad = self.callback(9000 + i, "", "", batch, overrides, job)
            bad["request_metadata"].pop("essay_a_id")
            await self._send(T_CALLBACK, bad, batch, corr, "llm_provider_service")
        callbacks = [
            self.callback(n, a, b, batch, overrides, job)
            for n, (a, b) in enumerate(self.pairs(data, metadata), start=1)
        ]
        late = callbacks[len(callbacks) - beh.late_callbacks :] if beh.late_callbacks else []
        for n, cb in enumerate(callbacks[: len(callbacks) - len(late)], start=1):
            if beh.silent_after is not None and n > beh.silent_after:
                return
            if beh.fail_after is not None and n > beh.fail_after:
                await self._send(
                    T_FAILED,
                    {
                        "event_name": "cj_assessment.failed",
                        "entity_id": batch,
                        "entity_type": "batch",
                        "parent_id": data.get("assignment_id"),
                        "status": "failed_critically",
                        "cj_assessment_job_id": job,
                        "system_metadata": {
                            "entity_id": batch,
                            "entity_type": "batch",
                            "processing_stage": "failed",
                            "event": "cj_assessment.failed",
                            "error_info": beh.failure_error_info
                            or {
                                "error_code": "PROCESSING_ERROR",
                                "message": "LLM provider unavailable",
                            },
                        },
                    },
                    batch,
                    corr,
                )
                return
            await self._send(T_CALLBACK, cb, batch, corr, "llm_provider_service")
            if n <= beh.duplicates:
                await self._send(T_CALLBACK, cb, batch, corr, "llm_provider_service")
            if beh.delay_s:
                await asyncio.sleep(beh.delay_s)
        await self._finish(data, callbacks, batch, corr, job)
        for cb in late:
            await self._send(T_CALLBACK, cb, batch, corr, "llm_provider_service")
        await asyncio.gather(*self._pending)
        self._pending.clear()

    async def _finish(
        self, data: dict[str, Any], callbacks: list[dict[str, Any]], batch: str, corr: str, job: str
    ) -> None:
        ids = [e["essay_id"] for e in data["essays_for_cj"]]
        if self.behaviour.db_anchors is not None:
            ids += self.behaviour.db_anchors(data.get("assignment_id"))
        score = dict.fromkeys(ids, 0.0)
        for cb in callbacks:
            if "winner" in cb:
                meta = cb["request_metadata"]
                a_wins = cb["winner"] == "Essay A"
                win, lose = (
                    (meta["essay_a_id"], meta["essay_b_id"])
                    if a_wins
                    else (meta["essay_b_id"], meta["essay_a_id"])
                )
                score[win] = score.get(win, 0.0) + 1
                score[lose] = score.get(lose, 0.0) - 1
        order = sorted(ids, key=lambda e: -score.get(e, 0.0))
        await self._send(
            T_COMPLETED,
            {
                "event_name": "cj_assessment.completed",
                "entity_id": batch,
                "entity_type": "batch",
                "parent_id": data.get("assignment_id"),
                "timestamp": _now(),
                "status": self.behaviour.completion_status,
                "system_metadata": {
                    "entity_id": batch,
                    "entity_type": "batch",
                    "processing_stage": "completed",
                    "event": "cj_assessment.completed",
                    "error_info": {},
                },
                "cj_assessment_job_id": job,
                "processing_summary": {
                    "total_essays": len(ids),
                    "successful": len(ids),
                    "failed": 0,
                    "successful_essay_ids": ids,
                    "failed_essay_ids": [],
                    "processing_time_seconds": 1.5,
                    "single_essay_batch": False,
                },
            },
            batch,
            corr,
        )
        if self.behaviour.skip_result:
            return
        await self._send(
            T_RESULT,
            {
                "batch_id": batch,
                "cj_assessment_job_id": job,
                "assignment_id": data.get("assignment_id"),
                "assessment_method": "cj_assessment",
                "model_used": self.behaviour.model,
                "model_provider": self.behaviour.provider,
                "model_version": None,
                "essay_results": [
                    {
                        "essay_id": e,
                        "normalized_score": 0.0,
                        "letter_grade": "U",
                        "confidence_score": 0.5,
                        "confidence_label": "MID",
                        "bt_score": score[e] / max(len(ids), 1),
                        "rank": r,
                        "is_anchor": e.startswith("ANCHOR_"),
                        "display_name": None,
                    }
                    for r, e in enumerate(order, start=1)
                ],
                "assessment_metadata": {
                    "anchor_essays_used": 0,
                    "calibration_method": "default",
                    "comparison_count": len(ids) * (len(ids) - 1) // 2,
                },
                "assessed_at": _now(),
            },
            batch,
            corr,
        )
