"""Which comparisons went into which provider batch: two tables in the judgement store.

A batch is written down **before** it is created at the provider (state
``submitting``, with its request keys and a random submission ``nonce`` that
prefixes every request's ``custom_id``), then gets its provider id
(``submitted``), is ``collecting`` while its results are stored, and is
marked ``collected`` once every result is stored. A re-run finds the keys of
uncollected batches here and polls those batches instead of submitting the
comparisons again; a ``collecting`` batch is collected again without
recording its failures twice. The tables are created with
``CREATE TABLE IF NOT EXISTS`` and the ``nonce`` column is added to older
stores, so older stores gain them on first use. :class:`BatchLedger` is the
SQLite ledger; :mod:`.ledger_postgres` the PostgreSQL one, with the same SQL.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eng5_runner.engine.records import PairRequest
from eng5_runner.engine.store import KeyInputs, canonical_json

TABLES = (
    """CREATE TABLE IF NOT EXISTS batches (
    local_id      TEXT PRIMARY KEY,
    batch_id      TEXT,
    provider      TEXT NOT NULL,
    model         TEXT NOT NULL,
    state         TEXT NOT NULL,
    requests      INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    last_status   TEXT
)""",
    """CREATE TABLE IF NOT EXISTS batch_requests (
    local_id      TEXT NOT NULL,
    cache_key     TEXT NOT NULL,
    request       TEXT NOT NULL,
    key_inputs    TEXT NOT NULL,
    PRIMARY KEY (local_id, cache_key)
)""",
    "CREATE INDEX IF NOT EXISTS batch_requests_by_key ON batch_requests (cache_key)",
)
NEW_COLUMNS = (("nonce", "TEXT"),)
"""Columns added after the first release (``ALTER TABLE batches ADD COLUMN``)."""
NONCE_CHARS = 12
_CHUNK = 500
_COLUMNS = "local_id, batch_id, provider, state, requests, created_at, nonce"
Params = Sequence[Any]


@dataclass(frozen=True, slots=True)
class LedgerItem:
    """One comparison in a batch: its request (custom_id from ``cache_key``) and key inputs."""

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
    """submitting | submitted | collecting | collected"""
    requests: int
    created_at: str
    nonce: str | None = None
    """Prefix of every request's custom_id; None for batches written before nonces."""

    def custom_id(self, cache_key: str) -> str:
        """The custom_id of ``cache_key``'s request in this batch."""
        return custom_id(self.nonce, cache_key)


def custom_id(nonce: str | None, cache_key: str) -> str:
    """``<nonce>_<first 51 hex of the key>``: 64 characters of ``[a-zA-Z0-9_-]``."""
    if nonce is None:
        return cache_key
    return f"{nonce}_{cache_key[: 63 - len(nonce)]}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Ledger:
    """Batch bookkeeping in SQL; subclasses run the statements on their database."""

    def _write(self, statements: Sequence[tuple[str, Params | list[Params]]]) -> None:
        """Run ``statements`` (a list of rows = executemany) in one transaction."""
        raise NotImplementedError

    def _read(self, query: str, params: Params = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def begin(self, provider: str, model: str, items: Sequence[LedgerItem]) -> LedgerBatch:
        """Write a batch down before it is created."""
        local_id = "eng5-" + uuid.uuid4().hex
        nonce = secrets.token_hex(NONCE_CHARS // 2)
        now = _now()
        rows: list[Params] = [
            (local_id, i.cache_key, i.request.model_dump_json(), canonical_json(i.key_inputs))
            for i in items
        ]
        self._write(
            [
                (
                    "INSERT INTO batches (local_id, provider, model, state, requests, created_at, "
                    "updated_at, nonce) VALUES (?, ?, ?, 'submitting', ?, ?, ?, ?)",
                    (local_id, provider, model, len(items), now, now, nonce),
                ),
                (
                    "INSERT INTO batch_requests (local_id, cache_key, request, key_inputs) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    rows,
                ),
            ]
        )
        return LedgerBatch(local_id, None, provider, "submitting", len(items), now, nonce)

    def submitted(self, local_id: str, batch_id: str, status: str) -> None:
        """The provider accepted the batch under ``batch_id``."""
        self._write(
            [
                (
                    "UPDATE batches SET batch_id = ?, state = 'submitted', last_status = ?, "
                    "updated_at = ? WHERE local_id = ? AND state = 'submitting'",
                    (batch_id, status, _now(), local_id),
                )
            ]
        )

    def abandon(self, local_id: str) -> None:
        """The provider has no such batch: forget it (its comparisons may be sent again)."""
        self._write(
            [
                ("DELETE FROM batch_requests WHERE local_id = ?", (local_id,)),
                ("DELETE FROM batches WHERE local_id = ?", (local_id,)),
            ]
        )

    def status(self, local_id: str, status: str) -> None:
        """The provider's latest status word (shown by a later run)."""
        self._write(
            [
                (
                    "UPDATE batches SET last_status = ?, updated_at = ? WHERE local_id = ?",
                    (status, _now(), local_id),
                )
            ]
        )

    def collecting(self, local_id: str) -> None:
        """Results are being stored (a re-run after a kill now skips recorded failures)."""
        self._state(local_id, "collecting")

    def collected(self, local_id: str) -> None:
        """Every result of the batch is stored."""
        self._state(local_id, "collected")

    def _state(self, local_id: str, state: str) -> None:
        self._write(
            [
                (
                    "UPDATE batches SET state = ?, updated_at = ? WHERE local_id = ?",
                    (state, _now(), local_id),
                )
            ]
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
            local_ids.update(row[0] for row in self._read(query, [provider, *chunk]))
        return sorted(
            (b for b in (self.batch(i) for i in local_ids) if b is not None),
            key=lambda b: (b.created_at, b.local_id),
        )

    def batch(self, local_id: str) -> LedgerBatch | None:
        rows = self._read(f"SELECT {_COLUMNS} FROM batches WHERE local_id = ?", (local_id,))
        return LedgerBatch(*rows[0]) if rows else None

    def items(self, local_id: str) -> list[LedgerItem]:
        """The comparisons of one batch."""
        rows = self._read(
            "SELECT cache_key, request, key_inputs FROM batch_requests WHERE local_id = ?",
            (local_id,),
        )
        return [
            LedgerItem(key, PairRequest.model_validate_json(req), json.loads(inputs))
            for key, req, inputs in rows
        ]

    def all_batches(self) -> list[LedgerBatch]:
        """Every batch written down, oldest first."""
        rows = self._read(f"SELECT {_COLUMNS} FROM batches ORDER BY created_at, local_id")
        return [LedgerBatch(*row) for row in rows]


class BatchLedger(Ledger):
    """The ledger on the SQLite store's connection (each write its own transaction)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        for statement in TABLES:
            self.db.execute(statement)
        have = {row[1] for row in self.db.execute("PRAGMA table_info(batches)")}
        for name, kind in NEW_COLUMNS:
            if name not in have:
                self.db.execute(f"ALTER TABLE batches ADD COLUMN {name} {kind}")

    def _write(self, statements: Sequence[tuple[str, Params | list[Params]]]) -> None:
        with self.db:
            own = not self.db.in_transaction
            if own:
                self.db.execute("BEGIN IMMEDIATE")
            for query, params in statements:
                if isinstance(params, list):
                    self.db.executemany(query, params)
                else:
                    self.db.execute(query, params)

    def _read(self, query: str, params: Params = ()) -> list[tuple[Any, ...]]:
        return list(self.db.execute(query, params))
