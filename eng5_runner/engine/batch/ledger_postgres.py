"""The batch ledger in the PostgreSQL judgement store (``cache.backend=postgres``).

The same tables and statements as the SQLite ledger (:mod:`.ledger`), run
through the store's own connection and retry loop
(:meth:`PostgresStore._run`): every write is one transaction, a lost
connection is retried for ``cache.retry_s``. The tables are created (and the
``nonce`` column added) under the store's migration advisory lock, so the
jobs of a sweep may start at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from eng5_runner.engine.batch.ledger import NEW_COLUMNS, TABLES, Ledger, Params
from eng5_runner.engine.store_postgres import MIGRATION_LOCK, PostgresStore


def _pg(query: str) -> bytes:
    """SQLite's ``?`` placeholders as psycopg's ``%s``."""
    return query.replace("?", "%s").encode()


class PostgresBatchLedger(Ledger):
    """Batch bookkeeping in the PostgreSQL store."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store

        def create(conn: psycopg.Connection[Any]) -> None:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            for statement in TABLES:
                conn.execute(statement.encode())
            for name, kind in NEW_COLUMNS:
                conn.execute(f"ALTER TABLE batches ADD COLUMN IF NOT EXISTS {name} {kind}".encode())

        store._run(create)

    def _write(self, statements: Sequence[tuple[str, Params | list[Params]]]) -> None:
        def work(conn: psycopg.Connection[Any]) -> None:
            for query, params in statements:
                if isinstance(params, list):
                    if params:
                        with conn.cursor() as cursor:
                            cursor.executemany(_pg(query), params)
                else:
                    conn.execute(_pg(query), params)

        self.store._run(work)

    def _read(self, query: str, params: Params = ()) -> list[tuple[Any, ...]]:
        def work(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
            return list(conn.execute(_pg(query), params).fetchall())

        return self.store._run(work)
