"""Any OpenAI-compatible server (vLLM, Ollama, llama.cpp) by ``base_url``.

The OpenAI SDK with ``base_url``; ``max_tokens`` (understood by every such
server), the configured generation parameters as given (the server's model
family is unknown), an optional key, no ``prompt_cache_key``, and
``judge.extra_body`` passed through unchecked (server-specific fields such as
``top_k``). If ``structured_output`` is off, or the server answers 400 to a
``json_schema`` request, the answer is read as free text: the first JSON
object in it. A successful fallback is remembered for the rest of the run.
"""

from __future__ import annotations

from typing import Any

from eng5_runner.engine.http import SdkHttpClient
from eng5_runner.engine.judges.model_params import ModelParams, compatible_params
from eng5_runner.engine.judges.openai import ChatJudge
from eng5_runner.engine.judges.prompt import JudgePrompt
from eng5_runner.engine.records import JudgeAnswer, PairRequest
from eng5_runner.errors import ConfigError, ProviderResponseError
from eng5_runner.settings.models import JudgeSettings


class OpenAICompatibleJudge(ChatJudge):
    """Chat Completions against ``judge.base_url``; key optional."""

    provider = "openai_compatible"
    tokens_key = "max_tokens"
    key_required = False
    send_cache_key = False

    def __init__(self, settings: JudgeSettings, http_client: SdkHttpClient) -> None:
        if not settings.base_url:
            raise ConfigError(
                "judge.provider=openai_compatible needs judge.base_url",
                hint="set judge.base_url=http://host:port/v1",
            )
        super().__init__(settings, http_client)
        self.structured = settings.structured_output

    def model_params(self) -> ModelParams:
        return compatible_params(self.settings)

    def checked_extra(self, sample: dict[str, Any]) -> dict[str, Any]:
        return dict(self.settings.extra_body)

    async def judge(self, prompt: JudgePrompt, request: PairRequest) -> JudgeAnswer:
        if self.structured:
            try:
                return await self.ask(prompt, structured=True)
            except ProviderResponseError as exc:
                if not exc.message.startswith("HTTP 400"):
                    raise
        answer = await self.ask(prompt, structured=False)
        self.structured = False
        return answer
