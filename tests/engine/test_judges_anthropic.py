"""Anthropic Messages judge (official SDK, structured output) against a real fake server."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest
import yaml
from anthropic._constants import ANTHROPIC_API_VERSION
from anthropic._data import DEPRECATED_MODELS
from anthropic.types.model_param import ModelParam

from eng5_runner.engine.judges import anthropic as judge_module
from eng5_runner.engine.judges.anthropic import DEFAULT_MODEL
from eng5_runner.engine.pairing import round_robin
from eng5_runner.engine.run_local import judge_pairs
from eng5_runner.errors import ConfigError, ProviderAuthError
from tests.engine.engine_support import FAKE_KEY


async def test_request_headers_body_and_record(
    fake_server, inventory, make_settings, monkeypatch, capsys
):
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    fake_server.api_key = FAKE_KEY
    fake_server.answer_fn = lambda user: {
        "winner": "B",
        "justification": "B argues better.",
        "confidence": 3,
    }
    settings = make_settings(
        "anthropic",
        model="claude-sonnet-4-6",
        base_url=fake_server.url,
        temperature=0.1,
        max_tokens=512,
        price_input_per_mtok=3.0,
        price_output_per_mtok=15.0,
        concurrency=1,
    )
    requests = round_robin([e.essay_id for e in inventory.anchors])
    records = await judge_pairs(settings, inventory, requests, progress=False)

    assert fake_server.count("/v1/messages") == len(requests)
    assert all(seen.fault is None for seen in fake_server.requests)  # all valid requests
    seen = fake_server.requests[0]
    assert seen.headers["Authorization"] == f"Bearer {FAKE_KEY}"  # the SDK's convention
    assert seen.headers["anthropic-version"] == ANTHROPIC_API_VERSION != "2023-06-01"
    body = seen.body
    assert body["model"] == "claude-sonnet-4-6" and body["max_tokens"] == 512
    assert "temperature" not in body  # the API takes none: dropped with one warning
    assert capsys.readouterr().out.count("judge.temperature") == 1
    assert body["system"] == [
        {
            "type": "text",
            "text": "You are an experienced examiner.",
            "cache_control": {"type": "ephemeral"},
        }
    ]
    prefix, dynamic = body["messages"][0]["content"]
    assert prefix["cache_control"] == {"type": "ephemeral"}
    assert "Assessment rubric" in prefix["text"] and "Essay A" not in prefix["text"]
    assert dynamic["text"].startswith("**Essay A:**") and "cache_control" not in dynamic
    fmt = body["output_config"]["format"]
    assert fmt["type"] == "json_schema"
    assert fmt["schema"]["required"] == ["winner", "justification", "confidence"]
    assert "tools" not in body and "thinking" not in body

    record = records[0]
    assert record.succeeded and record.winner == "B" and record.winner_id == record.essay_b_id
    assert record.confidence == 3 and record.justification == "B argues better."
    assert record.provider == "anthropic" and record.model == "claude-sonnet-4-6-20250101"
    assert record.completion_tokens == 30
    assert record.request_id == "req_000001"
    expected = (record.prompt_tokens * 3.0 + 30 * 15.0) / 1e6  # prefix below the cache minimum
    assert record.cost_usd == pytest.approx(expected)


async def test_effort_and_thinking(fake_server, inventory, make_settings, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    fake_server.reasoning_tokens = 700
    settings = make_settings(
        "anthropic",
        model="claude-sonnet-4-6",
        base_url=fake_server.url,
        reasoning_effort="high",
        thinking_budget_tokens=2048,
        max_tokens=4096,
    )
    requests = round_robin([e.essay_id for e in inventory.anchors])[:1]
    (record,) = await judge_pairs(settings, inventory, requests, progress=False)
    body = fake_server.requests[0].body
    assert body["output_config"]["effort"] == "high"
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert record.succeeded and record.reasoning_tokens == 700
    assert record.completion_tokens == 730


async def test_deprecated_model_warns_once(
    fake_server, inventory, make_settings, monkeypatch, capsys
):
    from eng5_runner.engine.judges.anthropic import deprecated_models

    listed = deprecated_models()  # the installed SDK's list changes as models retire
    if not listed:
        pytest.skip("the installed anthropic SDK lists no deprecated model")
    model, retires = next(iter(listed.items()))
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    settings = make_settings("anthropic", model=model, base_url=fake_server.url)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    records = await judge_pairs(settings, inventory, requests, progress=False)
    assert all(r.succeeded for r in records)
    out = capsys.readouterr().out
    assert out.count(f"{model} is deprecated") == 1 and retires in out


def test_default_model_is_current_and_not_deprecated():
    listed = get_args(get_args(ModelParam)[0])
    assert DEFAULT_MODEL in listed and DEFAULT_MODEL not in DEPRECATED_MODELS
    assert "sonnet" in DEFAULT_MODEL


def test_judge_option_file_uses_the_default_model():
    conf = Path(judge_module.__file__).parents[2] / "conf" / "judge"
    option = yaml.safe_load((conf / "anthropic.yaml").read_text())
    assert option["model"] == DEFAULT_MODEL
    assert option["temperature"] is None


async def test_missing_key_names_variable(fake_server, inventory, make_settings):
    settings = make_settings("anthropic", base_url=fake_server.url)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    with pytest.raises(ProviderAuthError, match="ANTHROPIC_API_KEY"):
        await judge_pairs(settings, inventory, requests, progress=False)
    assert fake_server.hits == 0


async def test_thinking_budget_must_fit_max_tokens(
    fake_server, inventory, make_settings, monkeypatch
):
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    settings = make_settings(
        "anthropic", base_url=fake_server.url, thinking_budget_tokens=2048, max_tokens=1024
    )
    requests = round_robin([e.essay_id for e in inventory.anchors])
    with pytest.raises(ConfigError, match="thinking_budget_tokens"):
        await judge_pairs(settings, inventory, requests, progress=False)
    assert fake_server.hits == 0


async def test_schema_violation_in_answer_fails(fake_server, inventory, make_settings, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    fake_server.answer_fn = lambda user: {"winner": "C", "justification": "?", "confidence": 2}
    settings = make_settings("anthropic", base_url=fake_server.url)
    requests = round_robin([e.essay_id for e in inventory.anchors])[:1]
    (record,) = await judge_pairs(settings, inventory, requests, progress=False)
    assert record.status == "failed"
    assert "winner must be 'A' or 'B'" in (record.failure_reason or "")
    assert fake_server.hits == 2  # asked, then re-asked once
