"""Shared fixtures: hermetic environment, composed configs, sample settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, open_dict

import eng5_runner  # noqa: F401  (registers resolvers)
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.output.paths import RunnerPaths
from eng5_runner.settings.compose import settings_from_cfg
from eng5_runner.settings.models import RunnerSettings

REPO = Path(__file__).resolve().parent.parent
CONF_DIR = REPO / "eng5_runner" / "conf"
SECRET_VARS = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "OPENAI_COMPATIBLE_API_KEY",
    "HULEEDU_SERVICE_ACCOUNT_TOKEN",
    "HULEEDU_ADMIN_TOKEN",
    "CJ_SERVICE_URL",
    "CONTENT_SERVICE_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
)


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real keys, service URLs or ENG5_* settings leak into a test."""
    for name in list(os.environ):
        if name.startswith("ENG5_") or name in SECRET_VARS:
            monkeypatch.delenv(name, raising=False)


def compose_cfg(
    overrides: list[str] | None = None,
    output_dir: Path | None = None,
    *,
    return_hydra: bool = False,
) -> DictConfig:
    """Compose ``conf/config.yaml`` in-process with ``overrides``."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(CONF_DIR)):
        cfg = compose("config", overrides=overrides or [], return_hydra_config=return_hydra)
    if output_dir is not None:
        with open_dict(cfg):
            cfg.cache.path = str(output_dir / "judgements.sqlite")
    return cfg


def make_settings(
    overrides: list[str] | None = None, tmp_path: Path | None = None
) -> RunnerSettings:
    """Validated settings from composed overrides; the store goes under ``tmp_path``."""
    return settings_from_cfg(compose_cfg(overrides, tmp_path))


@pytest.fixture
def settings_factory(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build settings from overrides with the judgement store inside ``tmp_path``."""

    def factory(*overrides: str) -> RunnerSettings:
        return make_settings(list(overrides), tmp_path)

    return factory


@pytest.fixture
def sample_inventory() -> RunnerInventory:
    settings = make_settings()
    return RunnerInventory.load(settings.dataset, settings.mode)


@pytest.fixture
def run_paths(tmp_path: Path) -> RunnerPaths:
    return RunnerPaths(tmp_path / "run").ensure()


@pytest.fixture(autouse=True)
def _clear_hydra() -> Iterator[None]:
    yield
    GlobalHydra.instance().clear()


class NetworkUsed(AssertionError):
    """A code path that must stay offline tried to open a connection."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every socket connect (TCP, UDP, DNS) fail loudly."""
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise NetworkUsed(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket.socket, "sendto", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
