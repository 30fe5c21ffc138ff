"""Replayed SDK requests: same wire request as the SDK's own, same fault classes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from eng5_runner.engine.http import SdkHttpClient, build_client
from eng5_runner.engine.judges.base import make_judge
from eng5_runner.engine.judges.prepared_post import encode_body, replayable
from eng5_runner.engine.judges.prompt import JudgePrompt
from eng5_runner.engine.judges.sdk_judge import SdkJudge
from eng5_runner.engine.records import PairRequest
from eng5_runner.errors import (
    ProviderAuthError,
    ProviderConnectionLost,
    ProviderRateLimited,
    ProviderResponseError,
    ProviderTimeout,
    ProviderUnreachable,
)
from tests.engine.engine_support import FAKE_KEY
from tests.fakes.llm_servers import (
    FakeLLMServer,
    rate_limited,
    reset,
    server_error,
    slow,
)

PROMPT = JudgePrompt("You are an examiner.", "Task. Essay A ... Essay B ...", prefix="Task.")
PAIR = PairRequest(comparison_id="c0000", a_id="a", b_id="b")
VARYING = {"content-length"}


@pytest.fixture
async def http_client(make_settings) -> AsyncIterator[SdkHttpClient]:
    client = build_client(make_settings("openai").judge)
    yield client
    await client.aclose()


def judge_for(
    provider: str, server: FakeLLMServer, make_settings, http_client, **judge
) -> SdkJudge:
    base_url = server.openai_base_url if provider != "anthropic" else server.url
    settings = make_settings(provider, base_url=base_url, **judge)
    built = make_judge(settings.judge, client=http_client)
    assert isinstance(built, SdkJudge)
    return built


@pytest.mark.parametrize("provider", ["openai", "anthropic", "openai_compatible"])
async def test_replayed_requests_match_the_sdk_request(
    provider, fake_server, make_settings, http_client, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    judge = judge_for(provider, fake_server, make_settings, http_client)
    prompts = [PROMPT, JudgePrompt(PROMPT.system, PROMPT.user + " more", prefix=PROMPT.prefix)]
    for prompt in [*prompts, *prompts]:
        answer = await judge.judge(prompt, PAIR)
        assert answer.winner == "A"
    first, *replayed = fake_server.requests
    assert judge.post.template is not None  # type: ignore[attr-defined]
    sdk_headers = {k.lower(): v for k, v in first.headers.items() if k.lower() not in VARYING}
    assert any(k.startswith("x-stainless") for k in sdk_headers)
    for seen in replayed:
        assert seen.path == first.path
        headers = {k.lower(): v for k, v in seen.headers.items() if k.lower() not in VARYING}
        assert headers == sdk_headers
        assert int(seen.headers["Content-Length"]) == len(encode_body(seen.body))
    assert replayed[1].body == first.body and replayed[0].body != first.body
    if provider == "openai_compatible":
        assert "authorization" not in sdk_headers  # keyless: the SDK's omit is kept


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (rate_limited("2"), ProviderRateLimited),
        (server_error(503), ProviderResponseError),
        (server_error(400), ProviderResponseError),
        (reset(), ProviderConnectionLost),
    ],
)
async def test_faults_after_the_first_call_keep_their_class(
    fault, error, fake_server, make_settings, http_client, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    judge = judge_for("openai", fake_server, make_settings, http_client)
    await judge.judge(PROMPT, PAIR)
    assert judge.post.template is not None  # type: ignore[attr-defined]
    fake_server.add_fault(fault)
    with pytest.raises(error) as caught:
        await judge.judge(PROMPT, PAIR)
    if isinstance(caught.value, ProviderRateLimited):
        assert caught.value.retry_after == 2.0
    if isinstance(caught.value, ProviderResponseError):
        assert caught.value.retryable == (fault.status == 503)
    await judge.judge(PROMPT, PAIR)  # the replayed path recovers


async def test_rejected_key_and_timeout_after_the_first_call(
    fake_server, make_settings, http_client, monkeypatch
):
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    judge = judge_for("anthropic", fake_server, make_settings, http_client, timeout_s=0.3)
    await judge.judge(PROMPT, PAIR)
    fake_server.add_fault(slow(2.0))
    with pytest.raises(ProviderTimeout):
        await judge.judge(PROMPT, PAIR)
    fake_server.api_key = "another-key"
    with pytest.raises(ProviderAuthError):
        await judge.judge(PROMPT, PAIR)


async def test_server_gone_after_the_first_call(make_settings, http_client, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    server = FakeLLMServer().start()
    judge = judge_for("openai", server, make_settings, http_client)
    try:
        await judge.judge(PROMPT, PAIR)
    finally:
        server.stop()
    await http_client.aclose()  # no kept-alive connection: the next one is refused
    fresh = build_client(make_settings("openai").judge)
    judge.post.http_client = fresh  # type: ignore[attr-defined]
    try:
        with pytest.raises(ProviderUnreachable):
            await judge.judge(PROMPT, PAIR)
    finally:
        await fresh.aclose()


async def test_only_plain_clients_are_replayed(make_settings, http_client, monkeypatch):
    from anthropic import AsyncAnthropic
    from openai import AsyncAzureOpenAI, AsyncOpenAI

    assert replayable(AsyncOpenAI(api_key="k", http_client=http_client))
    assert replayable(AsyncAnthropic(api_key="k", http_client=http_client))
    azure = AsyncAzureOpenAI(
        api_key="k",
        azure_endpoint="http://127.0.0.1:9",
        api_version="2024-10-21",
        http_client=http_client,
    )
    assert not replayable(azure)

    async def provider() -> str:
        return "k"

    assert not replayable(AsyncOpenAI(api_key=provider, http_client=http_client))


def test_body_bytes_are_the_sdks_own():
    from openai._utils._json import openapi_dumps

    body = {
        "model": "gpt-5.1",
        "messages": [
            {"role": "system", "content": 'Examiner — naïve “quotes” \\ " \n\t é 日本 🙂'},
            {"role": "user", "content": "Essay A\u2028B\x00 " * 50},
        ],
        "max_completion_tokens": 777,
        "temperature": 0.1,
        "top_p": 1e-05,
        "seed": 2**40,
        "stream": False,
        "metadata": None,
        "response_format": {"type": "json_schema", "json_schema": {"strict": True, "n": [1.5, 2]}},
    }
    assert json.loads(encode_body(body)) == json.loads(openapi_dumps(body)) == body
    del body["top_p"]  # 1e-05 is written 0.00001: same value, other spelling
    assert encode_body(body) == openapi_dumps(body)


def test_batch_estimate_covers_the_batch_providers():
    from eng5_runner.engine.batch.requests import BATCH_PROVIDERS
    from eng5_runner.engine.batch.splitter import PROVIDER_LIMITS

    assert set(PROVIDER_LIMITS) == set(BATCH_PROVIDERS)
