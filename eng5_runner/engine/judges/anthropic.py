"""Anthropic Messages judge: the answer comes as a forced ``comparison_result`` tool call.

``POST {base_url}/v1/messages`` with ``x-api-key`` and ``anthropic-version``;
``reasoning_effort``/``output_verbosity`` do not apply (extended thinking
cannot be combined with a forced tool choice).
"""

from __future__ import annotations

from typing import Any

import httpx

from eng5_runner.engine.judges.base import HttpJudge
from eng5_runner.engine.judges.parsing import (
    ANSWER_SCHEMA,
    SCHEMA_NAME,
    as_dict,
    as_int,
    malformed,
    parse_answer,
)
from eng5_runner.engine.judges.prompt import JudgePrompt
from eng5_runner.engine.records import JudgeAnswer, PairRequest
from eng5_runner.errors import ConfigError
from eng5_runner.settings.models import JudgeSettings

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
TOOL = {
    "name": SCHEMA_NAME,
    "description": "Record which essay is better, why, and how confident you are.",
    "input_schema": ANSWER_SCHEMA,
}


class AnthropicJudge(HttpJudge):
    """Anthropic's Messages API; key from ``ANTHROPIC_API_KEY`` by default."""

    provider = "anthropic"

    def __init__(self, settings: JudgeSettings, client: httpx.AsyncClient) -> None:
        if settings.temperature is not None and settings.temperature > 1.0:
            raise ConfigError(
                f"judge.temperature={settings.temperature:g}: Anthropic accepts 0-1",
                hint="set judge.temperature to a value in [0, 1]",
            )
        super().__init__(settings, client)
        base = (settings.base_url or DEFAULT_BASE_URL).rstrip("/")
        self.url = base + ("/messages" if base.endswith("/v1") else "/v1/messages")

    def auth_headers(self, key: str | None) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if key:
            headers["x-api-key"] = key
        return headers

    def body(self, prompt: JudgePrompt) -> dict[str, Any]:
        """The Messages request body for one comparison."""
        body: dict[str, Any] = {
            "model": self.settings.model,
            "max_tokens": self.settings.max_tokens,
            "system": prompt.system,
            "messages": [{"role": "user", "content": prompt.user}],
            "tools": [TOOL],
            "tool_choice": {"type": "tool", "name": SCHEMA_NAME},
        }
        if self.settings.temperature is not None:
            body["temperature"] = self.settings.temperature
        return body

    async def judge(self, prompt: JudgePrompt, request: PairRequest) -> JudgeAnswer:
        data, sha = await self.post_json(self.url, self.body(prompt))
        blocks = data.get("content")
        tool_input = None
        for block in blocks if isinstance(blocks, list) else []:
            if (
                isinstance(block, dict)
                and block.get("type") == "tool_use"
                and block.get("name") == SCHEMA_NAME
            ):
                tool_input = block.get("input")
                break
        if tool_input is None:
            if data.get("stop_reason") == "max_tokens":
                raise malformed("the answer was cut off at max_tokens (raise judge.max_tokens)")
            raise malformed(f"no {SCHEMA_NAME} tool call in the response")
        usage = as_dict(data.get("usage"))
        prompt_tokens = sum(
            as_int(usage.get(k))
            for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        )
        return self.answer(
            parse_answer(tool_input),
            model=data.get("model"),
            prompt_tokens=prompt_tokens,
            completion_tokens=as_int(usage.get("output_tokens")),
            response_sha256=sha,
        )
