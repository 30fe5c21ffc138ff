"""The judgement-store contract, run on SQLite and on a real PostgreSQL server.

Every test takes ``backend`` and so runs twice: cache, failures, resume,
replay, claims, cassettes, bulk import and the schema version check.
"""

from __future__ import annotations

import asyncio

import pytest

from eng5_runner.engine.cassette import export_cassette, import_cassette
from eng5_runner.engine.pairing import round_robin
from eng5_runner.engine.records import JudgementRecord
from eng5_runner.engine.run_local import judge_pairs
from eng5_runner.errors import CacheMissError, ConfigError, OutputError
from tests.engine.engine_support import FAKE_KEY
from tests.fakes.llm_servers import garbage


def _record(key: str, *, ok: bool = True, winner: str = "A") -> JudgementRecord:
    return JudgementRecord.model_validate(
        {
            "comparison_id": f"c-{key}",
            "essay_a_id": "A1",
            "essay_b_id": "B1",
            "iteration": 0,
            "status": "succeeded" if ok else "failed",
            "winner": winner if ok else None,
            "justification": "clearer" if ok else None,
            "confidence": 3 if ok else None,
            "provider": "openai",
            "model": "m",
            "cache_key": key,
            "failure_reason": None if ok else "timeout",
        }
    )


def test_put_get_rows_and_race(backend):
    store = backend.open()
    try:
        assert store.put(_record("k1"), {"n": 1}) is None
        assert store.put(_record("k2", ok=False), {"n": 2}) is None
        hits = store.get_many(["k1", "k2", "k3"])
        assert set(hits) == {"k1"} and hits["k1"].cached
        assert [r.cache_key for r in store.failures()] == ["k2"]
        assert [r.cache_key for r in store.failures("k2")] == ["k2"]
        assert [(r.cache_key, i) for r, i in store.rows()] == [("k1", {"n": 1})]
        assert store.count() == 1
        # a second answer for a stored key loses: the stored one comes back
        earlier = store.put(_record("k1", winner="B"), {"n": 1})
        assert earlier is not None and earlier.winner == "A"
    finally:
        store.close()


def test_claims_are_exclusive_until_stale(backend):
    a, b = backend.open(), backend.open()
    try:
        assert a.claim(["k1", "k2"], "A", ttl_s=60) == {"k1", "k2"}
        assert b.claim(["k1", "k2", "k3"], "B", ttl_s=60) == {"k3"}
        assert b.claimed_elsewhere(["k1", "k2", "k3"], "B", ttl_s=60) == {"k1", "k2"}
        a.put(_record("k1"), {})  # storing an answer drops its claim,
        a.flush()  # once committed (SQLite queues rows; heartbeats and reads flush too)
        assert b.claimed_elsewhere(["k1", "k2"], "B", ttl_s=60) == {"k2"}
        assert b.claim(["k1"], "B", ttl_s=60) == set()  # stored: nothing to claim
        assert b.claim(["k2"], "B", ttl_s=-1) == {"k2"}  # A's heartbeat is too old
        a.heartbeat("A")
        b.release("B")
        assert a.claimed_elsewhere(["k1", "k2", "k3"], "A", ttl_s=60) == set()
    finally:
        a.close()
        b.close()


def test_read_only_store_refuses_writes(backend):
    backend.open().close()
    store = backend.open(read_only=True)
    try:
        with pytest.raises(ConfigError, match="read-only"):
            store.put(_record("k1"), {})
        assert store.claim(["k1"], "A", ttl_s=60) == {"k1"}  # replay never claims
    finally:
        store.close()


def test_import_rows_keeps_what_is_there(backend):
    store = backend.open()
    try:
        store.put(_record("k1", winner="B"), {"n": 1})
        rows = [(_record("k1"), {"n": 1}), (_record("k2"), {"n": 2})]
        assert store.import_rows(rows, [_record("k3", ok=False)]) == (1, 1)
        assert store.import_rows(rows, [_record("k3", ok=False)]) == (0, 0)
        assert store.get_many(["k1"])["k1"].winner == "B"
        assert store.count() == 2 and len(store.failures()) == 1
    finally:
        store.close()


def test_newer_schema_version_is_refused(backend):
    backend.open().close()
    backend.sql("UPDATE schema_version SET version = 99")
    with pytest.raises(OutputError, match="schema version 99 is newer") as caught:
        backend.open()
    assert caught.value.exit_code == 5


async def test_second_run_is_served_and_failures_are_not(
    backend, fake_server, inventory, make_settings, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    settings = backend.settings(make_settings("openai", base_url=fake_server.openai_base_url))
    requests = round_robin([e.essay_id for e in inventory.anchors])
    fake_server.add_fault(garbage(), times=4 * len(requests))  # the first call fails for good
    settings = settings.model_copy(
        update={"judge": settings.judge.model_copy(update={"max_retries": 0})}
    )
    first = await judge_pairs(settings, inventory, requests[:1], progress=False)
    assert not first[0].succeeded
    paid = fake_server.hits
    fake_server.clear_faults()
    second = await judge_pairs(settings, inventory, requests, progress=False)
    third = await judge_pairs(settings, inventory, requests, progress=False)
    assert fake_server.hits == paid + len(requests)  # the failure was judged again, once
    assert all(r.succeeded and not r.cached for r in second) and all(r.cached for r in third)
    store = backend.open()
    try:
        assert store.count() == len(requests) and len(store.failures()) == 1
    finally:
        store.close()


async def test_two_concurrent_runs_pay_each_comparison_once(
    backend, fake_server, inventory, make_settings, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    fake_server.latency = 0.02
    base = make_settings("openai", base_url=fake_server.openai_base_url, concurrency=2)
    settings = backend.settings(base)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    first, second = await asyncio.gather(
        judge_pairs(settings, inventory, requests, progress=False),
        judge_pairs(settings, inventory, requests, progress=False),
    )
    assert fake_server.hits == len(requests)
    assert [r.response_sha256 for r in first] == [r.response_sha256 for r in second]


async def test_replay_and_cassette_round_trip(
    backend, fake_server, inventory, make_settings, monkeypatch, tmp_path
):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    settings = backend.settings(make_settings("openai", base_url=fake_server.openai_base_url))
    requests = round_robin([e.essay_id for e in inventory.anchors])
    recorded = await judge_pairs(settings, inventory, requests[:3], progress=False)
    replay = backend.settings(settings, mode="replay")
    with pytest.raises(CacheMissError):
        await judge_pairs(replay, inventory, requests, progress=False)
    served = await judge_pairs(replay, inventory, requests[:3], progress=False)
    assert [r.response_sha256 for r in served] == [r.response_sha256 for r in recorded]
    cassette = tmp_path / "run.jsonl"
    assert export_cassette(backend.location, cassette) == 3
    other = tmp_path / "other.sqlite"
    assert import_cassette(cassette, other) == 3
    from_cassette = settings.model_copy(
        update={"cache": settings.cache.model_copy(update={"mode": "replay", "path": cassette})}
    )
    again = await judge_pairs(from_cassette, inventory, requests[:3], progress=False)
    assert [r.response_sha256 for r in again] == [r.response_sha256 for r in recorded]
    assert fake_server.hits == 3
