"""Never paying twice: batches whose provider id was never written down are found, not resent.

A run stopped during the create call (cancelled here; ``kill -9`` in
``test_batch_cli``), a create that times out on the client after the provider
accepted it, listings longer than one page, other clients' batches with as
many requests, a re-collect after a kill during collection, and a bad key.
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from eng5_runner.engine.batch import runner as batch_runner
from eng5_runner.engine.batch.ledger import BatchLedger
from eng5_runner.engine.pairing import round_robin
from eng5_runner.engine.run_local import judge_pairs
from eng5_runner.engine.store import SqliteStore
from eng5_runner.errors import (
    BatchPending,
    PreflightFailed,
    ProviderAuthError,
    ProviderRateLimited,
)
from tests.batch.conftest import batch_settings
from tests.fakes.batch_servers import FakeBatchServer

PROVIDERS = ["openai", "anthropic"]


def _schedule(inventory, repeats: int = 1):
    return round_robin([e.essay_id for e in inventory.essays], seed=3, repeats=repeats)


def _ledger(settings) -> BatchLedger:
    return BatchLedger(sqlite3.connect(settings.cache.path, isolation_level=None))


async def _stop_during_create(server: FakeBatchServer, settings, inventory, schedule) -> None:
    """Start a run and stop it while the provider holds the create response back."""
    server.hold_create_s = 3600.0
    task = asyncio.create_task(judge_pairs(settings, inventory, schedule, progress=False))
    for _ in range(2000):
        if server.creates or task.done():
            break
        await asyncio.sleep(0.01)
    assert server.creates == 1, "the run never reached the create call"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    server.hold_create_s = 0.0
    (batch,) = _ledger(settings).all_batches()
    assert (batch.state, batch.batch_id) == ("submitting", None)  # the id was never seen


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_rerun_after_a_stop_during_create_adopts_the_batch(
    provider, batch_server, make_settings, inventory
):
    settings = batch_settings(make_settings, batch_server, provider)
    schedule = _schedule(inventory)
    await _stop_during_create(batch_server, settings, inventory, schedule)
    records = await judge_pairs(settings, inventory, schedule, progress=False)
    assert batch_server.creates == 1
    assert all(r.succeeded and r.batch_id for r in records)
    assert {r.batch_id for r in records} == set(batch_server.batches)
    (batch,) = _ledger(settings).all_batches()
    assert batch.state == "collected" and batch.batch_id in batch_server.batches


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_create_timing_out_after_the_provider_accepted_it_makes_one_batch(
    provider, batch_server, make_settings, inventory, capsys
):
    batch_server.hold_create_s = 3.0
    settings = batch_settings(make_settings, batch_server, provider, timeout_s=0.5)
    schedule = _schedule(inventory)
    records = await judge_pairs(settings, inventory, schedule, progress=False)
    assert batch_server.creates == 1 and len(batch_server.batches) == 1
    assert all(r.succeeded for r in records)
    shown = capsys.readouterr()
    assert "the create call failed" in shown.out + shown.err  # it did time out
    again = await judge_pairs(settings, inventory, schedule, progress=False)
    assert all(r.cached for r in again) and batch_server.creates == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_lookup_pages_past_other_batches_with_as_many_requests(
    provider, batch_server, make_settings, inventory
):
    """150 newer batches of other clients, each with our request count (two pages and more)."""
    settings = batch_settings(make_settings, batch_server, provider)
    schedule = _schedule(inventory)
    await _stop_during_create(batch_server, settings, inventory, schedule)
    batch_server.add_foreign(provider, 150, requests=len(schedule))
    lists = batch_server.lists
    records = await judge_pairs(settings, inventory, schedule, progress=False)
    assert batch_server.lists - lists >= 2  # it went past the first page of 100
    assert batch_server.creates == 1
    assert all(r.succeeded for r in records)
    ours = {b for b, v in batch_server.batches.items() if v.input_file_id or v.kind == provider}
    assert {r.batch_id for r in records} < ours  # one of the fake's batches: ours


async def test_an_unverified_candidate_blocks_a_resubmit_until_it_proves_foreign(
    batch_server, make_settings, inventory, monkeypatch
):
    """Anthropic: a batch with our count but others' custom_ids is not ours; then resend."""
    monkeypatch.setattr(batch_runner, "CREATE_GRACE_S", 0.0)
    settings = batch_settings(make_settings, batch_server, "anthropic")
    schedule = _schedule(inventory)
    store = SqliteStore(settings.cache.path)
    ledger = BatchLedger(store.db)
    from eng5_runner.engine.batch.ledger import LedgerItem
    from eng5_runner.engine.run_local import ComparisonInputs
    from eng5_runner.engine.store import cache_key

    inputs = ComparisonInputs(settings, inventory)
    items = [LedgerItem(cache_key(inputs.inputs(r)), r, inputs.inputs(r)) for r in schedule]
    ledger.begin("anthropic", settings.judge.model, items)  # ... killed before the create
    store.close()
    batch_server.add_foreign("anthropic", 1, requests=len(schedule))
    first = await judge_pairs(settings, inventory, schedule, progress=False)
    assert batch_server.creates == 0  # the candidate had to prove foreign first
    assert all("not judged by any batch" in (r.failure_reason or "") for r in first)
    assert _ledger(settings).all_batches() == []
    again = await judge_pairs(settings, inventory, schedule, progress=False)
    assert batch_server.creates == 1
    assert all(r.succeeded for r in again)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_nothing_at_the_provider_is_resent_only_after_the_grace(
    provider, batch_server, make_settings, inventory, monkeypatch
):
    settings = batch_settings(make_settings, batch_server, provider, batch_wait=False)
    schedule = _schedule(inventory)
    store = SqliteStore(settings.cache.path)
    from eng5_runner.engine.batch.ledger import LedgerItem
    from eng5_runner.engine.run_local import ComparisonInputs
    from eng5_runner.engine.store import cache_key

    inputs = ComparisonInputs(settings, inventory)
    items = [LedgerItem(cache_key(inputs.inputs(r)), r, inputs.inputs(r)) for r in schedule]
    BatchLedger(store.db).begin(provider, settings.judge.model, items)
    store.close()
    with pytest.raises(BatchPending, match="being created"):
        await judge_pairs(settings, inventory, schedule, progress=False)
    assert batch_server.creates == 0
    monkeypatch.setattr(batch_runner, "CREATE_GRACE_S", 0.0)
    waiting = settings.model_copy(
        update={"judge": settings.judge.model_copy(update={"batch_wait": True})}
    )
    records = await judge_pairs(waiting, inventory, schedule, progress=False)
    assert batch_server.creates == 1
    assert all(r.succeeded for r in records)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_recollecting_after_a_kill_records_each_failure_once(
    provider, batch_server, make_settings, inventory
):
    batch_server.error_match = inventory.essays[1].text[:30]
    settings = batch_settings(make_settings, batch_server, provider)
    schedule = _schedule(inventory)
    first = await judge_pairs(settings, inventory, schedule, progress=False)
    failed = {r.cache_key for r in first if not r.succeeded}
    assert failed and len(failed) < len(first)
    db = sqlite3.connect(settings.cache.path, isolation_level=None)
    db.execute("UPDATE batches SET state = 'collecting'")  # killed before 'collected'
    db.close()
    again = await judge_pairs(settings, inventory, schedule, progress=False)
    assert {r.cache_key for r in again if not r.succeeded} == failed
    assert batch_server.creates == 1
    store = SqliteStore(settings.cache.path)
    try:
        for key in failed:
            assert len(store.failures(key)) == 1
    finally:
        store.close()
    assert [b.state for b in _ledger(settings).all_batches()] == ["collected"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_bad_key_fails_before_any_upload(provider, make_settings, inventory):
    with FakeBatchServer(api_key="sk-the-right-one-0123456789") as server:
        settings = batch_settings(make_settings, server, provider)
        with pytest.raises(ProviderAuthError) as stop:
            await judge_pairs(settings, inventory, _schedule(inventory), progress=False)
    assert stop.value.exit_code == 2
    assert "\n" not in stop.value.one_line()
    assert server.uploads == 0 and server.creates == 0
    assert _ledger(settings).all_batches() == []


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_preflight_judges_one_comparison_synchronously_before_any_upload(
    provider, batch_server, make_settings, inventory
):
    from tests.fakes.llm_servers import server_error

    batch_server.add_fault(server_error(400), times=1)
    settings = batch_settings(make_settings, batch_server, provider, preflight=True)
    schedule = _schedule(inventory)
    with pytest.raises(PreflightFailed) as stop:
        await judge_pairs(settings, inventory, schedule, progress=False)
    assert stop.value.exit_code == 2
    assert batch_server.uploads == 0 and batch_server.creates == 0
    records = await judge_pairs(settings, inventory, schedule, progress=False)
    assert all(r.succeeded for r in records)
    assert sum(r.batch_id is None for r in records) == 1  # the preflight comparison
    assert batch_server.creates == 1
    sync_calls = batch_server.count("/chat/completions") + batch_server.count("/v1/messages")
    assert sync_calls == 2  # the failed preflight and the good one


async def test_preflight_never_rejudges_a_comparison_already_in_a_batch(
    batch_server, make_settings, inventory
):
    batch_server.hold = True
    settings = batch_settings(
        make_settings, batch_server, "openai", preflight=True, batch_wait=False
    )
    schedule = _schedule(inventory)
    with pytest.raises(BatchPending):
        await judge_pairs(settings, inventory, schedule, progress=False)
    batch_server.release()
    waiting = settings.model_copy(
        update={"judge": settings.judge.model_copy(update={"batch_wait": True})}
    )
    records = await judge_pairs(waiting, inventory, schedule, progress=False)
    assert all(r.succeeded for r in records)
    assert batch_server.count("/chat/completions") == 1 and batch_server.creates == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_429s_on_create_and_status_are_waited_out_not_resubmitted(
    provider, batch_server, make_settings, inventory
):
    batch_server.rate_limited = 2
    batch_server.rate_limited_checks = 2
    settings = batch_settings(make_settings, batch_server, provider, max_retries=2)
    records = await judge_pairs(settings, inventory, _schedule(inventory), progress=False)
    assert all(r.succeeded for r in records)
    assert batch_server.creates == 1
    assert batch_server.rate_limited == batch_server.rate_limited_checks == 0


async def test_a_create_still_429_after_its_retries_is_forgotten(
    batch_server, make_settings, inventory
):
    batch_server.rate_limited = 2
    settings = batch_settings(make_settings, batch_server, "anthropic", max_retries=1)
    with pytest.raises(ProviderRateLimited):
        await judge_pairs(settings, inventory, _schedule(inventory), progress=False)
    assert batch_server.creates == 0 and _ledger(settings).all_batches() == []
