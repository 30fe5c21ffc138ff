"""True cost: full usage, genai-prices (or config) prices, prompt caching, unknown prices.

The fake server keeps what it reported (``billed``); the bill is priced here
with genai-prices' own ``calc_price`` and compared with the runner's records.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from genai_prices import Usage, calc_price
from rich.console import Console

from eng5_runner.engine.pairing import round_robin
from eng5_runner.engine.run_local import judge_pairs
from eng5_runner.engine.scheduler import ProgressDisplay
from eng5_runner.handlers.plan import plan_warnings
from eng5_runner.handlers.steps.cost_estimate import REASONING_TOKENS, estimate_cost
from eng5_runner.reports.context import count_records
from eng5_runner.settings.models import PromptSettings
from tests.engine.engine_support import FAKE_KEY

LONG_RUBRIC = "Judge the essays on content, structure, language range and accuracy. " * 90


def _bill(server, provider: str) -> float:
    total = Decimal(0)
    for line in server.billed:
        usage = Usage(
            input_tokens=line["input_tokens"],
            cache_read_tokens=line["cache_read_tokens"],
            cache_write_tokens=line["cache_write_tokens"],
            output_tokens=line["output_tokens"],
        )
        total += calc_price(usage, line["model"], provider_id=provider).total_price
    return float(total)


def _long(settings):
    return settings.model_copy(update={"rubric": PromptSettings(name="long", text=LONG_RUBRIC)})


@pytest.fixture
def keys(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)


@pytest.mark.parametrize("caching", [True, False])
async def test_openai_cost_equals_the_bill(fake_server, inventory, make_settings, keys, caching):
    settings = _long(
        make_settings(
            "openai",
            model="gpt-5.1",
            base_url=fake_server.openai_base_url,
            reasoning_effort="low",
            concurrency=1,
            prompt_caching=caching,
        )
    )
    fake_server.reasoning_tokens = 200
    requests = round_robin([e.essay_id for e in inventory.anchors])
    records = await judge_pairs(settings, inventory, requests, progress=False)
    assert all(r.succeeded and r.cost_known for r in records)
    assert sum(r.cost_usd for r in records) == pytest.approx(_bill(fake_server, "openai"))
    assert all(r.reasoning_tokens == 200 for r in records)
    counts = count_records(records)
    if caching:
        assert records[0].cached_input_tokens == 0
        assert all(r.cached_input_tokens >= 1024 for r in records[1:])
        assert counts.cache_hit_rate and counts.cache_hit_rate > 0.5
        assert counts.cache_saved_usd > 0
        assert "saved $" in counts.cache_text()
    else:
        assert counts.cached_input_tokens == 0 and counts.cache_saved_usd == 0
        assert all("prompt_cache_key" not in seen.body for seen in fake_server.requests)


async def test_caching_makes_the_openai_run_cheaper(
    fake_server, inventory, make_settings, keys, tmp_path
):
    costs = {}
    for caching in (True, False):
        settings = _long(
            make_settings(
                "openai",
                model="gpt-5.1",
                base_url=fake_server.openai_base_url,
                concurrency=1,
                prompt_caching=caching,
                cache_mode="off",
            )
        )
        requests = round_robin([e.essay_id for e in inventory.anchors])
        records = await judge_pairs(settings, inventory, requests, progress=False)
        costs[caching] = sum(r.cost_usd for r in records)
    assert costs[True] < costs[False]


async def test_anthropic_cache_writes_and_reads_cost_equals_the_bill(
    fake_server, inventory, make_settings, keys
):
    settings = _long(
        make_settings(
            "anthropic", model="claude-sonnet-4-6", base_url=fake_server.url, concurrency=1
        )
    )
    requests = round_robin([e.essay_id for e in inventory.anchors])
    records = await judge_pairs(settings, inventory, requests, progress=False)
    assert records[0].cache_write_tokens > 1024 and records[0].cached_input_tokens == 0
    assert all(r.cached_input_tokens == records[0].cache_write_tokens for r in records[1:])
    assert sum(r.cost_usd for r in records) == pytest.approx(_bill(fake_server, "anthropic"))
    # the write costs more than plain input, every read much less: net saving over 6 calls
    assert records[0].cache_saved_usd < 0 < sum(r.cache_saved_usd for r in records)


async def test_config_prices_override_the_library(fake_server, inventory, make_settings, keys):
    settings = _long(
        make_settings(
            "openai",
            model="gpt-4.1",
            base_url=fake_server.openai_base_url,
            concurrency=1,
            price_input_per_mtok=2.0,
            price_cached_input_per_mtok=0.5,
            price_output_per_mtok=8.0,
        )
    )
    requests = round_robin([e.essay_id for e in inventory.anchors])
    records = await judge_pairs(settings, inventory, requests, progress=False)
    for record in records:
        uncached = record.prompt_tokens - record.cached_input_tokens
        expected = (uncached * 2.0 + record.cached_input_tokens * 0.5 + 25 * 8.0) / 1e6
        assert record.cost_usd == pytest.approx(expected)
    assert any(r.cached_input_tokens for r in records)


async def test_unknown_model_is_price_unknown_everywhere(
    fake_server, inventory, make_settings, keys
):
    settings = make_settings(
        "openai", model="gpt-unreleased-x", base_url=fake_server.openai_base_url
    )
    requests = round_robin([e.essay_id for e in inventory.anchors])
    records = await judge_pairs(settings, inventory, requests, progress=False)
    assert all(r.succeeded and not r.cost_known and r.cost_usd == 0 for r in records)
    counts = count_records(records)
    assert "price unknown" in counts.cost_text() and "$" not in counts.cost_text()
    assert estimate_cost(settings, inventory, requests).cost_usd is None
    assert any("price unknown" in w for w in plan_warnings(settings, inventory))
    out = io.StringIO()
    display = ProgressDisplay(len(records), console=Console(file=out, force_terminal=True))
    with display:
        for record in records:
            display.advance(record)
    assert "price unknown" in out.getvalue()


def test_plan_uses_cache_hit_rate_and_reasoning_length(inventory, make_settings):
    requests = round_robin([e.essay_id for e in inventory.anchors])
    base = _long(make_settings("openai", model="gpt-5.1", reasoning_effort="low", max_tokens=4096))
    cached = estimate_cost(base, inventory, requests)
    uncached = estimate_cost(
        base.model_copy(update={"judge": base.judge.model_copy(update={"prompt_caching": False})}),
        inventory,
        requests,
    )
    assert cached.reasoning_tokens == REASONING_TOKENS["low"] * len(requests)
    assert cached.completion_tokens > cached.reasoning_tokens
    assert 0.5 < cached.cache_hit_rate < 0.9 and uncached.cached_input_tokens == 0
    assert cached.cost_usd is not None and uncached.cost_usd is not None
    assert cached.cost_usd < uncached.cost_usd
    assert cached.price_source and cached.price_source.startswith("genai-prices")
    chat = estimate_cost(
        base.model_copy(update={"judge": base.judge.model_copy(update={"model": "gpt-4.1"})}),
        inventory,
        requests,
    )
    assert chat.reasoning_tokens == 0


async def test_reasked_and_failed_answers_are_billed_too(
    fake_server, inventory, make_settings, keys
):
    from tests.fakes.llm_servers import bad_answer

    fake_server.add_fault(bad_answer(winner="C", justification="?", confidence=2), times=3)
    settings = make_settings(
        "openai", model="gpt-4.1", base_url=fake_server.openai_base_url, concurrency=1
    )
    requests = round_robin([e.essay_id for e in inventory.anchors])
    records = await judge_pairs(settings, inventory, requests, progress=False)
    # first comparison: malformed twice -> failed; second: malformed once, then answered
    assert records[0].status == "failed" and records[0].cost_usd > 0
    assert records[1].succeeded and records[1].attempts == 2
    assert sum(r.cost_usd for r in records) == pytest.approx(_bill(fake_server, "openai"))
