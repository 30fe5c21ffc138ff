"""Token buckets in a SQLite table, shared by every process on one machine.

Each bucket is a row ``(name, level, stamp)``: it refills at ``per_minute / 60``
units per second up to ``burst_s`` seconds' worth, measured on the wall clock
(which all processes share). Taking from a bucket is one ``BEGIN IMMEDIATE``
transaction, so two processes never spend the same units; a process that finds
too little sleeps until enough will have refilled and tries again. Within a
process an asyncio lock keeps workers from racing each other to the file.
SQLite on a network file system is not safe: on a cluster each node has its
own file, so each node sends up to the full limit (see docs/configuration.md).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from eng5_runner.engine.limits.buckets import TokenBuckets
from eng5_runner.errors import ConfigError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_buckets (
    name  TEXT PRIMARY KEY,
    level REAL NOT NULL,
    stamp REAL NOT NULL
);
"""


class SqliteRateLimiter(TokenBuckets):
    """Requests- and tokens-per-minute for one key, shared through ``path``."""

    def __init__(
        self,
        path: Path,
        key: str,
        *,
        requests_per_minute: int | None,
        tokens_per_minute: int | None,
        burst_s: float = 10.0,
        timeout_s: float = 30.0,
    ) -> None:
        self.path = Path(path)
        super().__init__(
            key,
            requests_per_minute=requests_per_minute,
            tokens_per_minute=tokens_per_minute,
            burst_s=burst_s,
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None)
            self.db.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
            self.db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"judge.rate_limit_path={self.path}: cannot open the shared rate limits ({exc})",
                hint="point judge.rate_limit_path at a writable local file, or set "
                "judge.shared_rate_limits=false",
            ) from None

    def _change(self, name: str, per_minute: int, amount: float, *, need: float) -> float:
        """Take ``amount`` if ``need`` units are there; else the seconds to wait (0 = taken)."""
        rate = per_minute / 60.0
        capacity = self.capacity(per_minute)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            now = time.time()
            row = self.db.execute(
                "SELECT level, stamp FROM rate_buckets WHERE name = ?", (name,)
            ).fetchone()
            level, stamp = (float(row[0]), float(row[1])) if row else (capacity, now)
            level = min(capacity, level + max(0.0, now - stamp) * rate)
            wait = 0.0
            if level >= need:
                level -= amount
            else:
                wait = (need - level) / rate
            self.db.execute(
                "INSERT INTO rate_buckets (name, level, stamp) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET level = excluded.level, stamp = excluded.stamp",
                (name, min(level, capacity), now),
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return wait

    def close(self) -> None:
        self.db.close()
