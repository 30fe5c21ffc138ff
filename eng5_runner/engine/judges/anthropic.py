"""Anthropic Messages judge (official ``anthropic`` SDK) with a JSON-schema answer.

Uses the SDK's default API version and current conventions: the answer comes
as structured output (``output_config.format`` of type ``json_schema``), which
unlike a forced tool call combines with extended thinking; ``reasoning_effort``
goes to ``output_config.effort``; the API takes no ``temperature``
(:func:`.model_params.anthropic_params`). The static prefix (system prompt,
then task and rubric) carries ``cache_control`` breakpoints, so every
comparison after the first reads it from the prompt cache. Usage counts cache
reads and writes separately; thinking tokens are part of the output.
"""

from __future__ import annotations

from typing import Any

from anthropic import AnthropicError, APIConnectionError, APITimeoutError
from anthropic.types import Message
from anthropic.types.message_create_params import MessageCreateParamsNonStreaming

from eng5_runner.engine.http import SdkHttpClient
from eng5_runner.engine.judges.model_params import anthropic_params
from eng5_runner.engine.judges.parsing import (
    ANSWER_SCHEMA,
    SCHEMA_NAME,
    ParsedAnswer,
    malformed,
    parse_answer,
    parse_answer_json,
    parse_answer_text,
)
from eng5_runner.engine.judges.prepared_post import PreparedPost
from eng5_runner.engine.judges.prompt import JudgePrompt
from eng5_runner.engine.judges.sdk_clients import anthropic_client, resolve_api_key
from eng5_runner.engine.judges.sdk_judge import SdkJudge, check_request, construct_response
from eng5_runner.engine.pricing import TokenUsage
from eng5_runner.engine.records import JudgeAnswer, PairRequest
from eng5_runner.errors import ProviderError
from eng5_runner.output.console import print_warning
from eng5_runner.settings.models import JudgeSettings

DEFAULT_MODEL = "claude-sonnet-5-5"
"""The newest Sonnet in the installed SDK's model list, not on its deprecation list."""
CACHE_CONTROL = {"type": "ephemeral"}
MANAGED_FIELDS = {"model", "max_tokens", "system", "messages", "output_config", "stream"}


class AnthropicJudge(SdkJudge):
    """Anthropic's Messages API; key from ``ANTHROPIC_API_KEY`` by default."""

    provider = "anthropic"
    sdk_errors = (AnthropicError,)

    def __init__(self, settings: JudgeSettings, http_client: SdkHttpClient) -> None:
        key = resolve_api_key(settings, required=True)
        super().__init__(settings, (key,) if key else ())
        self.client = anthropic_client(settings, http_client)
        self.post = PreparedPost(
            self.client,
            http_client,
            "/v1/messages",
            headers=None,
            request_id_header="request-id",
            timeout_error=APITimeoutError,
            connection_error=APIConnectionError,
        )
        self.params = anthropic_params(settings)
        self.warn_dropped(self.params)
        retired = deprecated_models().get(settings.model)
        if retired:
            print_warning(
                f"judge.model={settings.model} is deprecated by Anthropic and retires on "
                f"{retired}; the default is {DEFAULT_MODEL}"
            )
        managed = MANAGED_FIELDS | ({"thinking"} if "thinking" in self.params.fields else set())
        sample = self.body(JudgePrompt("s", "u"))
        merged = check_request(
            MessageCreateParamsNonStreaming, sample, settings.extra_body, managed
        )
        self.extra = {k: merged[k] for k in settings.extra_body}

    def body(self, prompt: JudgePrompt) -> dict[str, Any]:
        """The Messages request body for one comparison (static prefix first)."""
        caching = self.settings.prompt_caching
        system: Any = prompt.system
        content: Any = prompt.user
        if caching:
            system = [{"type": "text", "text": prompt.system, "cache_control": CACHE_CONTROL}]
            if prompt.prefix and prompt.user.startswith(prompt.prefix):
                content = [
                    {"type": "text", "text": prompt.prefix, "cache_control": CACHE_CONTROL},
                    {"type": "text", "text": prompt.dynamic},
                ]
        body: dict[str, Any] = {
            "model": self.settings.model,
            "max_tokens": self.settings.max_tokens,
            "system": system,
            "messages": [{"role": "user", "content": content}],
        }
        output_config: dict[str, Any] = {}
        if self.settings.structured_output:
            output_config["format"] = {"type": "json_schema", "schema": ANSWER_SCHEMA}
        if "effort" in self.params.fields:
            output_config["effort"] = self.params.fields["effort"]
        if output_config:
            body["output_config"] = output_config
        if "thinking" in self.params.fields:
            body["thinking"] = self.params.fields["thinking"]
        return body

    async def judge(self, prompt: JudgePrompt, request: PairRequest) -> JudgeAnswer:
        body = {**self.body(prompt), **self.extra}
        content, request_id = await self.call(lambda: self.post(body))
        message = construct_response(Message, content)
        try:
            parsed = self.parsed(message)
        except ProviderError as exc:  # a malformed answer is still billed
            exc.spent_usd = self.cost_of(message.model, message_usage(message))
            raise
        return self.answer(
            parsed,
            model=message.model,
            usage=message_usage(message),
            raw=content,
            request_id=request_id or message.id,
        )

    def parsed(self, message: Message) -> ParsedAnswer:
        """The answer from the first text block (or a ``comparison_result`` tool call)."""
        for block in message.content:
            if block.type == "tool_use" and block.name == SCHEMA_NAME:
                return parse_answer(block.input)
            if block.type == "text" and block.text.strip():
                if self.settings.structured_output:
                    return parse_answer_json(block.text)
                return parse_answer_text(block.text)
        if message.stop_reason == "max_tokens":
            raise malformed("the answer was cut off at max_tokens (raise judge.max_tokens)")
        if message.stop_reason == "refusal":
            raise malformed("the model refused to answer")
        raise malformed("no text answer in the response")


def deprecated_models() -> dict[str, str]:
    """The installed SDK's list of deprecated models and their end-of-life dates."""
    try:
        from anthropic._data import DEPRECATED_MODELS
    except ImportError:  # a private module: an SDK without it just gives no warning
        return {}
    return dict(DEPRECATED_MODELS)


def message_usage(message: Message) -> TokenUsage:
    """Anthropic's ``input_tokens`` excludes cache reads and writes; add them back."""
    usage = message.usage
    cached = usage.cache_read_input_tokens or 0
    written = usage.cache_creation_input_tokens or 0
    details = usage.output_tokens_details
    return TokenUsage(
        input_tokens=usage.input_tokens + cached + written,
        cached_input_tokens=cached,
        cache_write_tokens=written,
        output_tokens=usage.output_tokens,
        reasoning_tokens=details.thinking_tokens if details else 0,
    )
