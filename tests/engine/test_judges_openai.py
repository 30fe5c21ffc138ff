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
    assert record.request_id == "req_000001" or record.request_id.startswith("req_")
    assert body["prompt_cache_key"].startswith("eng5-")
    assert len({seen.body["prompt_cache_key"] for seen in fake_server.requests}) == 1
    assert all(seen.fault is None for seen in fake_server.requests)


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


@pytest.mark.parametrize(
    ("model", "effort", "sent", "absent"),
    [
        ("gpt-4.1", "low", {"temperature": 0.1}, {"reasoning_effort", "verbosity"}),
        ("gpt-4o", None, {"temperature": 0.1}, {"reasoning_effort", "verbosity"}),
        ("gpt-5.1", "low", {"reasoning_effort": "low", "verbosity": "low"}, {"temperature"}),
        ("gpt-5.1", "none", {"reasoning_effort": "none", "temperature": 0.1}, set()),
        ("gpt-5", "minimal", {"reasoning_effort": "minimal"}, {"temperature"}),
        ("o3-mini", "high", {"reasoning_effort": "high"}, {"temperature", "verbosity"}),
        ("gpt-5.2-chat-latest", "low", {"temperature": 0.1}, {"reasoning_effort"}),
    ],
)
async def test_only_parameters_the_model_accepts(
    fake_server, inventory, make_settings, monkeypatch, capsys, model, effort, sent, absent
):
    """The fake server refuses what the real API refuses, so every call must succeed."""
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    settings = make_settings(
        "openai",
        model=model,
        base_url=fake_server.openai_base_url,
        temperature=0.1,
        reasoning_effort=effort,
        output_verbosity="low",
    )
    requests = round_robin([e.essay_id for e in inventory.anchors])
    records = await judge_pairs(settings, inventory, requests, progress=False)
    assert all(r.succeeded for r in records), records[0].failure_reason
    body = fake_server.requests[0].body
    for key, value in sent.items():
        assert body[key] == value
    assert not absent & set(body)
    assert "max_completion_tokens" in body and "max_tokens" not in body
    out = capsys.readouterr().out
    configured = {"temperature", "verbosity"} | ({"reasoning_effort"} if effort else set())
    for key in absent & configured:
        name = "output_verbosity" if key == "verbosity" else key
        assert out.count(f"judge.{name}") == 1  # one warning per run, not per call


@pytest.mark.parametrize("effort", ["none", "minimal", "low", "medium", "high", "xhigh", "max"])
def test_settings_accept_every_sdk_reasoning_effort(effort):
    from typing import get_args

    from openai.types.shared.reasoning_effort import ReasoningEffort

    from eng5_runner.settings.models import JudgeSettings

    sdk_values = {v for v in get_args(get_args(ReasoningEffort)[0])}
    assert effort in sdk_values
    assert JudgeSettings(provider="openai", model="gpt-5.1", reasoning_effort=effort)


async def test_extra_body_passes_validated_fields(
    fake_server, inventory, make_settings, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    settings = make_settings(
        "openai",
        model="gpt-4.1",
        base_url=fake_server.openai_base_url,
        extra_body={"service_tier": "flex", "seed": 7},
    )
    requests = round_robin([e.essay_id for e in inventory.anchors])[:1]
    (record,) = await judge_pairs(settings, inventory, requests, progress=False)
    assert record.succeeded
    body = fake_server.requests[0].body
    assert body["service_tier"] == "flex" and body["seed"] == 7


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"sed": 7}, "judge.extra_body.sed: not a request field"),
        ({"seed": "seven"}, "judge.extra_body.seed"),
        ({"service_tier": "fastest"}, "judge.extra_body.service_tier"),
        ({"temperature": 0.5}, "judge.extra_body.temperature: set by the runner"),
    ],
)
async def test_extra_body_is_checked_before_any_call(
    fake_server, inventory, make_settings, monkeypatch, extra, message
):
    from eng5_runner.errors import ConfigError

    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    settings = make_settings("openai", base_url=fake_server.openai_base_url, extra_body=extra)
    requests = round_robin([e.essay_id for e in inventory.anchors])[:1]
    with pytest.raises(ConfigError, match=message):
        await judge_pairs(settings, inventory, requests, progress=False)
    assert fake_server.hits == 0


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


async def test_azure_and_organisation_from_the_sdk_environment(monkeypatch):
    """AZURE_OPENAI_ENDPOINT (and no judge.base_url) selects Azure OpenAI; OPENAI_ORG_ID is read."""
    from openai import AsyncAzureOpenAI, AsyncOpenAI

    from eng5_runner.engine.http import build_client
    from eng5_runner.engine.judges.sdk_clients import openai_client
    from eng5_runner.errors import ConfigError
    from eng5_runner.settings.models import JudgeSettings

    settings = JudgeSettings(provider="openai", model="gpt-4.1")
    http = build_client(settings)
    try:
        monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
        monkeypatch.setenv("OPENAI_ORG_ID", "org-test")
        plain = openai_client(settings, http)
        assert type(plain) is AsyncOpenAI and plain.organization == "org-test"
        assert plain.max_retries == 0
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://example-resource.invalid")
        monkeypatch.delenv("OPENAI_API_KEY")
        with pytest.raises(ProviderAuthError, match="AZURE_OPENAI_API_KEY"):
            openai_client(settings.model_copy(update={"api_key_env": "OPENAI_API_KEY"}), http)
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", FAKE_KEY)
        with pytest.raises(ConfigError, match="OPENAI_API_VERSION"):
            openai_client(settings, http)
        monkeypatch.setenv("OPENAI_API_VERSION", "2024-10-21")
        azure = openai_client(settings, http)
        assert isinstance(azure, AsyncAzureOpenAI) and azure.max_retries == 0
        assert "example-resource.invalid" in str(azure.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
        custom = settings.model_copy(update={"base_url": "http://127.0.0.1:9/v1"})
        assert type(openai_client(custom, http)) is AsyncOpenAI  # an explicit base_url wins
    finally:
        await http.aclose()
