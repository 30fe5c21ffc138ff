"""The judgement store in PostgreSQL: one ledger for every node of a sweep.

``cache.backend=postgres`` reads the server's URL from the environment variable
named by ``cache.url_env`` (default ``ENG5_STORE_URL``); the URL is never
written anywhere and never shown (errors say ``$ENG5_STORE_URL``). The tables
mirror the SQLite store (:mod:`eng5_runner.engine.store`); the runner creates
and migrates them under an advisory lock, so many jobs may start at once.
Claims and heartbeats use the *server's* clock, so nodes with skewed clocks
agree on which claims are stale, and each claim names the server process of
its owner's connection: when a job dies (killed, node lost) its connection
closes and its claims are taken over at once instead of after the TTL.

Every operation is its own short transaction. A lost connection is retried
(reconnecting with backoff) for ``cache.retry_s`` seconds; after that the
operation fails with one :class:`~eng5_runner.errors.OutputError` line (exit 5)
and the run keeps what it judged in ``comparisons.jsonl``.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import psycopg

from eng5_runner.engine.records import JudgementRecord
from eng5_runner.engine.store import (
    SCHEMA_VERSION,
    JudgementStore,
    KeyInputs,
    Rows,
    canonical_json,
    schema_mismatch,
)
from eng5_runner.errors import ConfigError, InputError, OutputError

T = TypeVar("T")
MIGRATION_LOCK = 0x656E6735  # "eng5": serialises schema creation across jobs
_TABLES = (
    """CREATE TABLE IF NOT EXISTS judgements (
        cache_key  TEXT PRIMARY KEY,
        record     TEXT NOT NULL,
        key_inputs TEXT NOT NULL,
        stored_at  TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS failures (
        id            BIGSERIAL PRIMARY KEY,
        cache_key     TEXT NOT NULL,
        comparison_id TEXT NOT NULL,
        reason        TEXT NOT NULL,
        record        TEXT NOT NULL,
        stored_at     TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS failures_by_key ON failures (cache_key)",
    """CREATE TABLE IF NOT EXISTS claims (
        cache_key  TEXT PRIMARY KEY,
        owner      TEXT NOT NULL,
        claimed_at DOUBLE PRECISION NOT NULL,
        heartbeat  DOUBLE PRECISION NOT NULL,
        backend_pid INTEGER NOT NULL DEFAULT 0)""",
)
MIGRATIONS: dict[int, tuple[str, ...]] = {1: _TABLES}
"""Statements that bring a store from version ``n - 1`` to ``n``."""
NOW = "extract(epoch from clock_timestamp())"
_ALIVE = "backend_pid IN (SELECT pid FROM pg_stat_activity)"


def store_url(url_env: str) -> str:
    """The PostgreSQL URL from ``$url_env``; ConfigError (exit 2) when unset."""
    url = os.environ.get(url_env, "").strip()
    if not url:
        raise ConfigError(
            f"cache.backend=postgres needs the store's URL in the environment variable {url_env}",
            hint=f"export {url_env}=postgresql://HOST:5432/DB (user and password in PGUSER, "
            "PGPASSWORD or ~/.pgpass), or set cache.url_env to the variable you use",
        )
    return url


def url_secrets(url: str) -> list[str]:
    """The URL and its password: what an error message must never contain."""
    secrets = [url]
    with contextlib.suppress(psycopg.ProgrammingError):
        password = psycopg.conninfo.conninfo_to_dict(url).get("password")
        if password:
            secrets.append(str(password))
    return secrets


def reason(exc: BaseException, url: str) -> str:
    """First line of a driver error, with the URL and password taken out."""
    from eng5_runner.output.redact import redact

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return redact(text, url_secrets(url))


class PostgresStore(JudgementStore):
    """Stored successes, failures and claims in a PostgreSQL database.

    Thread-safe: the engine calls it from worker threads (``blocking_io``) so a
    retried connection never stalls the event loop; one lock serialises the
    transactions on the one connection.
    """

    blocking_io = True

    def __init__(
        self,
        url: str,
        *,
        url_env: str = "ENG5_STORE_URL",
        read_only: bool = False,
        retry_s: float = 30.0,
    ) -> None:
        self._url = url
        self.url_env = url_env
        self.path = Path(f"${url_env}")
        self.read_only = read_only
        self.retry_s = retry_s
        self.conn: psycopg.Connection[Any] | None = None
        self.lock = threading.RLock()
        self.owners: set[str] = set()
        """Claim owners of this process (their claims move with a reconnect)."""
        try:
            self._run(lambda conn: None)  # connect now: a bad URL fails before any judging
            self._run(self._migrate)
        except BaseException:
            self._drop()
            raise

    @classmethod
    def from_env(
        cls, url_env: str = "ENG5_STORE_URL", *, read_only: bool = False, retry_s: float = 30.0
    ) -> PostgresStore:
        """The store whose URL is in ``$url_env``."""
        return cls(store_url(url_env), url_env=url_env, read_only=read_only, retry_s=retry_s)

    @property
    def where(self) -> str:
        return f"cache.backend=postgres (${self.url_env})"

    # -- connection and retries -------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        if self.conn is None or self.conn.closed:
            self.conn = psycopg.connect(
                self._url, autocommit=True, connect_timeout=10, application_name="eng5-runner"
            )
            if self.owners and not self.read_only:  # a reconnect: our claims follow us
                self.conn.execute(
                    "UPDATE claims SET backend_pid = pg_backend_pid() WHERE owner = ANY(%s)",
                    (sorted(self.owners),),
                )
        return self.conn

    def _run(self, work: Callable[[psycopg.Connection[Any]], T], *, retry: bool = True) -> T:
        """``work`` in one transaction; a lost connection is retried for ``retry_s``."""
        with self.lock:
            return self._retried(work, retry=retry)

    def _retried(self, work: Callable[[psycopg.Connection[Any]], T], *, retry: bool) -> T:
        deadline = time.monotonic() + self.retry_s
        delay = 0.1
        while True:
            try:
                conn = self._connect()
                with conn.transaction():
                    return work(conn)
            except psycopg.OperationalError as exc:
                self._drop()
                if not retry or time.monotonic() + delay > deadline:
                    raise OutputError(
                        f"{self.where}: the database is unreachable ({reason(exc, self._url)})",
                        hint="check that the PostgreSQL server is up and the URL is right; "
                        "what was judged is in comparisons.jsonl and the same command resumes",
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
            except psycopg.Error as exc:
                self._drop()
                raise OutputError(
                    f"{self.where}: {reason(exc, self._url)}",
                    hint="check the database user's rights on the store's tables",
                ) from None

    def _drop(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(psycopg.Error):
                self.conn.close()
        self.conn = None

    def _migrate(self, conn: psycopg.Connection[Any]) -> None:
        """Create or upgrade the tables (one job at a time); refuse a newer schema."""
        exists = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
        if self.read_only:
            if not (exists and exists[0]):
                raise InputError(
                    f"{self.where}: the database holds no judgement store",
                    hint="record it first with cache=read_write",
                )
            self._check_version(conn)
            return
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        found = self._check_version(conn)
        for version in range(found + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version]:
                conn.execute(statement.encode())
        if found < SCHEMA_VERSION:
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (SCHEMA_VERSION,))

    def _check_version(self, conn: psycopg.Connection[Any]) -> int:
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        found = int(row[0]) if row and row[0] is not None else 0
        if found > SCHEMA_VERSION or (self.read_only and found != SCHEMA_VERSION):
            raise schema_mismatch(self.where, found)
        return found

    def _writable(self) -> None:
        if self.read_only:
            raise ConfigError(f"{self.where} is open read-only (replay)")

    # -- the contract -----------------------------------------------------------

    def get_many(self, keys: Iterable[str]) -> dict[str, JudgementRecord]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}

        def work(conn: psycopg.Connection[Any]) -> dict[str, JudgementRecord]:
            cursor = conn.execute(
                "SELECT cache_key, record FROM judgements WHERE cache_key = ANY(%s)", (wanted,)
            )
            return {
                key: JudgementRecord.model_validate_json(text).model_copy(update={"cached": True})
                for key, text in cursor
            }

        return self._run(work)

    def put(self, record: JudgementRecord, inputs: KeyInputs) -> JudgementRecord | None:
        self._writable()
        earlier = self._run(lambda conn: self._put(conn, record, inputs))
        if earlier is not None and _same(earlier, record):
            return None  # our own answer, committed before a lost connection was retried
        return earlier

    def _put(
        self, conn: psycopg.Connection[Any], record: JudgementRecord, inputs: KeyInputs
    ) -> JudgementRecord | None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        stored = record.model_copy(update={"cached": False}).model_dump_json()
        earlier: JudgementRecord | None = None
        if record.succeeded:
            cursor = conn.execute(
                "INSERT INTO judgements (cache_key, record, key_inputs, stored_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (cache_key) DO NOTHING",
                (record.cache_key, stored, canonical_json(inputs), now),
            )
            if cursor.rowcount == 0:
                row = conn.execute(
                    "SELECT record FROM judgements WHERE cache_key = %s", (record.cache_key,)
                ).fetchone()
                if row is not None:
                    earlier = JudgementRecord.model_validate_json(row[0]).model_copy(
                        update={"cached": True}
                    )
        else:
            conn.execute(
                "INSERT INTO failures (cache_key, comparison_id, reason, record, stored_at) "
                "VALUES (%s, %s, %s, %s, %s)",
                (record.cache_key, record.comparison_id, record.failure_reason or "", stored, now),
            )
        conn.execute("DELETE FROM claims WHERE cache_key = %s", (record.cache_key,))
        return earlier

    def claim(self, keys: Iterable[str], owner: str, ttl_s: float) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        if self.read_only or not wanted:
            return set(wanted)
        self.owners.add(owner)

        def work(conn: psycopg.Connection[Any]) -> set[str]:
            conn.execute(
                f"DELETE FROM claims WHERE heartbeat < {NOW} - %s OR NOT {_ALIVE}", (ttl_s,)
            )
            conn.execute(
                "INSERT INTO claims (cache_key, owner, claimed_at, heartbeat, backend_pid) "
                f"SELECT k, %s, {NOW}, {NOW}, pg_backend_pid() FROM unnest(%s::text[]) AS k "
                "WHERE NOT EXISTS (SELECT 1 FROM judgements j WHERE j.cache_key = k) "
                "ON CONFLICT (cache_key) DO NOTHING",
                (owner, wanted),
            )
            # A new statement sees answers committed while the INSERT ran (READ COMMITTED
            # snapshots are per statement): a key stored meanwhile is not ours to judge.
            conn.execute(
                "DELETE FROM claims c WHERE c.owner = %s AND c.cache_key = ANY(%s) "
                "AND EXISTS (SELECT 1 FROM judgements j WHERE j.cache_key = c.cache_key)",
                (owner, wanted),
            )
            cursor = conn.execute(
                "SELECT cache_key FROM claims WHERE owner = %s AND cache_key = ANY(%s)",
                (owner, wanted),
            )
            return {key for (key,) in cursor}

        return self._run(work)

    def claimed_elsewhere(self, keys: Iterable[str], owner: str, ttl_s: float) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return set()

        def work(conn: psycopg.Connection[Any]) -> set[str]:
            cursor = conn.execute(
                f"SELECT cache_key FROM claims WHERE owner != %s AND heartbeat >= {NOW} - %s "
                f"AND {_ALIVE} AND cache_key = ANY(%s)",
                (owner, ttl_s, wanted),
            )
            return {key for (key,) in cursor}

        return self._run(work)

    def heartbeat(self, owner: str) -> None:
        """One attempt, errors ignored: a missed beat only ages the claims."""
        if not self.read_only:
            with contextlib.suppress(OutputError):
                self._run(
                    lambda conn: conn.execute(
                        f"UPDATE claims SET heartbeat = {NOW}, backend_pid = pg_backend_pid() "
                        "WHERE owner = %s",
                        (owner,),
                    ),
                    retry=False,
                )

    def release(self, owner: str) -> None:
        if not self.read_only:
            with contextlib.suppress(OutputError):
                self._run(
                    lambda conn: conn.execute("DELETE FROM claims WHERE owner = %s", (owner,)),
                    retry=False,
                )

    def rows(self, keys: Iterable[str] | None = None) -> Rows:
        wanted = None if keys is None else sorted(set(keys))

        def work(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
            if wanted is None:
                query = "SELECT record, key_inputs FROM judgements ORDER BY cache_key"
                return [(r, i) for r, i in conn.execute(query)]
            query = (
                "SELECT record, key_inputs FROM judgements WHERE cache_key = ANY(%s) "
                "ORDER BY cache_key"
            )
            return [(r, i) for r, i in conn.execute(query, (wanted,))]

        for text, inputs in self._run(work):
            yield JudgementRecord.model_validate_json(text), json.loads(inputs)

    def failures(self, key: str | None = None) -> list[JudgementRecord]:
        def work(conn: psycopg.Connection[Any]) -> list[str]:
            if key is None:
                return [t for (t,) in conn.execute("SELECT record FROM failures ORDER BY id")]
            cursor = conn.execute(
                "SELECT record FROM failures WHERE cache_key = %s ORDER BY id", (key,)
            )
            return [t for (t,) in cursor]

        return [JudgementRecord.model_validate_json(t) for t in self._run(work)]

    def count(self) -> int:
        row = self._run(lambda conn: conn.execute("SELECT COUNT(*) FROM judgements").fetchone())
        return int(row[0]) if row else 0

    def import_rows(
        self,
        rows: Iterable[tuple[JudgementRecord, KeyInputs]],
        failures: Iterable[JudgementRecord] = (),
    ) -> tuple[int, int]:
        self._writable()
        successes, failed = list(rows), list(failures)

        def work(conn: psycopg.Connection[Any]) -> tuple[int, int]:
            before = _scalar(conn, "SELECT COUNT(*) FROM judgements")
            for record, inputs in successes:
                self._put(conn, record, inputs)
            added = _scalar(conn, "SELECT COUNT(*) FROM judgements") - before
            new_failures = 0
            for failure in failed:
                stored = failure.model_copy(update={"cached": False}).model_dump_json()
                seen = conn.execute(
                    "SELECT 1 FROM failures WHERE cache_key = %s AND record = %s",
                    (failure.cache_key, stored),
                ).fetchone()
                if seen is None:
                    self._put(conn, failure, {})
                    new_failures += 1
            return added, new_failures

        return self._run(work)

    def close(self) -> None:
        self._drop()


def _scalar(conn: psycopg.Connection[Any], query: str) -> int:
    row = conn.execute(query.encode()).fetchone()
    return int(row[0]) if row else 0


def _same(one: JudgementRecord, other: JudgementRecord) -> bool:
    strip = {"cached"}
    return one.model_dump(exclude=strip) == other.model_dump(exclude=strip)
