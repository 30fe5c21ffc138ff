"""Any OpenAI-compatible server (vLLM, Ollama, llama.cpp) by ``base_url``.

Same Chat Completions wire format as :mod:`.openai`, with ``max_tokens``
(understood by every such server) and an optional key. If
``structured_output`` is off, or the server answers 400 to a ``json_schema``
request, the answer is read as free text: the first JSON object in it. A
successful fallback is remembered for the rest of the run.
"""

from __future__ import annotations

import httpx

from eng5_runner.engine.judges.base import HttpJudge
from eng5_runner.engine.judges.openai import chat_body, parse_chat_response
from eng5_runner.engine.judges.prompt import JudgePrompt
from eng5_runner.engine.records import JudgeAnswer, PairRequest
from eng5_runner.errors import ConfigError, ProviderResponseError
from eng5_runner.settings.models import JudgeSettings


class OpenAICompatibleJudge(HttpJudge):
    """Chat Completions against ``judge.base_url``; key optional."""

    provider = "openai_compatible"
    key_required = False

    def __init__(self, settings: JudgeSettings, client: httpx.AsyncClient) -> None:
        if not settings.base_url:
            raise ConfigError(
                "judge.provider=openai_compatible needs judge.base_url",
                hint="set judge.base_url=http://host:port/v1",
            )
        super().__init__(settings, client)
        self.structured = settings.structured_output
        self.url = settings.base_url.rstrip("/") + "/chat/completions"

    async def judge(self, prompt: JudgePrompt, request: PairRequest) -> JudgeAnswer:
        if self.structured:
            body = chat_body(self, prompt, structured=True, tokens_key="max_tokens")
            try:
                data, sha = await self.post_json(self.url, body)
            except ProviderResponseError as exc:
                if not exc.message.startswith("HTTP 400"):
                    raise
            else:
                return parse_chat_response(self, data, sha, structured=True)
        body = chat_body(self, prompt, structured=False, tokens_key="max_tokens")
        data, sha = await self.post_json(self.url, body)
        answer = parse_chat_response(self, data, sha, structured=False)
        self.structured = False
        return answer
