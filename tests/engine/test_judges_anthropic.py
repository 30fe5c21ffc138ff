"""Anthropic Messages judge (forced tool use) against a real fake server."""

from __future__ import annotations

import pytest

from eng5_runner.engine.pairing import round_robin
from eng5_runner.engine.run_local import judge_pairs
from eng5_runner.errors import ConfigError, ProviderAuthError
from tests.engine.engine_support import FAKE_KEY


async def test_request_headers_tool_and_record(fake_server, inventory, make_settings, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    fake_server.api_key = FAKE_KEY
    fake_server.answer_fn = lambda user: {
        "winner": "B",
        "justification": "B argues better.",
        "confidence": 3,
    }
    settings = make_settings(
        "anthropic",
        model="claude-sonnet-4-5",
        base_url=fake_server.url,
        temperature=0.1,
        max_tokens=512,
        price_input_per_mtok=3.0,
        price_output_per_mtok=15.0,
    )
    requests = round_robin([e.essay_id for e in inventory.anchors])
    records = await judge_pairs(settings, inventory, requests, progress=False)

    assert fake_server.count("/v1/messages") == len(requests)
    seen = fake_server.requests[0]
    assert seen.headers["x-api-key"] == FAKE_KEY
    assert seen.headers["anthropic-version"] == "2023-06-01"
    assert "Authorization" not in seen.headers
    body = seen.body
    assert body["model"] == "claude-sonnet-4-5" and body["max_tokens"] == 512
    assert body["temperature"] == 0.1
    assert body["system"] == "You are an experienced examiner."
    assert body["messages"][0]["role"] == "user"
    tool = body["tools"][0]
    assert tool["name"] == "comparison_result"
    assert tool["input_schema"]["required"] == ["winner", "justification", "confidence"]
    assert body["tool_choice"] == {"type": "tool", "name": "comparison_result"}

    record = records[0]
    assert record.succeeded and record.winner == "B" and record.winner_id == record.essay_b_id
    assert record.confidence == 3 and record.justification == "B argues better."
    assert record.provider == "anthropic" and record.model == "claude-sonnet-4-5-20250101"
    assert record.completion_tokens == 30
    expected = (record.prompt_tokens * 3.0 + 30 * 15.0) / 1e6
    assert record.cost_usd == pytest.approx(expected)


async def test_missing_key_names_variable(fake_server, inventory, make_settings):
    settings = make_settings("anthropic", base_url=fake_server.url)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    with pytest.raises(ProviderAuthError, match="ANTHROPIC_API_KEY"):
        await judge_pairs(settings, inventory, requests, progress=False)
    assert fake_server.hits == 0


async def test_temperature_above_one_is_a_config_error(
    fake_server, inventory, make_settings, monkeypatch
):
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    settings = make_settings("anthropic", base_url=fake_server.url, temperature=1.5)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    with pytest.raises(ConfigError, match="temperature"):
        await judge_pairs(settings, inventory, requests, progress=False)


async def test_schema_violation_in_tool_input_fails(
    fake_server, inventory, make_settings, monkeypatch
):
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    fake_server.answer_fn = lambda user: {"winner": "C", "justification": "?", "confidence": 2}
    settings = make_settings("anthropic", base_url=fake_server.url)
    requests = round_robin([e.essay_id for e in inventory.anchors])[:1]
    (record,) = await judge_pairs(settings, inventory, requests, progress=False)
    assert record.status == "failed"
    assert "winner must be 'A' or 'B'" in (record.failure_reason or "")
    assert fake_server.hits == 2  # asked, then re-asked once
