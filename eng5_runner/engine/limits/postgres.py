"""Token buckets in PostgreSQL, shared by every process and node using one store.

The same mechanism as :mod:`.sqlite` (a ``rate_buckets`` row per bucket that
refills at ``per_minute / 60`` units per second up to ``burst_s`` seconds'
worth), with the row taken under ``SELECT ... FOR UPDATE`` so two processes
never spend the same units, and the refill measured on the *database server's*
clock, so nodes with skewed clocks still share one limit. The table lives in
the judgement store's database (``cache.backend=postgres``, URL in
``$cache.url_env``). A lost connection is retried like the store's; when it
persists the call fails with one OutputError line (exit 5).
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import psycopg

from eng5_runner.engine.limits.buckets import TokenBuckets
from eng5_runner.engine.store_postgres import reason
from eng5_runner.errors import OutputError

_SCHEMA = """CREATE TABLE IF NOT EXISTS rate_buckets (
    name  TEXT PRIMARY KEY,
    level DOUBLE PRECISION NOT NULL,
    stamp DOUBLE PRECISION NOT NULL)"""
_LOCK = 0x656E6736  # serialises the one-time CREATE TABLE across processes
_NOW = "extract(epoch from clock_timestamp())"


class PostgresRateLimiter(TokenBuckets):
    """Requests- and tokens-per-minute for one key, shared through a PostgreSQL table."""

    blocking_io = True

    def __init__(
        self,
        url: str,
        key: str,
        *,
        requests_per_minute: int | None,
        tokens_per_minute: int | None,
        burst_s: float = 10.0,
        url_env: str = "ENG5_STORE_URL",
        retry_s: float = 30.0,
    ) -> None:
        self._url = url
        self.url_env = url_env
        super().__init__(
            key,
            requests_per_minute=requests_per_minute,
            tokens_per_minute=tokens_per_minute,
            burst_s=burst_s,
        )
        self.retry_s = retry_s
        self.conn: psycopg.Connection[Any] | None = None
        self.conn_lock = threading.RLock()
        self._transaction(self._create)

    def _create(self, conn: psycopg.Connection[Any]) -> float:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        conn.execute(_SCHEMA)
        return 0.0

    def _transaction(self, work: Any) -> float:
        """``work(conn)`` in one transaction; a lost connection is retried for ``retry_s``."""
        with self.conn_lock:  # acquire runs in a worker thread, refund on the loop
            return self._retried(work)

    def _retried(self, work: Any) -> float:
        deadline = time.monotonic() + self.retry_s
        delay = 0.1
        while True:
            try:
                if self.conn is None or self.conn.closed:
                    self.conn = psycopg.connect(
                        self._url, autocommit=True, connect_timeout=10, application_name="eng5-rl"
                    )
                with self.conn.transaction():
                    return float(work(self.conn))
            except psycopg.Error as exc:
                self.close()
                lost = isinstance(exc, psycopg.OperationalError)
                if not lost or time.monotonic() + delay > deadline:
                    raise OutputError(
                        f"shared rate limits in cache.backend=postgres (${self.url_env}): "
                        f"{reason(exc, self._url)}",
                        hint="check that the PostgreSQL server is up, or set "
                        "judge.shared_rate_limits=false",
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _change(self, name: str, per_minute: int, amount: float, *, need: float) -> float:
        """Take ``amount`` if ``need`` units are there; else the seconds to wait (0 = taken)."""
        rate = per_minute / 60.0
        capacity = self.capacity(per_minute)

        def work(conn: psycopg.Connection[Any]) -> float:
            conn.execute(
                f"INSERT INTO rate_buckets (name, level, stamp) VALUES (%s, %s, {_NOW}) "
                "ON CONFLICT (name) DO NOTHING",
                (name, capacity),
            )
            row = conn.execute(
                f"SELECT level, stamp, {_NOW} FROM rate_buckets WHERE name = %s FOR UPDATE",
                (name,),
            ).fetchone()
            assert row is not None  # inserted above, and rows are never deleted
            level, stamp, now = float(row[0]), float(row[1]), float(row[2])
            level = min(capacity, level + max(0.0, now - stamp) * rate)
            wait = 0.0
            if level >= need:
                level -= amount
            else:
                wait = (need - level) / rate
            conn.execute(
                "UPDATE rate_buckets SET level = %s, stamp = %s WHERE name = %s",
                (min(level, capacity), now, name),
            )
            return wait

        return self._transaction(work)

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(psycopg.Error):
                self.conn.close()
        self.conn = None
