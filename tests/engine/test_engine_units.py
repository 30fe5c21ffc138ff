"""Small units: prompt rendering, answer parsing, HTTP client, backoff, error mapping."""

from __future__ import annotations

import httpx
import httpx2
import pytest

from eng5_runner.engine.http import build_client
from eng5_runner.engine.judges.base import make_judge, retry_after_s, status_error
from eng5_runner.engine.judges.parsing import extract_json_object, parse_answer, parse_answer_text
from eng5_runner.engine.judges.prompt import prompt_sha256, render_prompt
from eng5_runner.engine.records import PairRequest
from eng5_runner.engine.scheduler import Scheduler, TokenBucket, estimate_tokens
from eng5_runner.errors import (
    ProviderAuthError,
    ProviderRateLimited,
    ProviderResponseError,
)
from eng5_runner.settings.models import JudgeSettings


def test_prompt_blocks_and_hash():
    prompt = render_prompt("System.", "Rubric text.", "The task.", "Text of A.", "Text of B.")
    assert prompt.system == "System."
    user = prompt.user
    order = [
        user.index(s)
        for s in (
            "Student assignment",
            "Assessment rubric",
            "**Essay A:**",
            "Text of A.",
            "**Essay B:**",
            "Text of B.",
            '"winner"',
        )
    ]
    assert order == sorted(order)
    assert "50 words" in user and "1" in user and "5" in user
    no_task = render_prompt("System.", "Rubric text.", None, "Text of A.", "Text of B.")
    assert "Student assignment" not in no_task.user
    assert prompt_sha256(prompt) == prompt.sha256 != prompt_sha256(no_task)


@pytest.mark.parametrize("raw, winner", [("A", "A"), ("B", "B"), ("Essay A", "A"), (" b ", "B")])
def test_winner_spellings(raw, winner):
    assert parse_answer({"winner": raw, "justification": "j", "confidence": 3}).winner == winner


@pytest.mark.parametrize(
    "answer, reason",
    [
        ({"winner": "C", "justification": "j", "confidence": 3}, "winner"),
        ({"winner": "A", "justification": "j", "confidence": 6}, "confidence"),
        ({"winner": "A", "justification": "j", "confidence": 2.5}, "confidence"),
        ({"winner": "A", "justification": 3, "confidence": 2}, "justification"),
        (["A"], "object"),
    ],
)
def test_schema_violations_are_malformed(answer, reason):
    with pytest.raises(ProviderResponseError, match=reason) as info:
        parse_answer(answer)
    assert info.value.malformed


def test_json_in_text():
    text = (
        'Sure {not json} here:\n```json\n{"winner": "B", "justification": "x", '
        '"confidence": "4"}\n``` done'
    )
    assert parse_answer_text(text).confidence == 4
    assert extract_json_object("no object") is None


def test_retry_after_forms():
    assert retry_after_s(httpx.Headers({"retry-after": "2"})) == 2.0
    assert retry_after_s(httpx.Headers({"retry-after-ms": "1500", "retry-after": "9"})) == 1.5
    assert retry_after_s(httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0
    assert retry_after_s(httpx.Headers({})) is None


def test_status_mapping():
    def response(status, **headers):
        request = httpx.Request("POST", "http://x")
        return httpx.Response(
            status, headers=headers, json={"error": {"message": "m"}}, request=request
        )

    limited = status_error(response(429, **{"retry-after": "3"}))
    assert isinstance(limited, ProviderRateLimited) and limited.retry_after == 3
    assert isinstance(status_error(response(401)), ProviderAuthError)
    assert status_error(response(500)).retryable  # type: ignore[attr-defined]
    assert status_error(response(529)).retryable  # type: ignore[attr-defined]
    assert not status_error(response(400)).retryable  # type: ignore[attr-defined]
    assert not status_error(response(403)).retryable  # type: ignore[attr-defined]


async def test_client_uses_aiohttp_transport_by_default():
    from openai._vendor.httpx_aiohttp.transport import AiohttpTransport

    settings = JudgeSettings(provider="openai", model="m", timeout_s=7.0, concurrency=32)
    client = build_client(settings)
    try:
        assert isinstance(client, httpx2.AsyncClient)
        assert isinstance(client._transport, AiohttpTransport)
        assert client.timeout.read == 7.0 and client.timeout.connect == 7.0
    finally:
        await client.aclose()


async def test_injected_transport_and_openai_judge(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    seen = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(
            200,
            json={
                "id": "c1",
                "object": "chat.completion",
                "created": 1,
                "model": "m-1",
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {
                            "role": "assistant",
                            "content": '{"winner":"B","justification":"j","confidence":2}',
                        },
                    }
                ],
            },
        )

    settings = JudgeSettings(provider="openai", model="m", base_url="http://llm.test/v1")
    client = build_client(settings, transport=httpx2.MockTransport(handler))
    judge = make_judge(settings, client=client)
    prompt = render_prompt("s", "r", None, "a", "b")
    answer = await judge.judge(prompt, PairRequest(comparison_id="c", a_id="x", b_id="y"))
    await client.aclose()
    assert answer.winner == "B" and answer.model == "m-1" and answer.prompt_tokens == 10
    assert str(seen[0].url) == "http://llm.test/v1/chat/completions"


