"""Shared fixtures for the local-engine tests: a fake LLM server, inventories, settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.settings.models import RunnerSettings
from tests.engine.engine_support import FAKE_KEY, make_inventory
from tests.fakes.llm_servers import FakeLLMServer

KEY_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_COMPATIBLE_API_KEY", "ENG5_TEST_KEY")


@pytest.fixture(autouse=True)
def _no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def inventory() -> RunnerInventory:
    return make_inventory(4)


SettingsFactory = Callable[..., RunnerSettings]


@pytest.fixture
def make_settings(tmp_path: Path) -> SettingsFactory:
    """``make_settings(provider, cache_mode="read_write", cache_path=None, **judge)``."""

    def factory(
        provider: str = "simulated",
        *,
        cache_mode: str = "read_write",
        cache_path: Path | None = None,
        **judge: Any,
    ) -> RunnerSettings:
        judge_cfg: dict[str, Any] = {
            "provider": provider,
            "model": judge.pop("model", f"{provider}-model"),
            "max_retries": 3,
            "backoff_base_s": 0.001,
            "backoff_max_s": 0.05,
            "timeout_s": 5.0,
            "concurrency": 4,
        }
        judge_cfg.update(judge)
        return RunnerSettings.model_validate(
            {
                "mode": "anchor-align-test",
                "dataset": {"anchors_dir": str(tmp_path)},
                "judge": judge_cfg,
                "system_prompt": {"name": "test", "text": "You are an experienced examiner."},
                "rubric": {"name": "test", "text": "Prefer clear, well organised essays."},
                "cache": {"mode": cache_mode, "path": str(cache_path or tmp_path / "store.sqlite")},
                "show_progress": False,
            }
        )

    return factory


@pytest.fixture
def openai_settings(
    fake_server: FakeLLMServer, make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> SettingsFactory:
    """Settings judging the fake server's OpenAI endpoint, with a fake key set."""
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)

    def factory(**judge: Any) -> RunnerSettings:
        return make_settings("openai", base_url=fake_server.openai_base_url, **judge)

    return factory
