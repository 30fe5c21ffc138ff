"""Resume: judgements made before an interruption are never asked for again."""

from __future__ import annotations

import asyncio

import pytest

from eng5_runner.engine.pairing import round_robin
from eng5_runner.engine.run_local import judge_pairs
from eng5_runner.engine.store import SqliteStore
from tests.engine.engine_support import FAKE_KEY, make_inventory
from tests.fakes.llm_servers import stall


@pytest.fixture
def settings(fake_server, make_settings, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    return make_settings("openai", base_url=fake_server.openai_base_url, concurrency=2)


async def test_rerun_after_partial_run_asks_only_for_the_rest(fake_server, settings):
    inventory = make_inventory(8)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    half = requests[: len(requests) // 2]
    await judge_pairs(settings, inventory, half, progress=False)
    assert fake_server.hits == len(half)

    streamed = []
    records = await judge_pairs(
        settings, inventory, requests, progress=False, on_record=streamed.append
    )
    assert fake_server.hits == len(requests)
    assert [r.comparison_id for r in records] == [r.comparison_id for r in requests]
    assert sorted(r.comparison_id for r in streamed) == sorted(r.comparison_id for r in records)
    assert all(r.cached for r in streamed[: len(half)])
    assert sum(r.cached for r in records) == len(half)


async def test_resume_after_cancel(fake_server, settings, tmp_path):
    inventory = make_inventory(6)
    requests = round_robin([e.essay_id for e in inventory.anchors])

    def first_use(essay):
        return next(i for i, r in enumerate(requests) if essay.essay_id in (r.a_id, r.b_id))

    stalled_text = max(inventory.anchors, key=first_use).text.strip()
    fake_server.add_fault(stall(), times=1000, match=stalled_text)

    task = asyncio.create_task(judge_pairs(settings, inventory, requests, progress=False))
    async with asyncio.timeout(20):
        while sum(r.fault == "stall" for r in fake_server.requests) < 2:
            await asyncio.sleep(0.01)
    task.cancel()  # what Ctrl-C does to the run's task
    with pytest.raises(asyncio.CancelledError):
        await task

    store = SqliteStore(tmp_path / "store.sqlite")
    stored = store.count()
    store.close()
    answered = sum(r.fault is None for r in fake_server.requests)
    assert stored == answered and 0 < stored < len(requests)

    fake_server.clear_faults()
    fake_server.release_stalled()
    before = fake_server.hits
    records = await judge_pairs(settings, inventory, requests, progress=False)
    assert fake_server.hits - before == len(requests) - stored
    assert all(r.succeeded for r in records) and sum(r.cached for r in records) == stored
