"""OpenAI Chat Completions judge against a real fake server on loopback."""

from __future__ import annotations

import pytest

from eng5_runner.engine.pairing import round_robin
from eng5_runner.engine.run_local import judge_pairs
from eng5_runner.engine.store import SqliteStore
from eng5_runner.errors import ProviderAuthError
from tests.engine.engine_support import FAKE_KEY
from tests.fakes.llm_servers import FakeLLMServer


async def test_request_body_and_record(fake_server, inventory, make_settings, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    fake_server.api_key = FAKE_KEY
    settings = make_settings(
        "openai",
        model="gpt-5.1",
        base_url=fake_server.openai_base_url,
        reasoning_effort="low",
        output_verbosity="low",
        max_tokens=777,
        price_input_per_mtok=1.0,
        price_output_per_mtok=10.0,
    )
    requests = round_robin([e.essay_id for e in inventory.anchors])
    records = await judge_pairs(settings, inventory, requests, progress=False)

    assert [r.comparison_id for r in records] == [r.comparison_id for r in requests]
    assert fake_server.count("/v1/chat/completions") == len(requests)
    seen = fake_server.requests[0]
    assert seen.headers["Authorization"] == f"Bearer {FAKE_KEY}"
    body = seen.body
    assert body["model"] == "gpt-5.1"
    assert body["max_completion_tokens"] == 777
    assert body["reasoning_effort"] == "low" and body["verbosity"] == "low"
    assert "temperature" not in body
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "comparison_result" and fmt["json_schema"]["strict"]
    assert fmt["json_schema"]["schema"]["properties"]["winner"]["enum"] == ["A", "B"]
    assert [m["role"] for m in body["messages"]] == ["system", "user"]

    record = records[0]
    assert record.status == "succeeded" and record.winner == "A"
    assert record.winner_id == record.essay_a_id
    assert record.provider == "openai" and record.model == "gpt-5.1-2025-01-01"
    assert record.completion_tokens == 25 and record.prompt_tokens > 0
    expected = (record.prompt_tokens * 1.0 + 25 * 10.0) / 1e6
    assert record.cost_usd == pytest.approx(expected)
    assert record.prompt_sha256 and record.cache_key and not record.cached


async def test_user_message_has_no_ids_or_labels(
    fake_server, inventory, make_settings, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    settings = make_settings("openai", base_url=fake_server.openai_base_url)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    await judge_pairs(settings, inventory, requests, progress=False)
    for seen in fake_server.requests:
        text = seen.body["messages"][0]["content"] + seen.user_text
        for essay in inventory.anchors:
            assert essay.essay_id not in text and essay.label not in text
        assert "Write about a role model." in seen.user_text


async def test_temperature_sent_when_set(fake_server, inventory, make_settings, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    settings = make_settings("openai", base_url=fake_server.openai_base_url, temperature=0.0)
    requests = round_robin([e.essay_id for e in inventory.anchors])[:1]
    await judge_pairs(settings, inventory, requests, progress=False)
    body = fake_server.requests[0].body
    assert body["temperature"] == 0.0
    assert "reasoning_effort" not in body and "verbosity" not in body


async def test_missing_key_names_variable_before_any_request(fake_server, inventory, make_settings):
    settings = make_settings("openai", base_url=fake_server.openai_base_url)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    with pytest.raises(ProviderAuthError, match="OPENAI_API_KEY"):
        await judge_pairs(settings, inventory, requests, progress=False)
    assert fake_server.hits == 0


async def test_custom_key_variable(fake_server, inventory, make_settings, monkeypatch):
    settings = make_settings(
        "openai", base_url=fake_server.openai_base_url, api_key_env="ENG5_TEST_KEY"
    )
    requests = round_robin([e.essay_id for e in inventory.anchors])[:2]
    with pytest.raises(ProviderAuthError, match="ENG5_TEST_KEY"):
        await judge_pairs(settings, inventory, requests, progress=False)
    monkeypatch.setenv("ENG5_TEST_KEY", FAKE_KEY)
    fake_server.api_key = FAKE_KEY
    records = await judge_pairs(settings, inventory, requests, progress=False)
    assert all(r.succeeded for r in records)


async def test_rejected_key_aborts_after_recording(
    fake_server: FakeLLMServer, inventory, make_settings, monkeypatch, tmp_path
):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-zzzz")
    fake_server.api_key = FAKE_KEY
    settings = make_settings("openai", base_url=fake_server.openai_base_url, concurrency=2)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    with pytest.raises(ProviderAuthError, match="401"):
        await judge_pairs(settings, inventory, requests, progress=False)
    # at most one request per worker: the run stopped instead of failing every call
    assert 1 <= fake_server.hits <= 2 < len(requests)
    store = SqliteStore(tmp_path / "store.sqlite")
    failures = store.failures()
    store.close()
    assert len(failures) == fake_server.hits
    assert all("401" in (f.failure_reason or "") for f in failures)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"sk-wrong-key-zzzz" not in path.read_bytes()
