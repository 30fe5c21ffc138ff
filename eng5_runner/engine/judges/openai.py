"""OpenAI Chat Completions judge (official ``openai`` SDK) with a strict JSON-schema answer.

Sends only what the model accepts (:func:`.model_params.openai_params`):
``max_completion_tokens``, ``response_format`` of type ``json_schema``,
reasoning controls for reasoning models, ``temperature`` for the others, and
``prompt_cache_key`` (a hash of the static prefix) so comparisons that share
the rubric land on the same prompt cache. Usage is read in full: cached input
(``prompt_tokens_details.cached_tokens``) and reasoning tokens.
"""

from __future__ import annotations

import hashlib
from typing import Any

from openai import APIConnectionError, APITimeoutError, OpenAIError, omit
from openai.types.chat import ChatCompletion
from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming

from eng5_runner.engine.http import SdkHttpClient
from eng5_runner.engine.judges.model_params import ModelParams, openai_params
from eng5_runner.engine.judges.parsing import (
    ANSWER_SCHEMA,
    SCHEMA_NAME,
    ParsedAnswer,
    malformed,
    parse_answer_json,
    parse_answer_text,
)
from eng5_runner.engine.judges.prepared_post import PreparedPost
from eng5_runner.engine.judges.prompt import JudgePrompt
from eng5_runner.engine.judges.sdk_clients import openai_client, resolve_api_key
from eng5_runner.engine.judges.sdk_judge import SdkJudge, check_request, construct_response
from eng5_runner.engine.pricing import TokenUsage
from eng5_runner.engine.records import JudgeAnswer, PairRequest
from eng5_runner.errors import ProviderError
from eng5_runner.settings.models import JudgeSettings

MANAGED_FIELDS = {
    "model",
    "messages",
    "max_tokens",
    "max_completion_tokens",
    "response_format",
    "temperature",
    "reasoning_effort",
    "verbosity",
    "prompt_cache_key",
    "stream",
    "n",
}


def prompt_cache_key(prompt: JudgePrompt) -> str:
    """Same for every comparison that shares the system prompt and the prefix."""
    digest = hashlib.sha256(prompt.system.encode() + b"\0" + prompt.prefix.encode())
    return "eng5-" + digest.hexdigest()[:32]


class ChatJudge(SdkJudge):
    """Chat Completions through the OpenAI SDK (``openai`` and ``openai_compatible``)."""

    tokens_key = "max_completion_tokens"
    key_required = True
    send_cache_key = True
    sdk_errors = (OpenAIError,)

    def __init__(self, settings: JudgeSettings, http_client: SdkHttpClient) -> None:
        key = resolve_api_key(settings, required=self.key_required)
        super().__init__(settings, (key,) if key else ())
        self.client = openai_client(settings, http_client, key_required=self.key_required)
        self.headers: dict[str, Any] | None = None if key else {"Authorization": omit}
        self.post = PreparedPost(
            self.client,
            http_client,
            "/chat/completions",
            headers=self.headers,
            request_id_header="x-request-id",
            timeout_error=APITimeoutError,
            connection_error=APIConnectionError,
        )
        self.params = self.model_params()
        self.warn_dropped(self.params)
        sample = self.body(JudgePrompt("s", "u"), structured=settings.structured_output)
        self.extra = self.checked_extra(sample)

    def model_params(self) -> ModelParams:
        return openai_params(self.settings)

    def checked_extra(self, sample: dict[str, Any]) -> dict[str, Any]:
        """``judge.extra_body``, validated against the SDK's request type."""
        merged = check_request(
            CompletionCreateParamsNonStreaming, sample, self.settings.extra_body, MANAGED_FIELDS
        )
        return {k: merged[k] for k in self.settings.extra_body}

    def body(self, prompt: JudgePrompt, *, structured: bool) -> dict[str, Any]:
        """The request body for one comparison (static prefix first)."""
        body: dict[str, Any] = {
            "model": self.settings.model,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            self.tokens_key: self.settings.max_tokens,
            **self.params.fields,
        }
        if structured:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": ANSWER_SCHEMA},
            }
        if self.send_cache_key and self.settings.prompt_caching and prompt.prefix:
            body["prompt_cache_key"] = prompt_cache_key(prompt)
        return body

    async def ask(self, prompt: JudgePrompt, *, structured: bool) -> JudgeAnswer:
        """Send one comparison and read the answer."""
        body = {**self.body(prompt, structured=structured), **self.extra}
        content, request_id = await self.call(lambda: self.post(body))
        completion = construct_response(ChatCompletion, content)
        try:
            return self.read(completion, content, request_id, structured=structured)
        except ProviderError as exc:  # a malformed answer is still billed
            exc.spent_usd = self.cost_of(completion.model, chat_usage(completion))
            raise

    def read(
        self, completion: ChatCompletion, raw: bytes, request_id: str | None, *, structured: bool
    ) -> JudgeAnswer:
        """``choices[0].message.content`` and ``usage`` into a JudgeAnswer."""
        if not completion.choices:
            raise malformed("no choices in the response")
        choice = completion.choices[0]
        text = choice.message.content
        if not text:
            if choice.finish_reason == "length":
                raise malformed("the answer was cut off at max_tokens (raise judge.max_tokens)")
            refusal = choice.message.refusal
            raise malformed(f"refused: {refusal}" if refusal else "empty message content")
        parsed: ParsedAnswer = parse_answer_json(text) if structured else parse_answer_text(text)
        return self.answer(
            parsed,
            model=completion.model,
            usage=chat_usage(completion),
            raw=raw,
            request_id=request_id or completion.id,
        )


def chat_usage(completion: ChatCompletion) -> TokenUsage:
    """Input (with cached and cache-write parts) and output (with reasoning) tokens."""
    usage = completion.usage
    if usage is None:
        return TokenUsage()
    prompt_details = usage.prompt_tokens_details
    output_details = usage.completion_tokens_details
    return TokenUsage(
        input_tokens=usage.prompt_tokens,
        cached_input_tokens=(prompt_details.cached_tokens or 0) if prompt_details else 0,
        cache_write_tokens=(prompt_details.cache_write_tokens or 0) if prompt_details else 0,
        output_tokens=usage.completion_tokens,
        reasoning_tokens=(output_details.reasoning_tokens or 0) if output_details else 0,
    )


class OpenAIJudge(ChatJudge):
    """OpenAI's API (or Azure OpenAI); key from ``OPENAI_API_KEY`` by default."""

    provider = "openai"

    async def judge(self, prompt: JudgePrompt, request: PairRequest) -> JudgeAnswer:
        return await self.ask(prompt, structured=self.settings.structured_output)
