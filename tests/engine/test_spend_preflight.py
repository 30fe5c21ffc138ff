"""judge.max_cost_usd stops before the cap; judge.preflight stops after one bad call."""

from __future__ import annotations

import pytest

from eng5_runner.engine.pairing import round_robin
from eng5_runner.engine.run_local import judge_pairs
from eng5_runner.engine.store import SqliteStore
from eng5_runner.errors import ConfigError, PreflightFailed, SpendCapReached
from tests.engine.engine_support import FAKE_KEY
from tests.fakes.llm_servers import server_error


@pytest.fixture
def openai_settings(fake_server, make_settings, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)

    def factory(**judge):
        judge.setdefault("model", "gpt-4.1")
        return make_settings("openai", base_url=fake_server.openai_base_url, **judge)

    return factory


async def test_cap_stops_before_exceeding_and_keeps_the_judged(
    fake_server, inventory, openai_settings, tmp_path
):
    # $1 per 1k input and output tokens: one call costs ~$0.05-0.1, worst case ~$0.2-0.3
    settings = openai_settings(
        price_input_per_mtok=1000.0,
        price_output_per_mtok=1000.0,
        max_tokens=200,
        max_cost_usd=0.5,
        concurrency=2,
    )
    requests = round_robin([e.essay_id for e in inventory.anchors])
    with pytest.raises(SpendCapReached, match=r"judge.max_cost_usd=0.5 reached") as info:
        await judge_pairs(settings, inventory, requests, progress=False)
    assert info.value.exit_code == 6
    assert "not sent" in info.value.message and "raise judge.max_cost_usd" in info.value.one_line()
    store = SqliteStore(tmp_path / "store.sqlite")
    judged = store.count()
    stored = list(store.rows())
    store.close()
    assert 0 < judged == fake_server.hits < len(requests)
    assert sum(record.cost_usd for record, _ in stored) <= 0.5
    # raising the cap resumes: stored judgements are served, only the rest is sent
    more = settings.model_copy(
        update={"judge": settings.judge.model_copy(update={"max_cost_usd": 100.0})}
    )
    records = await judge_pairs(more, inventory, requests, progress=False)
    assert len(records) == len(requests) and sum(r.cached for r in records) == judged
    assert fake_server.hits == len(requests)


async def test_cap_needs_a_price(fake_server, inventory, openai_settings):
    settings = openai_settings(model="gpt-unreleased-x", max_cost_usd=1.0)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    with pytest.raises(ConfigError, match="price of openai/gpt-unreleased-x is unknown"):
        await judge_pairs(settings, inventory, requests, progress=False)
    assert fake_server.hits == 0


async def test_preflight_400_stops_after_one_call(fake_server, inventory, openai_settings):
    fake_server.add_fault(server_error(400), times=100)
    settings = openai_settings(preflight=True, concurrency=4)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    with pytest.raises(PreflightFailed, match="HTTP 400") as info:
        await judge_pairs(settings, inventory, requests, progress=False)
    assert fake_server.hits == 1 and info.value.exit_code == 2


async def test_preflight_unknown_model_stops(fake_server, inventory, openai_settings):
    settings = openai_settings(preflight=True, model="gpt-4.1-typo")
    fake_server.add_fault(server_error(404), times=100)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    with pytest.raises(PreflightFailed, match="404") as info:
        await judge_pairs(settings, inventory, requests, progress=False)
    assert fake_server.hits == 1 and "judge.model" in info.value.one_line()


async def test_preflight_success_fans_out(fake_server, inventory, openai_settings):
    settings = openai_settings(preflight=True)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    records = await judge_pairs(settings, inventory, requests, progress=False)
    assert all(r.succeeded for r in records) and len(records) == len(requests)
    assert [r.comparison_id for r in records] == [r.comparison_id for r in requests]
    assert fake_server.hits == len(requests)
