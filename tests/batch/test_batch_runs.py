"""Batch judging against the fake batch APIs: results, prices, splitting, faults, fallback."""

from __future__ import annotations

import re
import sqlite3

import pytest

from eng5_runner.engine.batch.ledger import BatchLedger
from eng5_runner.engine.batch.pricing import BatchPricer
from eng5_runner.engine.pairing import round_robin
from eng5_runner.engine.pricing import Pricer
from eng5_runner.engine.run_local import judge_pairs
from eng5_runner.errors import BatchPending, ConfigError
from tests.batch.conftest import batch_settings
from tests.fakes.batch_servers import FakeBatchServer
from tests.fakes.llm_servers import DEFAULT_ANSWER, FakeLLMServer

PROVIDERS = ["openai", "anthropic"]


def _answer(user: str) -> dict[str, object]:
    """Deterministic per prompt, so batch and synchronous answers can be compared."""
    winner = "A" if len(user) % 2 else "B"
    return {**DEFAULT_ANSWER, "winner": winner, "confidence": 1 + len(user) % 5}


def _schedule(inventory, repeats: int = 2):
    return round_robin([e.essay_id for e in inventory.essays], seed=3, repeats=repeats)


def _ledger(settings) -> BatchLedger:
    return BatchLedger(sqlite3.connect(settings.cache.path, isolation_level=None))


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_batch_run_matches_a_synchronous_run_at_half_price(
    provider, batch_server, make_settings, inventory, tmp_path
):
    batch_server.answer_fn = _answer
    schedule = _schedule(inventory)
    settings = batch_settings(make_settings, batch_server, provider)
    records = await judge_pairs(settings, inventory, schedule, progress=False)
    assert batch_server.creates == 1
    assert batch_server.count("/chat/completions") + batch_server.count("/v1/messages") == 0
    assert all(r.succeeded and r.batch_id for r in records)

    with FakeLLMServer(answer_fn=_answer) as sync_server:
        base = sync_server.openai_base_url if provider == "openai" else sync_server.url
        sync_settings = settings.model_copy(
            update={
                "judge": settings.judge.model_copy(update={"batch": False, "base_url": base}),
                "cache": settings.cache.model_copy(update={"path": tmp_path / "sync.sqlite"}),
            }
        )
        sync = await judge_pairs(sync_settings, inventory, schedule, progress=False)
    assert [r.comparison_id for r in records] == [r.comparison_id for r in sync]
    for got, want in zip(records, sync, strict=True):
        assert (got.winner_id, got.confidence, got.cache_key) == (
            want.winner_id,
            want.confidence,
            want.cache_key,
        )
        assert got.prompt_tokens == want.prompt_tokens
        assert got.completion_tokens == want.completion_tokens
    batch_cost = sum(r.cost_usd for r in records)
    sync_cost = sum(r.cost_usd for r in sync)
    assert sync_cost > 0
    assert batch_cost == pytest.approx(sync_cost / 2, rel=0.02)  # prompt-cache reads differ a bit