def test_backoff_bounds():
    settings = JudgeSettings(
        provider="simulated", model="m", backoff_base_s=1.0, backoff_max_s=10.0
    )
    judge = make_judge(settings, qualities={})
    scheduler = Scheduler(
        judge,
        settings,
        prompt_for=lambda r: render_prompt("", "", None, "", ""),
        sink=lambda r: None,
    )
    for retry, high in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 10.0)]:
        delay = scheduler.backoff(retry, None)
        assert high / 2 <= delay <= high
    assert scheduler.backoff(1, 120.0) == 10.0
    assert scheduler.backoff(1, 0.5) == 0.5


async def test_token_bucket_accounting(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("eng5_runner.engine.scheduler.time.monotonic", lambda: clock[0])
    bucket = TokenBucket(600)  # 10/s, holds 100
    assert bucket.capacity == 100
    await bucket.acquire(60)
    assert bucket.level == 40
    bucket.refund(30)
    assert bucket.level == 70
    clock[0] += 10
    bucket.refund(0)
    assert bucket.level == 100  # refilled, capped
    assert estimate_tokens(render_prompt("s" * 40, "", None, "", ""), 100) > 100


def test_progress_display_counts_and_stays_quiet_without_a_terminal():
    import io

    from rich.console import Console

    from eng5_runner.engine.records import JudgementRecord
    from eng5_runner.engine.scheduler import ProgressDisplay

    quiet = ProgressDisplay(3, console=Console(file=io.StringIO()))
    assert quiet.bar is None
    out = io.StringIO()
    shown = ProgressDisplay(3, done=1, console=Console(file=out, force_terminal=True, width=120))
    failed = JudgementRecord(
        comparison_id="c",
        essay_a_id="a",
        essay_b_id="b",
        status="failed",
        provider="p",
        model="m",
        prompt_tokens=10,
        cost_usd=0.5,
    )
    with shown:
        shown.advance(failed)
    assert shown.failed == 1 and shown.tokens == 10
    assert "2/3" in out.getvalue() and "1 failed" in out.getvalue()


async def test_rate_limits_are_applied(fake_server, inventory, make_settings, monkeypatch):
    from eng5_runner.engine.pairing import round_robin
    from eng5_runner.engine.run_local import judge_pairs

    monkeypatch.setenv("OPENAI_API_KEY", "k")
    settings = make_settings(
        "openai",
        base_url=fake_server.openai_base_url,
        requests_per_minute=60_000,
        tokens_per_minute=10_000_000,
    )
    requests = round_robin([e.essay_id for e in inventory.anchors])
    records = await judge_pairs(settings, inventory, requests, progress=False)
    assert all(r.succeeded for r in records)


def test_error_messages_are_redacted():
    from eng5_runner.engine.judges.base import redact

    text = "Incorrect API key provided: sk-proj-abc123***xyz. Also my-secret-value."
    cleaned = redact(text, ("my-secret-value",))
    assert "abc123" not in cleaned and "my-secret-value" not in cleaned
    assert cleaned.startswith("Incorrect API key provided: [redacted]")
