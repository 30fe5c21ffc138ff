"""Batched store writes: nothing queued is lost, reads see every put, slow streams row by row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from eng5_runner.engine import store as store_module
from eng5_runner.engine.records import JudgementRecord
from eng5_runner.engine.store import SqliteStore


def _record(i: int, *, failed: bool = False) -> JudgementRecord:
    return JudgementRecord(
        comparison_id=f"c{i:05d}",
        essay_a_id="a",
        essay_b_id="b",
        status="failed" if failed else "succeeded",
        winner=None if failed else "A",
        failure_reason="boom" if failed else None,
        provider="simulated",
        model="m",
        cache_key=f"k{i}",
    )


def _committed(path: Path) -> int:
    """Successes another connection sees (committed rows only)."""
    with sqlite3.connect(path) as other:
        return int(other.execute("SELECT COUNT(*) FROM judgements").fetchone()[0])


def test_queued_rows_are_committed_on_close_and_seen_by_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "FLUSH_AFTER_S", 3600.0)  # no time-based commit
    path = tmp_path / "s.sqlite"
    store = SqliteStore(path)
    for i in range(10):
        store.put(_record(i), {"i": i})
    store.put(_record(99, failed=True), {})
    assert _committed(path) == 0  # still queued: one transaction for the batch
    assert store.count() == 10 and len(store.failures()) == 1  # reads flush first
    store.put(_record(10), {"i": 10})
    store.close()
    assert _committed(path) == 11


def test_a_slow_stream_is_written_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "FLUSH_AFTER_S", 0.0)
    path = tmp_path / "s.sqlite"
    store = SqliteStore(path)
    for i in range(3):
        store.put(_record(i), {"i": i})
        assert _committed(path) == i + 1
    store.close()


def test_a_full_queue_is_committed_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "FLUSH_ROWS", 4)
    monkeypatch.setattr(store_module, "FLUSH_AFTER_S", 3600.0)
    path = tmp_path / "s.sqlite"
    store = SqliteStore(path)
    for i in range(3):
        store.put(_record(i), {"i": i})
    assert _committed(path) == 0
    store.put(_record(3), {"i": 3})
    assert _committed(path) == 4
    store.close()