async def test_collected_batch_is_served_from_the_store(batch_server, make_settings, inventory):
    settings = batch_settings(make_settings, batch_server, "openai")
    schedule = _schedule(inventory)
    await judge_pairs(settings, inventory, schedule, progress=False)
    again = await judge_pairs(settings, inventory, schedule, progress=False)
    assert all(r.cached for r in again)
    assert batch_server.creates == 1
    assert [b.state for b in _ledger(settings).all_batches()] == ["collected"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_batches_keep_pairs_together(provider, batch_server, make_settings, inventory):
    settings = batch_settings(make_settings, batch_server, provider, batch_max_requests=5)
    schedule = _schedule(inventory, repeats=2)  # 6 pairs x 2 orders
    records = await judge_pairs(settings, inventory, schedule, progress=False)
    assert all(r.succeeded for r in records)
    assert batch_server.creates == 3  # two comparisons per pair, at most 5 per batch -> 4+4+4
    key_pair = {r.cache_key: frozenset((r.essay_a_id, r.essay_b_id)) for r in records}
    seen: dict[frozenset[str], str] = {}
    for batch_id, batch in batch_server.batches.items():
        assert len(batch.lines) <= 5
        nonces = set()
        for line in batch.lines:
            assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", line["custom_id"])
            nonce, _, prefix = line["custom_id"].partition("_")
            nonces.add(nonce)
            (pair,) = {p for k, p in key_pair.items() if k.startswith(prefix)}
            assert seen.setdefault(pair, batch_id) == batch_id
        assert len(nonces) == 1  # one nonce per batch ...
    assert (
        len({line["custom_id"][:12] for b in batch_server.batches.values() for line in b.lines})
        == 3
    )


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_submit_then_collect_never_submits_twice(
    provider, batch_server, make_settings, inventory
):
    batch_server.hold = True
    settings = batch_settings(make_settings, batch_server, provider, batch_wait=False)
    schedule = _schedule(inventory)
    with pytest.raises(BatchPending) as first:
        await judge_pairs(settings, inventory, schedule, progress=False)
    assert first.value.exit_code == 7
    assert batch_server.creates == 1
    with pytest.raises(BatchPending):
        await judge_pairs(settings, inventory, schedule, progress=False)
    assert batch_server.creates == 1
    batch_server.release()
    records = await judge_pairs(settings, inventory, schedule, progress=False)
    assert batch_server.creates == 1
    assert len(records) == len(schedule)
    assert all(r.succeeded for r in records)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_expired_and_errored_requests_fail_with_reasons(
    provider, batch_server, make_settings, inventory
):
    first, second = inventory.essays[0].text, inventory.essays[1].text
    batch_server.expire_match = first[:30]
    batch_server.error_match = second[:30]
    settings = batch_settings(make_settings, batch_server, provider)
    schedule = _schedule(inventory, repeats=1)
    records = await judge_pairs(settings, inventory, schedule, progress=False)
    ids = {inventory.essays[0].essay_id: "expired", inventory.essays[1].essay_id: "error"}
    for record in records:
        involved = {record.essay_a_id, record.essay_b_id}
        if inventory.essays[0].essay_id in involved:
            assert not record.succeeded
            assert "expired" in (record.failure_reason or "")
        elif inventory.essays[1].essay_id in involved:
            assert not record.succeeded
            assert "error" in (record.failure_reason or "")
        else:
            assert record.succeeded
    assert ids
    assert batch_server.count("/chat/completions") + batch_server.count("/v1/messages") == 0


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_fallback_sync_rejudges_failures(provider, batch_server, make_settings, inventory):
    batch_server.expire_match = inventory.essays[0].text[:30]
    settings = batch_settings(make_settings, batch_server, provider, batch_fallback="sync")
    schedule = _schedule(inventory, repeats=1)
    records = await judge_pairs(settings, inventory, schedule, progress=False)
    assert all(r.succeeded for r in records)
    rejudged = [r for r in records if r.batch_id is None]
    assert len(rejudged) == 3  # essay 0 is in 3 of the 6 pairs
    sync_calls = batch_server.count("/chat/completions") + batch_server.count("/v1/messages")
    assert sync_calls == 3


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_failed_batch_fails_every_request_and_a_rerun_submits_again(
    provider, batch_server, make_settings, inventory
):
    batch_server.fail_batches = 1
    settings = batch_settings(make_settings, batch_server, provider)
    schedule = _schedule(inventory, repeats=1)
    records = await judge_pairs(settings, inventory, schedule, progress=False)
    assert not any(r.succeeded for r in records)
    assert all("batch" in (r.failure_reason or "") for r in records)
    again = await judge_pairs(settings, inventory, schedule, progress=False)
    assert batch_server.creates == 2
    assert all(r.succeeded for r in again)


async def test_slow_batch_reports_progress(make_settings, inventory, capsys):
    with FakeBatchServer(polls_to_finish=6) as server:
        settings = batch_settings(make_settings, server, "openai")
        settings = settings.model_copy(update={"show_progress": True})
        records = await judge_pairs(settings, inventory, _schedule(inventory), progress=True)
    assert all(r.succeeded for r in records)
    assert server.retrieves == 6
    err = capsys.readouterr().err
    assert "in_progress" in err and "completed, 12/12 done, 0 failed" in err
    assert "deadline" in err


def test_batch_prices_are_half_the_synchronous_ones(make_settings):
    for provider, model in (("openai", "gpt-5.1"), ("anthropic", "claude-sonnet-5-5")):
        judge = make_settings(provider, model=model).judge
        sync, batch = Pricer(judge).prices(), BatchPricer(judge).prices()
        assert sync is not None and batch is not None
        assert batch.input == pytest.approx(sync.input / 2)
        assert batch.output == pytest.approx(sync.output / 2)
        assert "batch" in batch.source
    custom = make_settings(
        "openai", model="my-model", price_input_per_mtok=2.0, price_output_per_mtok=8.0
    ).judge
    prices = BatchPricer(custom).prices()
    assert prices is not None and (prices.input, prices.output) == (1.0, 4.0)


async def test_batch_needs_a_batch_provider_and_a_store(batch_server, make_settings, inventory):
    schedule = _schedule(inventory, repeats=1)
    compatible = make_settings(
        "openai_compatible", base_url=batch_server.openai_base_url, batch=True
    )
    with pytest.raises(ConfigError, match="judge.provider=openai or anthropic"):
        await judge_pairs(compatible, inventory, schedule, progress=False)
    no_store = batch_settings(make_settings, batch_server, "openai")
    no_store = no_store.model_copy(
        update={"cache": no_store.cache.model_copy(update={"mode": "off"})}
    )
    with pytest.raises(ConfigError, match="writable judgement store"):
        await judge_pairs(no_store, inventory, schedule, progress=False)
    assert batch_server.creates == 0


async def test_spend_cap_holds_the_batch_before_it_is_sent(batch_server, make_settings, inventory):
    from eng5_runner.errors import SpendCapReached

    settings = batch_settings(make_settings, batch_server, "openai", max_cost_usd=0.000001)
    with pytest.raises(SpendCapReached) as stop:
        await judge_pairs(settings, inventory, _schedule(inventory), progress=False)
    assert stop.value.exit_code == 6
    assert batch_server.creates == 0 and batch_server.uploads == 0


async def test_a_run_sharing_a_batch_collects_it_for_every_run(
    batch_server, make_settings, inventory
):
    """Sweep jobs whose comparisons overlap: whoever collects stores the whole batch."""
    batch_server.hold = True
    settings = batch_settings(make_settings, batch_server, "openai", batch_wait=False)
    schedule = _schedule(inventory)
    with pytest.raises(BatchPending):
        await judge_pairs(settings, inventory, schedule, progress=False)
    batch_server.release()
    waiting = settings.model_copy(
        update={"judge": settings.judge.model_copy(update={"batch_wait": True})}
    )
    part = await judge_pairs(waiting, inventory, schedule[:3], progress=False)
    assert all(r.succeeded for r in part)
    rest = await judge_pairs(settings, inventory, schedule, progress=False)
    assert all(r.succeeded for r in rest)
    assert sum(r.cached for r in rest) == len(schedule)
    assert batch_server.creates == 1


async def test_a_batch_the_provider_lost_fails_its_requests(batch_server, make_settings, inventory):
    batch_server.hold = True
    settings = batch_settings(make_settings, batch_server, "openai", batch_wait=False)
    schedule = _schedule(inventory, repeats=1)
    with pytest.raises(BatchPending):
        await judge_pairs(settings, inventory, schedule, progress=False)
    batch_server.batches.clear()  # e.g. deleted at the provider
    records = await judge_pairs(settings, inventory, schedule, progress=False)
    assert all("404" in (r.failure_reason or "") for r in records)
    batch_server.release()
    waiting = settings.model_copy(
        update={"judge": settings.judge.model_copy(update={"batch_wait": True})}
    )
    again = await judge_pairs(waiting, inventory, schedule, progress=False)
    assert all(r.succeeded for r in again)
    assert batch_server.creates == 2
