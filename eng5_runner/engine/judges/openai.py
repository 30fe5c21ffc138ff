"""OpenAI Chat Completions judge with a strict JSON-schema answer.

``POST {base_url}/chat/completions`` with ``response_format`` of type
``json_schema``; reasoning models get ``reasoning_effort`` (and ``verbosity``
for the gpt-5 family) when configured; ``temperature`` only when set.
"""

from __future__ import annotations

from typing import Any

from eng5_runner.engine.judges.base import HttpJudge
from eng5_runner.engine.judges.parsing import (
    ANSWER_SCHEMA,
    SCHEMA_NAME,
    ParsedAnswer,
    as_dict,
    as_int,
    malformed,
    parse_answer_json,
    parse_answer_text,
)
from eng5_runner.engine.judges.prompt import JudgePrompt
from eng5_runner.engine.records import JudgeAnswer, PairRequest

DEFAULT_BASE_URL = "https://api.openai.com/v1"


def chat_body(
    judge: HttpJudge, prompt: JudgePrompt, *, structured: bool, tokens_key: str
) -> dict[str, Any]:
    """The Chat Completions request body for one comparison."""
    settings = judge.settings
    body: dict[str, Any] = {
        "model": settings.model,
        "messages": [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user},
        ],
        tokens_key: settings.max_tokens,
    }
    if structured:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": ANSWER_SCHEMA},
        }
    if settings.temperature is not None:
        body["temperature"] = settings.temperature
    if settings.reasoning_effort is not None:
        body["reasoning_effort"] = settings.reasoning_effort
    if settings.output_verbosity is not None:
        body["verbosity"] = settings.output_verbosity
    return body


def parse_chat_response(
    judge: HttpJudge, data: dict[str, Any], sha: str, *, structured: bool
) -> JudgeAnswer:
    """Read ``choices[0].message.content`` and ``usage`` into a JudgeAnswer."""
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise malformed("response has no choices")
    choice = choices[0]
    message = as_dict(choice.get("message"))
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        if message.get("refusal"):
            raise malformed(f"the model refused: {str(message['refusal'])[:120]}")
        if choice.get("finish_reason") == "length":
            raise malformed("the answer was cut off at max_tokens (raise judge.max_tokens)")
        raise malformed("the message has no content")
    parsed: ParsedAnswer = parse_answer_json(content) if structured else parse_answer_text(content)
    usage = as_dict(data.get("usage"))
    return judge.answer(
        parsed,
        model=data.get("model"),
        prompt_tokens=as_int(usage.get("prompt_tokens")),
        completion_tokens=as_int(usage.get("completion_tokens")),
        response_sha256=sha,
    )


class OpenAIJudge(HttpJudge):
    """OpenAI's Chat Completions API; key from ``OPENAI_API_KEY`` by default."""

    provider = "openai"

    @property
    def url(self) -> str:
        return (self.settings.base_url or DEFAULT_BASE_URL).rstrip("/") + "/chat/completions"

    async def judge(self, prompt: JudgePrompt, request: PairRequest) -> JudgeAnswer:
        structured = self.settings.structured_output
        body = chat_body(self, prompt, structured=structured, tokens_key="max_completion_tokens")
        data, sha = await self.post_json(self.url, body)
        return parse_chat_response(self, data, sha, structured=structured)
