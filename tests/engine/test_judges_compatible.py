"""OpenAI-compatible judge: optional key, JSON-in-text fallback."""

from __future__ import annotations

import pytest

from eng5_runner.engine.pairing import round_robin
from eng5_runner.engine.run_local import judge_pairs
from eng5_runner.errors import ConfigError


def _requests(inventory):
    return round_robin([e.essay_id for e in inventory.anchors])


async def test_no_key_needed_and_max_tokens(fake_server, inventory, make_settings):
    settings = make_settings(
        "openai_compatible",
        base_url=fake_server.openai_base_url,
        api_key_env="OPENAI_COMPATIBLE_API_KEY",
        max_tokens=300,
    )
    records = await judge_pairs(settings, inventory, _requests(inventory), progress=False)
    assert all(r.succeeded and r.provider == "openai_compatible" for r in records)
    seen = fake_server.requests[0]
    assert "Authorization" not in seen.headers
    assert seen.body["max_tokens"] == 300 and "max_completion_tokens" not in seen.body
    assert seen.body["response_format"]["type"] == "json_schema"


async def test_key_sent_when_present(fake_server, inventory, make_settings, monkeypatch):
    monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", "local-key")
    settings = make_settings(
        "openai_compatible",
        base_url=fake_server.openai_base_url,
        api_key_env="OPENAI_COMPATIBLE_API_KEY",
    )
    await judge_pairs(settings, inventory, _requests(inventory)[:1], progress=False)
    assert fake_server.requests[0].headers["Authorization"] == "Bearer local-key"


async def test_structured_output_off_parses_json_in_text(fake_server, inventory, make_settings):
    settings = make_settings(
        "openai_compatible", base_url=fake_server.openai_base_url, structured_output=False
    )
    records = await judge_pairs(settings, inventory, _requests(inventory), progress=False)
    assert all(r.succeeded and r.winner == "A" for r in records)
    assert all("response_format" not in seen.body for seen in fake_server.requests)


async def test_falls_back_when_server_rejects_json_schema(fake_server, inventory, make_settings):
    fake_server.reject_json_schema = True
    settings = make_settings(
        "openai_compatible", base_url=fake_server.openai_base_url, concurrency=1
    )
    requests = _requests(inventory)
    records = await judge_pairs(settings, inventory, requests, progress=False)
    assert all(r.succeeded for r in records)
    # one rejected structured call, then plain calls only (the fallback is remembered)
    assert fake_server.hits == len(requests) + 1
    assert "response_format" in fake_server.requests[0].body
    assert all("response_format" not in seen.body for seen in fake_server.requests[1:])


async def test_base_url_required(inventory, make_settings):
    settings = make_settings("openai_compatible")
    with pytest.raises(ConfigError, match="base_url"):
        await judge_pairs(settings, inventory, _requests(inventory), progress=False)
