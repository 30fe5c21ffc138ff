"""Claims in the judgement store: one answer per comparison across concurrent runs."""

from __future__ import annotations

import asyncio

from eng5_runner.engine.pairing import round_robin
from eng5_runner.engine.run_local import judge_pairs
from eng5_runner.engine.store import SqliteStore
from tests.engine.engine_support import FAKE_KEY


async def test_two_concurrent_runs_share_every_judgement(
    fake_server, inventory, make_settings, monkeypatch, tmp_path
):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    fake_server.latency = 0.02
    settings = make_settings("openai", base_url=fake_server.openai_base_url, concurrency=2)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    first, second = await asyncio.gather(
        judge_pairs(settings, inventory, requests, progress=False),
        judge_pairs(settings, inventory, requests, progress=False),
    )
    assert fake_server.hits == len(requests)
    assert [r.response_sha256 for r in first] == [r.response_sha256 for r in second]
    assert not any(r.cached for r in first) and all(r.cached for r in second)
    store = SqliteStore(tmp_path / "store.sqlite")
    assert store.claimed_elsewhere([r.cache_key for r in first], "nobody", 60) == set()
    store.close()


def test_claims_are_exclusive_until_stale(tmp_path):
    a, b = SqliteStore(tmp_path / "s.sqlite"), SqliteStore(tmp_path / "s.sqlite")
    try:
        assert a.claim(["k1", "k2"], "A", ttl_s=60) == {"k1", "k2"}
        assert b.claim(["k1", "k2", "k3"], "B", ttl_s=60) == {"k3"}
        assert b.claimed_elsewhere(["k1", "k2", "k3"], "B", ttl_s=60) == {"k1", "k2"}
        # A died: its heartbeat is older than the TTL, so B takes the keys over
        assert b.claim(["k1", "k2"], "B", ttl_s=-1) == {"k1", "k2"}
        a.release("A")
        assert b.claimed_elsewhere(["k1"], "A", ttl_s=60) == {"k1"}
        b.release("B")
        assert a.claimed_elsewhere(["k1", "k2", "k3"], "A", ttl_s=60) == set()
    finally:
        a.close()
        b.close()


async def test_orphaned_claim_is_judged_here(
    fake_server, inventory, make_settings, monkeypatch, tmp_path
):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    settings = make_settings("openai", base_url=fake_server.openai_base_url)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    from eng5_runner.engine.run_local import ComparisonInputs
    from eng5_runner.engine.store import cache_key

    inputs = ComparisonInputs(settings, inventory)
    key = cache_key(inputs.inputs(requests[0]))
    other = SqliteStore(tmp_path / "store.sqlite")
    other.claim([key], "crashed-run", ttl_s=60)
    task = asyncio.create_task(judge_pairs(settings, inventory, requests, progress=False))
    await asyncio.sleep(0.5)
    assert not task.done()  # waiting for the other run's claim
    other.release("crashed-run")  # the other run gave up without an answer
    records = await asyncio.wait_for(task, 10)
    other.close()
    assert all(r.succeeded for r in records) and fake_server.hits == len(requests)
