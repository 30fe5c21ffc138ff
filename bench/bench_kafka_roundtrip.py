"""Kafka round trip of one anchor-align batch: 66 comparisons (12 anchors, round robin).

Path measured (huleedu backend, real Kafka protocol): start the collector
(connect, assign, pin to the topic ends) → publish the request → the CJ
worker double consumes it and publishes 66 callbacks + completion + result →
the collector validates, saves and returns them → hydration into records.
Broker: tansu (in memory) on 127.0.0.1; grace period 0.

Baseline ("no Kafka"): the same 66 callback payloads built, validated and
hydrated in process — what the round trip costs on top of that is Kafka.

    python bench/bench_kafka_roundtrip.py [--runs 5]

Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eng5_runner.huleedu.collector import BatchCollector  # noqa: E402
from eng5_runner.huleedu.contracts import ALL_TOPICS, LLMComparisonResultV1  # noqa: E402
from eng5_runner.huleedu.hydrate import hydrate_callbacks  # noqa: E402
from eng5_runner.huleedu.kafka import publish_envelope  # noqa: E402
from eng5_runner.huleedu.request import dry_run_envelope  # noqa: E402
from eng5_runner.inputs.inventory import RunnerInventory  # noqa: E402
from eng5_runner.settings.models import RunnerMode  # noqa: E402
from tests.fakes.cj_worker import FakeCJWorker, WorkerBehaviour  # noqa: E402
from tests.fakes.kafka_broker import create_topics, start_tansu  # noqa: E402
from tests.huleedu.conftest import huleedu_settings  # noqa: E402

Timing = dict[str, float]


async def kafka_round(bootstrap: str, worker: FakeCJWorker, tmp: Path) -> Timing:
    settings = huleedu_settings(tmp, RunnerMode.ANCHOR_ALIGN_TEST)
    inventory = RunnerInventory.load(settings.dataset, settings.mode)
    envelope, id_map = dry_run_envelope(settings, inventory)
    batch = uuid.UUID(envelope.data.entity_id)
    t0 = time.perf_counter()
    collector = BatchCollector(
        bootstrap=bootstrap,
        batch_uuid=batch,
        events_dir=tmp / str(batch) / "events",
        timeout_s=60,
        grace_s=0.0,
        result_wait_s=5.0,
    )
    await collector.start()
    t1 = time.perf_counter()
    await publish_envelope(bootstrap, envelope, key=str(batch), idempotence=False)
    t2 = time.perf_counter()
    events = await collector.collect()
    t3 = time.perf_counter()
    records = hydrate_callbacks(events.callbacks, id_map).records
    t4 = time.perf_counter()
    await collector.stop()
    assert len(records) == 66 and events.completion is not None and events.result is not None
    return {
        "collector_start": t1 - t0,
        "publish": t2 - t1,
        "await": t3 - t2,
        "hydrate": t4 - t3,
        "total": t4 - t0,
    }


def baseline_round(worker: FakeCJWorker, tmp: Path) -> Timing:
    settings = huleedu_settings(tmp, RunnerMode.ANCHOR_ALIGN_TEST)
    inventory = RunnerInventory.load(settings.dataset, settings.mode)
    envelope, id_map = dry_run_envelope(settings, inventory)
    data = envelope.model_dump(mode="json")["data"]
    t0 = time.perf_counter()
    pairs = worker.pairs(data, {})
    raw = [
        worker.callback(n, a, b, data["entity_id"], {}, "17")
        for n, (a, b) in enumerate(pairs, start=1)
    ]
    callbacks = [LLMComparisonResultV1.model_validate(item) for item in raw]
    records = hydrate_callbacks(callbacks, id_map).records
    assert len(records) == 66
    return {"total": time.perf_counter() - t0}


def row(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"| {name} | {statistics.median(ms):.1f} | {min(ms):.1f} | {max(ms):.1f} |"


async def main_async(bootstrap: str, runs: int) -> None:
    await create_topics(bootstrap, ALL_TOPICS, partitions=2)
    results: dict[str, list[Timing]] = {}
    for label, pipeline in (("worker acks each send", False), ("worker pipelines", True)):
        worker = await FakeCJWorker(bootstrap, WorkerBehaviour(pipeline=pipeline)).start()
        try:
            with tempfile.TemporaryDirectory() as tmp_dir:
                tmp = Path(tmp_dir)
                await kafka_round(bootstrap, worker, tmp)  # warm-up
                results[label] = [await kafka_round(bootstrap, worker, tmp) for _ in range(runs)]
                base = [baseline_round(worker, tmp) for _ in range(runs)]
        finally:
            await worker.stop()
    print(f"Kafka round trip, 66 comparisons, {runs} runs (tansu in memory, loopback)\n")
    print("| path | step | median ms | min ms | max ms |")
    print("|---|---|---:|---:|---:|")
    for label, kafka in results.items():
        for key in ("collector_start", "publish", "await", "hydrate", "total"):
            print(row(f"kafka, {label} | {key}", [t[key] for t in kafka]))
    print(row("no kafka | build + validate + hydrate", [t["total"] for t in base]))
    for label, kafka in results.items():
        overhead = statistics.median(t["total"] for t in kafka) - statistics.median(
            t["total"] for t in base
        )
        print(
            f"\nKafka overhead ({label}): {overhead * 1000:.1f} ms for 66 callbacks + "
            "completion + result (median total − baseline)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    broker = start_tansu()
    try:
        asyncio.run(main_async(broker.bootstrap, runs))
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
