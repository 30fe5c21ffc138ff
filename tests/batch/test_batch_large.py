"""10,000 comparisons through the fake batch API (timings: bench/bench_batch.py)."""

from __future__ import annotations

import pytest

from eng5_runner.engine.pairing import round_robin
from eng5_runner.engine.run_local import judge_pairs
from tests.batch.conftest import batch_settings
from tests.engine.engine_support import make_inventory
from tests.fakes.batch_servers import FakeBatchServer

pytestmark = pytest.mark.slow


async def test_ten_thousand_comparisons_in_pair_aware_batches(make_settings):
    inventory = make_inventory(142)  # 142 * 141 / 2 = 10,011 pairs
    schedule = round_robin([e.essay_id for e in inventory.essays], seed=1)
    assert len(schedule) >= 10_000
    with FakeBatchServer(polls_to_finish=2, record_bodies=False) as server:
        settings = batch_settings(make_settings, server, "openai", batch_max_requests=4_000)
        records = await judge_pairs(settings, inventory, schedule, progress=False)
        assert server.creates == 3
        sizes = sorted(len(b.lines) for b in server.batches.values())
        again = await judge_pairs(settings, inventory, schedule, progress=False)
    assert sum(sizes) == len(schedule) and max(sizes) <= 4_000
    assert len(records) == len(schedule)
    assert all(r.succeeded and r.batch_id for r in records)
    assert [r.comparison_id for r in records] == [r.comparison_id for r in schedule]
    assert all(r.cached for r in again)
