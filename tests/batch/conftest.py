"""Fixtures for the batch tests: a fake batch server, keys, settings with batch on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.engine.conftest import inventory, make_settings  # noqa: F401  (fixtures)
from tests.engine.engine_support import FAKE_KEY
from tests.fakes.batch_servers import FakeBatchServer
from tests.store.conftest import pg_server, pg_url  # noqa: F401  (fixtures)


@pytest.fixture
def batch_server() -> Iterator[FakeBatchServer]:
    with FakeBatchServer(polls_to_finish=3) as server:
        yield server


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)


def batch_settings(factory: Any, server: FakeBatchServer, provider: str, **judge: Any) -> Any:
    """Batch-mode settings for ``provider`` against ``server`` (fast polling)."""
    base = server.openai_base_url if provider == "openai" else server.url
    model = "gpt-5.1" if provider == "openai" else "claude-sonnet-5-5"
    options: dict[str, Any] = {
        "model": model,
        "base_url": base,
        "batch": True,
        "batch_poll_s": 0.01,
        "reasoning_effort": "low" if provider == "openai" else None,
    }
    options.update(judge)
    return factory(provider, **options)
