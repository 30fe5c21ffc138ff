"""Fixtures for the store tests: a real PostgreSQL server, and both backends in turn.

``pg_server`` starts one throwaway PostgreSQL cluster per test session
(:mod:`tests.fakes.postgres_server`). Without Debian's binaries the tests that
need it skip, naming the fix; with ``CI=true`` that skip is a failure.
``backend`` runs a test once on SQLite and once on PostgreSQL (a fresh
database each time, its URL in ``$ENG5_STORE_URL``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from eng5_runner.engine.store import JudgementStore
from eng5_runner.engine.store_cli import open_location
from eng5_runner.settings.models import RunnerSettings
from tests.engine.conftest import (  # noqa: F401  (shared engine fixtures)
    _no_provider_keys,
    fake_server,
    inventory,
    make_settings,
)
from tests.fakes.postgres_server import PostgresServer, postgres_bindir

URL_ENV = "ENG5_STORE_URL"


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI=true requires the PostgreSQL tests to run")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    bindir = postgres_bindir()
    if bindir is None:
        _missing(
            "PostgreSQL binaries not found (/usr/lib/postgresql/*/bin/initdb); "
            "install them with: bash scripts/system_deps.sh"
        )
        return
    server = PostgresServer(bindir).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh database, its URL in ``$ENG5_STORE_URL``."""
    url = pg_server.new_database()
    monkeypatch.setenv(URL_ENV, url)
    return url


@dataclass
class Backend:
    """One store backend under test."""

    name: str
    location: str
    cache: dict[str, Any]
    url: str | None = None

    def open(self, *, read_only: bool = False) -> JudgementStore:
        return open_location(self.location, read_only=read_only)

    def settings(self, base: RunnerSettings, **cache: Any) -> RunnerSettings:
        """``base`` with its cache pointed at this backend."""
        return base.model_copy(update={"cache": base.cache.model_copy(update=self.cache | cache)})

    def sql(self, statement: str) -> None:
        """Run raw SQL on the backing database (to fake another schema version)."""
        if self.url is not None:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute(statement.encode())
        else:
            import sqlite3

            db = sqlite3.connect(self.location, isolation_level=None)
            db.execute(statement)
            db.close()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        return Backend("postgres", "pg:", {"backend": "postgres", "url_env": URL_ENV}, url)
    path = tmp_path / "store.sqlite"
    return Backend("sqlite", str(path), {"backend": "sqlite", "path": path})
