"""Publisher and collector against the tansu broker and the CJ worker double."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from eng5_runner.errors import KafkaError
from eng5_runner.huleedu.collector import BatchCollector, CollectedEvents
from eng5_runner.huleedu.contracts import TOPIC_CJ_COMPLETED, TOPIC_COMPARISON_RESULT
from eng5_runner.huleedu.kafka import publish_envelope
from eng5_runner.huleedu.request import RequestEnvelope, dry_run_envelope
from eng5_runner.settings.models import RunnerMode
from tests.fakes.cj_worker import FakeCJWorker, WorkerBehaviour
from tests.fakes.kafka_broker import TansuBroker, free_port

from .conftest import huleedu_settings, load_inventory

N_ANCHORS = 12
ROUND_ROBIN = N_ANCHORS * (N_ANCHORS - 1) // 2


def _envelope(tmp_path: Path) -> RequestEnvelope:
    settings = huleedu_settings(tmp_path, RunnerMode.ANCHOR_ALIGN_TEST)
    envelope, _ = dry_run_envelope(settings, load_inventory(settings))
    return envelope


async def _run(
    bootstrap: str,
    envelope: RequestEnvelope,
    events_dir: Path,
    timeout_s: float = 8.0,
    grace_s: float = 0.2,
) -> CollectedEvents:
    batch = uuid.UUID(envelope.data.entity_id)
    async with BatchCollector(
        bootstrap=bootstrap,
        batch_uuid=batch,
        events_dir=events_dir,
        timeout_s=timeout_s,
        grace_s=grace_s,
        result_wait_s=0.5,
        connect_timeout_s=5,
    ) as collector:
        await publish_envelope(bootstrap, envelope, key=str(batch), idempotence=False)
        return await collector.collect()


async def test_unreachable_broker_fails_fast(tmp_path: Path) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(KafkaError, match="unreachable") as info:
        await publish_envelope(bootstrap, _envelope(tmp_path), key="k", timeout_s=3)
    assert bootstrap in info.value.message and "kafka_bootstrap" in (info.value.hint or "")
    collector = BatchCollector(
        bootstrap=bootstrap,
        batch_uuid=uuid.uuid4(),
        events_dir=tmp_path,
        timeout_s=5,
        grace_s=0,
        connect_timeout_s=3,
    )
    with pytest.raises(KafkaError, match="unreachable"):
        await collector.start()
    assert time.monotonic() - started < 8


@pytest.mark.kafka
async def test_full_batch_is_collected_and_saved(
    kafka_broker: TansuBroker, cj_worker: FakeCJWorker, tmp_path: Path
) -> None:
    envelope = _envelope(tmp_path)
    events = await _run(kafka_broker.bootstrap, envelope, tmp_path / "events")
    assert len(events.callbacks) == ROUND_ROBIN
    assert events.completion is not None and events.result is not None
    assert not events.partial_data and not events.malformed and events.failure is None
    assert events.events_received == {
        "comparisons": ROUND_ROBIN,
        "completions": 1,
        "failures": 0,
        "results": 1,
    }
    key, request = cj_worker.requests[0]
    assert key == envelope.data.entity_id.encode()
    assert (
        request["data"]["essays_for_cj"][0]["essay_id"] == envelope.data.essays_for_cj[0].essay_id
    )
    saved = sorted((tmp_path / "events").rglob("*.json"))
    assert len(saved) == ROUND_ROBIN + 2 == len(set(p.name for p in saved))
    assert {p.parent.name for p in saved} == {"comparisons", "completions", "results"}
    ids = {json.loads(p.read_text())["event_id"] for p in saved}
    assert {p.stem for p in saved} == ids
    assert not list((tmp_path / "events").rglob("*.tmp"))


@pytest.mark.kafka
async def test_failure_event_stops_at_once(
    kafka_broker: TansuBroker,
    cj_worker: FakeCJWorker,
    behaviour: WorkerBehaviour,
    tmp_path: Path,
) -> None:
    behaviour.fail_after = 5
    events = await _run(kafka_broker.bootstrap, _envelope(tmp_path), tmp_path / "ev", timeout_s=30)
    assert events.failure is not None and events.elapsed_s < 5
    assert "LLM provider unavailable" in events.failure.reason()
    assert len(events.callbacks) == 5 and events.partial_data  # nothing received is lost
    assert len(list((tmp_path / "ev" / "failures").glob("*.json"))) == 1


@pytest.mark.kafka
async def test_malformed_duplicate_and_foreign_events_are_skipped(
    kafka_broker: TansuBroker,
    cj_worker: FakeCJWorker,
    behaviour: WorkerBehaviour,
    tmp_path: Path,
) -> None:
    behaviour.malformed, behaviour.duplicates, behaviour.foreign = 2, 3, 4
    behaviour.error_every = 10
    envelope = _envelope(tmp_path)
    batch = uuid.UUID(envelope.data.entity_id)
    async with BatchCollector(
        bootstrap=kafka_broker.bootstrap,
        batch_uuid=batch,
        events_dir=tmp_path / "ev",
        timeout_s=8,
        grace_s=0.2,
        connect_timeout_s=5,
    ) as collector:
        await cj_worker.send_raw(TOPIC_COMPARISON_RESULT, b"\x00 not json")
        await publish_envelope(kafka_broker.bootstrap, envelope, key=str(batch), idempotence=False)
        events = await collector.collect()
    assert len(events.callbacks) == ROUND_ROBIN and events.completion is not None
    assert len(events.malformed) == 3 and events.duplicate_count == 3
    assert events.foreign_count == 4
    assert sum(1 for c in events.callbacks if c.is_error) == ROUND_ROBIN // 10
    malformed = sorted(p.name for p in (tmp_path / "ev" / "malformed").iterdir())
    assert len(malformed) == 3  # the raw garbage, and the 2 events that fail validation
    assert sum(name.endswith(".bin") for name in malformed) == 1
    assert sum(name.startswith("comparisons-") for name in malformed) == 2
    assert len(list((tmp_path / "ev" / "comparisons").glob("*.json"))) == ROUND_ROBIN + 3


@pytest.mark.kafka
async def test_timeout_gives_partial_data_and_keeps_what_arrived(
    kafka_broker: TansuBroker,
    cj_worker: FakeCJWorker,
    behaviour: WorkerBehaviour,
    tmp_path: Path,
) -> None:
    behaviour.silent_after = 7
    events = await _run(kafka_broker.bootstrap, _envelope(tmp_path), tmp_path / "ev", timeout_s=1.5)
    assert events.timed_out and events.partial_data
    assert len(events.callbacks) == 7 and events.completion is None
    assert 1.4 <= events.elapsed_s < 3


@pytest.mark.kafka
async def test_late_callbacks_inside_the_grace_period_are_kept(
    kafka_broker: TansuBroker,
    cj_worker: FakeCJWorker,
    behaviour: WorkerBehaviour,
    tmp_path: Path,
) -> None:
    behaviour.late_callbacks = 3
    events = await _run(kafka_broker.bootstrap, _envelope(tmp_path), tmp_path / "ev", grace_s=0.5)
    assert len(events.callbacks) == ROUND_ROBIN and not events.partial_data


@pytest.mark.kafka
async def test_history_is_never_replayed(
    kafka_broker: TansuBroker,
    cj_worker: FakeCJWorker,
    behaviour: WorkerBehaviour,
    tmp_path: Path,
) -> None:
    behaviour.silent_after = 0
    envelope = _envelope(tmp_path)
    batch = envelope.data.entity_id
    old = {
        "event_id": str(uuid.uuid4()),
        "event_type": TOPIC_CJ_COMPLETED,
        "event_timestamp": "2025-01-01T00:00:00Z",
        "source_service": "cj_assessment_service",
        "schema_version": 1,
        "correlation_id": str(uuid.uuid4()),
        "data": {"entity_id": batch, "status": "completed_successfully"},
    }
    await cj_worker.send_raw(TOPIC_CJ_COMPLETED, json.dumps(old).encode())
    events = await _run(kafka_broker.bootstrap, envelope, tmp_path / "ev", timeout_s=1.0)
    assert events.completion is None and events.timed_out
    assert sum(events.events_received.values()) == 0
