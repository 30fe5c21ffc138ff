"""Per-comparison batch request bodies and answers, through the synchronous judges' own code.

A batch request carries exactly the body the judge would POST (its
``body()`` plus the checked ``judge.extra_body``), and its result is read by
the same code (``ChatJudge.read`` / ``AnthropicJudge.parsed``), so a batch
judgement and a synchronous one of the same comparison are interchangeable
in the store. Costs use :class:`.pricing.BatchPricer`.
"""

from __future__ import annotations

from typing import Any

from anthropic.types import Message
from openai.types.chat import ChatCompletion

from eng5_runner.engine.batch.pricing import BatchPricer
from eng5_runner.engine.http import SdkHttpClient
from eng5_runner.engine.judges.anthropic import AnthropicJudge, message_usage
from eng5_runner.engine.judges.openai import OpenAIJudge
from eng5_runner.engine.judges.prompt import JudgePrompt
from eng5_runner.engine.judges.sdk_judge import construct_response
from eng5_runner.engine.records import JudgeAnswer
from eng5_runner.errors import ConfigError
from eng5_runner.settings.models import JudgeSettings

BatchJudge = OpenAIJudge | AnthropicJudge
BATCH_PROVIDERS = ("openai", "anthropic")


def batch_judge(settings: JudgeSettings, client: SdkHttpClient) -> BatchJudge:
    """The provider's judge, pricing at batch rates; ConfigError for other providers."""
    judge: BatchJudge
    if settings.provider == "openai":
        judge = OpenAIJudge(settings, client)
    elif settings.provider == "anthropic":
        judge = AnthropicJudge(settings, client)
    else:
        raise ConfigError(
            f"judge.batch=true needs judge.provider=openai or anthropic, not {settings.provider}",
            hint="set judge.batch=false for this provider",
        )
    judge.pricer = BatchPricer(settings)
    return judge


def request_body(judge: BatchJudge, prompt: JudgePrompt) -> dict[str, Any]:
    """The body one comparison would be sent with synchronously."""
    if isinstance(judge, OpenAIJudge):
        body = judge.body(prompt, structured=judge.settings.structured_output)
    else:
        body = judge.body(prompt)
    return {**body, **judge.extra}


def read_answer(judge: BatchJudge, raw: bytes, request_id: str | None) -> JudgeAnswer:
    """A batch result body into a JudgeAnswer (raises a malformed ProviderResponseError)."""
    if isinstance(judge, OpenAIJudge):
        completion = construct_response(ChatCompletion, raw)
        return judge.read(completion, raw, request_id, structured=judge.settings.structured_output)
    message = construct_response(Message, raw)
    return judge.answer(
        judge.parsed(message),
        model=message.model,
        usage=message_usage(message),
        raw=raw,
        request_id=request_id or message.id,
    )
