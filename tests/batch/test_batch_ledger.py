"""The batch ledger on both store backends (SQLite and a real PostgreSQL), and its migration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from eng5_runner.engine.batch.ledger import BatchLedger, Ledger, LedgerItem, custom_id
from eng5_runner.engine.batch.runner import batch_ledger
from eng5_runner.engine.records import PairRequest
from eng5_runner.engine.run_local import judge_pairs
from eng5_runner.engine.store import JudgementStore, SqliteStore, open_store
from tests.batch.conftest import batch_settings
from tests.store.conftest import URL_ENV


def _item(n: int) -> LedgerItem:
    request = PairRequest(comparison_id=f"c{n}", a_id=f"a{n}", b_id=f"b{n}", iteration=0)
    return LedgerItem(f"{n:064x}", request, {"n": n})


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> JudgementStore:
    if request.param == "postgres":
        request.getfixturevalue("pg_url")
        from eng5_runner.engine.store_postgres import PostgresStore

        opened: JudgementStore = PostgresStore.from_env(URL_ENV)
    else:
        opened = SqliteStore(tmp_path / "store.sqlite")
    request.addfinalizer(opened.close)
    return opened


def test_a_batch_goes_from_submitting_to_collected(store: JudgementStore) -> None:
    ledger: Ledger = batch_ledger(store)
    row = ledger.begin("openai", "gpt-5.1", [_item(1), _item(2)])
    assert (row.state, row.batch_id, row.requests) == ("submitting", None, 2)
    assert row.nonce and len(row.nonce) == 12
    assert ledger.batch(row.local_id) == row
    assert [b.local_id for b in ledger.open_batches_for("openai", [_item(2).cache_key])] == [
        row.local_id
    ]
    assert ledger.open_batches_for("anthropic", [_item(2).cache_key]) == []
    assert sorted(ledger.items(row.local_id), key=lambda i: i.cache_key) == [_item(1), _item(2)]
    ledger.submitted(row.local_id, "batch_1", "validating")
    ledger.submitted(row.local_id, "batch_2", "validating")  # only a 'submitting' row
    ledger.collecting(row.local_id)
    stored = ledger.batch(row.local_id)
    assert stored is not None and (stored.batch_id, stored.state) == ("batch_1", "collecting")
    ledger.collected(row.local_id)
    assert ledger.open_batches_for("openai", [_item(1).cache_key]) == []
    assert [b.state for b in ledger.all_batches()] == ["collected"]


def test_an_abandoned_batch_is_forgotten(store: JudgementStore) -> None:
    ledger = batch_ledger(store)
    row = ledger.begin("anthropic", "claude-sonnet-5-5", [_item(3)])
    ledger.abandon(row.local_id)
    assert ledger.all_batches() == [] and ledger.items(row.local_id) == []
    assert batch_ledger(store).all_batches() == []  # a second open keeps the tables


def test_custom_ids_carry_the_nonce_and_fit_the_providers_pattern() -> None:
    key = "f" * 64
    made = custom_id("0123456789ab", key)
    assert len(made) == 64 and made.startswith("0123456789ab_") and key.startswith(made[13:])
    assert custom_id(None, key) == key  # batches written before nonces


def test_an_older_sqlite_store_gains_the_nonce_column(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "old.sqlite", isolation_level=None)
    db.execute(
        "CREATE TABLE batches (local_id TEXT PRIMARY KEY, batch_id TEXT, provider TEXT NOT NULL, "
        "model TEXT NOT NULL, state TEXT NOT NULL, requests INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_status TEXT)"
    )
    db.execute(
        "INSERT INTO batches VALUES ('eng5-old', 'batch_old', 'openai', 'gpt-5.1', 'submitted', "
        "1, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', NULL)"
    )
    ledger = BatchLedger(db)
    (old,) = ledger.all_batches()
    assert (old.batch_id, old.nonce) == ("batch_old", None)
    assert old.custom_id("a" * 64) == "a" * 64
    assert ledger.begin("openai", "gpt-5.1", [_item(4)]).nonce


async def test_batch_mode_on_the_postgresql_store(
    pg_url, batch_server, make_settings, inventory
) -> None:
    from eng5_runner.engine.pairing import round_robin

    settings = batch_settings(make_settings, batch_server, "anthropic", batch_wait=False)
    settings = settings.model_copy(
        update={"cache": settings.cache.model_copy(update={"backend": "postgres"})}
    )
    schedule = round_robin([e.essay_id for e in inventory.essays], seed=3, repeats=1)
    batch_server.hold = True
    from eng5_runner.errors import BatchPending

    with pytest.raises(BatchPending):
        await judge_pairs(settings, inventory, schedule, progress=False)
    batch_server.release()
    waiting = settings.model_copy(
        update={"judge": settings.judge.model_copy(update={"batch_wait": True})}
    )
    records = await judge_pairs(waiting, inventory, schedule, progress=False)
    assert all(r.succeeded and r.batch_id for r in records)
    assert batch_server.creates == 1
    store = open_store(settings.cache)
    assert store is not None
    try:
        assert [b.state for b in batch_ledger(store).all_batches()] == ["collected"]
        assert len(store.get_many(r.cache_key for r in records)) == len(records)
    finally:
        store.close()
