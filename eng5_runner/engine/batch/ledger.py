"""Which comparisons went into which provider batch: two tables in the judgement store.

A batch is written down **before** it is created at the provider (state
``submitting``, with its request keys), then gets its provider id
(``submitted``), and is marked ``collected`` once every result is stored. A
re-run finds the keys of uncollected batches here and polls those batches
instead of submitting the comparisons again. The tables are created with
``CREATE TABLE IF NOT EXISTS``, so older stores gain them on first use.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from eng5_runner.engine.records import PairRequest
from eng5_runner.engine.store import KeyInputs, canonical_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    local_id      TEXT PRIMARY KEY,
    batch_id      TEXT,
    provider      TEXT NOT NULL,
    model         TEXT NOT NULL,
    state         TEXT NOT NULL,
    requests      INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    last_status   TEXT
);
CREATE TABLE IF NOT EXISTS batch_requests (
    local_id      TEXT NOT NULL,
    cache_key     TEXT NOT NULL,
    request       TEXT NOT NULL,
    key_inputs    TEXT NOT NULL,
    PRIMARY KEY (local_id, cache_key)
);
CREATE INDEX IF NOT EXISTS batch_requests_by_key ON batch_requests (cache_key);
"""
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class LedgerItem:
    """One comparison in a batch: its request (custom_id = ``cache_key``) and key inputs."""

    cache_key: str
    request: PairRequest
    key_inputs: KeyInputs


@dataclass(frozen=True, slots=True)
class LedgerBatch:
    """A batch written down in the store."""

    local_id: str
    batch_id: str | None
    provider: str
    state: str
    """submitting | submitted | collected"""
    requests: int
    created_at: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class BatchLedger:
    """Batch bookkeeping on the store's SQLite connection (each write its own transaction)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.db.executescript(_SCHEMA)

    def begin(self, provider: str, model: str, items: Sequence[LedgerItem]) -> str:
        """Write a batch down before it is created; its local id."""
        local_id = "eng5-" + uuid.uuid4().hex
        now = _now()
        rows = [
            (local_id, i.cache_key, i.request.model_dump_json(), canonical_json(i.key_inputs))
            for i in items
        ]
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT INTO batches (local_id, provider, model, state, requests, created_at, "
                "updated_at) VALUES (?, ?, ?, 'submitting', ?, ?, ?)",
                (local_id, provider, model, len(items), now, now),
            )
            self.db.executemany(
                "INSERT OR IGNORE INTO batch_requests (local_id, cache_key, request, key_inputs) "
                "VALUES (?, ?, ?, ?)",
                rows,
            )
        return local_id

    def submitted(self, local_id: str, batch_id: str, status: str) -> None:
        """The provider accepted the batch under ``batch_id``."""
        self.db.execute(
            "UPDATE batches SET batch_id = ?, state = 'submitted', last_status = ?, "
            "updated_at = ? WHERE local_id = ?",
            (batch_id, status, _now(), local_id),
        )

    def abandon(self, local_id: str) -> None:
        """The provider refused the batch: forget it (its comparisons may be sent again)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM batch_requests WHERE local_id = ?", (local_id,))
            self.db.execute("DELETE FROM batches WHERE local_id = ?", (local_id,))

    def status(self, local_id: str, status: str) -> None:
        """The provider's latest status word (shown by a later run)."""
        self.db.execute(
            "UPDATE batches SET last_status = ?, updated_at = ? WHERE local_id = ?",
            (status, _now(), local_id),
        )

    def collected(self, local_id: str) -> None:
        """Every result of the batch is stored."""
        self.db.execute(
            "UPDATE batches SET state = 'collected', updated_at = ? WHERE local_id = ?",
            (_now(), local_id),
        )

    def open_batches_for(self, provider: str, keys: Iterable[str]) -> list[LedgerBatch]:
        """Uncollected batches of ``provider`` holding any of ``keys``, oldest first."""
        wanted = list(dict.fromkeys(keys))
        local_ids: set[str] = set()
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            query = (
                "SELECT DISTINCT r.local_id FROM batch_requests r JOIN batches b "
                "ON b.local_id = r.local_id WHERE b.state != 'collected' AND b.provider = ? "
                f"AND r.cache_key IN ({marks})"
            )
            local_ids.update(row[0] for row in self.db.execute(query, [provider, *chunk]))
        return sorted(
            (b for b in (self.batch(i) for i in local_ids) if b is not None),
            key=lambda b: (b.created_at, b.local_id),
        )

    def batch(self, local_id: str) -> LedgerBatch | None:
        row = self.db.execute(
            "SELECT local_id, batch_id, provider, state, requests, created_at FROM batches "
            "WHERE local_id = ?",
            (local_id,),
        ).fetchone()
        return LedgerBatch(*row) if row else None

    def items(self, local_id: str) -> list[LedgerItem]:
        """The comparisons of one batch."""
        cursor = self.db.execute(
            "SELECT cache_key, request, key_inputs FROM batch_requests WHERE local_id = ?",
            (local_id,),
        )
        return [
            LedgerItem(key, PairRequest.model_validate_json(req), json.loads(inputs))
            for key, req, inputs in cursor
        ]

    def all_batches(self) -> list[LedgerBatch]:
        """Every batch written down, oldest first."""
        cursor = self.db.execute(
            "SELECT local_id, batch_id, provider, state, requests, created_at FROM batches "
            "ORDER BY created_at, local_id"
        )
        return [LedgerBatch(*row) for row in cursor]
