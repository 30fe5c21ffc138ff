"""Retries, re-asks and failure records against injected server faults."""

from __future__ import annotations

import pytest

from eng5_runner.engine.pairing import round_robin
from eng5_runner.engine.run_local import judge_pairs
from eng5_runner.engine.store import SqliteStore
from eng5_runner.errors import ProviderUnreachable
from tests.engine.engine_support import FAKE_KEY, make_inventory
from tests.fakes.llm_servers import (
    Fault,
    bad_answer,
    closed_port,
    garbage,
    rate_limited,
    server_error,
    slow,
)


async def _one(settings, inventory):
    requests = round_robin([e.essay_id for e in inventory.anchors])[:1]
    (record,) = await judge_pairs(settings, inventory, requests, progress=False)
    return record


async def test_429_with_retry_after_then_success(fake_server, inventory, openai_settings):
    fake_server.add_fault(rate_limited("0.01"), times=2)
    record = await _one(openai_settings(), inventory)
    assert record.succeeded and record.attempts == 3
    assert fake_server.hits == 3


async def test_retry_after_is_capped_by_backoff_max(fake_server, inventory, openai_settings):
    fake_server.add_fault(rate_limited("3600"))
    record = await _one(openai_settings(backoff_max_s=0.01), inventory)
    assert record.succeeded and record.attempts == 2


async def test_500_then_success(fake_server, inventory, openai_settings):
    fake_server.add_fault(server_error(500))
    fake_server.add_fault(server_error(503))
    record = await _one(openai_settings(), inventory)
    assert record.succeeded and record.attempts == 3


async def test_retries_exhausted_records_failure(fake_server, inventory, openai_settings):
    fake_server.add_fault(server_error(502), times=10)
    record = await _one(openai_settings(max_retries=2), inventory)
    assert record.status == "failed" and record.attempts == 3
    assert "HTTP 502" in (record.failure_reason or "")


async def test_slow_response_times_out_then_retries(fake_server, inventory, openai_settings):
    fake_server.add_fault(slow(20.0))
    record = await _one(openai_settings(timeout_s=2.0), inventory)
    assert record.succeeded and record.attempts == 2
    assert fake_server.hits == 2


async def test_dropped_connection_is_retried(fake_server, inventory, openai_settings):
    fake_server.add_fault(Fault("drop"))
    record = await _one(openai_settings(), inventory)
    assert record.succeeded and record.attempts == 2


async def test_garbage_once_is_reasked(fake_server, inventory, openai_settings):
    fake_server.add_fault(garbage())
    record = await _one(openai_settings(), inventory)
    assert record.succeeded and record.attempts == 2


async def test_garbage_twice_fails_with_reason(fake_server, inventory, openai_settings, tmp_path):
    fake_server.add_fault(garbage(), times=2)
    record = await _one(openai_settings(), inventory)
    assert record.status == "failed" and record.attempts == 2 and fake_server.hits == 2
    assert "not JSON" in (record.failure_reason or "")
    store = SqliteStore(tmp_path / "store.sqlite")
    assert [f.comparison_id for f in store.failures()] == [record.comparison_id]
    assert store.count() == 0
    store.close()


async def test_schema_violation_fails_after_one_reask(fake_server, inventory, openai_settings):
    fake_server.add_fault(bad_answer(winner="C", justification="neither", confidence=3), times=2)
    record = await _one(openai_settings(), inventory)
    assert record.status == "failed" and record.attempts == 2
    assert "winner must be 'A' or 'B'" in (record.failure_reason or "")


async def test_bad_request_is_not_retried(fake_server, inventory, openai_settings):
    fake_server.add_fault(server_error(400))
    record = await _one(openai_settings(), inventory)
    assert record.status == "failed" and record.attempts == 1 and fake_server.hits == 1


async def test_every_request_recorded_once_under_mixed_faults(
    fake_server, openai_settings, tmp_path
):
    inventory = make_inventory(12)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    fake_server.add_fault(rate_limited("0"), times=5)
    fake_server.add_fault(server_error(500), times=5)
    fake_server.add_fault(garbage(), times=6)
    fake_server.add_fault(bad_answer(winner="C", justification="x", confidence=1), times=4)
    fake_server.add_fault(server_error(400), times=2)
    records = await judge_pairs(openai_settings(concurrency=8), inventory, requests, progress=False)

    assert [r.comparison_id for r in records] == [r.comparison_id for r in requests]
    assert fake_server.hits == sum(r.attempts for r in records)
    failed = [r for r in records if not r.succeeded]
    assert 2 <= len(failed) <= 2 + 5  # the 400s, plus any request that got two bad answers
    store = SqliteStore(tmp_path / "store.sqlite")
    assert store.count() == len(records) - len(failed)
    assert len(store.failures()) == len(failed)
    stored = store.get_many(r.cache_key for r in records)
    assert set(stored) == {r.cache_key for r in records if r.succeeded}
    store.close()


async def test_unreachable_base_url_fails_clearly(inventory, make_settings, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    url = f"http://127.0.0.1:{closed_port()}/v1"
    settings = make_settings("openai", base_url=url, max_retries=1, concurrency=2)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    with pytest.raises(ProviderUnreachable, match="cannot connect") as info:
        await judge_pairs(settings, inventory, requests, progress=False)
    assert url in info.value.message and info.value.hint
    store = SqliteStore(tmp_path / "store.sqlite")
    failures = store.failures()
    store.close()
    assert 1 <= len(failures) <= 2
    assert all("ProviderUnreachable" in (f.failure_reason or "") for f in failures)


async def test_plain_httpx_transport_maps_errors_too(
    fake_server, inventory, make_settings, monkeypatch
):
    from eng5_runner.engine.http import build_client

    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    settings = make_settings("openai", base_url=fake_server.openai_base_url, timeout_s=0.2)
    fake_server.add_fault(slow(3.0))
    fake_server.add_fault(rate_limited("0"))
    client = build_client(settings.judge, kind="httpx")
    try:
        requests = round_robin([e.essay_id for e in inventory.anchors])[:1]
        (record,) = await judge_pairs(settings, inventory, requests, progress=False, client=client)
        assert record.succeeded and record.attempts == 3
        down = make_settings(
            "openai",
            base_url=f"http://127.0.0.1:{closed_port()}/v1",
            max_retries=0,
            cache_mode="off",
        )
        with pytest.raises(ProviderUnreachable):
            await judge_pairs(down, inventory, requests, progress=False, client=client)
    finally:
        await client.aclose()
