"""The Judge protocol, the factory, and the HTTP plumbing providers share.

A judge turns one rendered prompt into a :class:`JudgeAnswer` or raises a
:class:`ProviderError` subclass; retrying is the scheduler's job. HTTP judges
resolve their API key from the environment when they are built, so a missing
key fails before any request, and they never log or echo the key.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import os
import re
import time
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import httpx

from eng5_runner.engine.judges.parsing import ParsedAnswer, malformed
from eng5_runner.engine.judges.prompt import JudgePrompt
from eng5_runner.engine.records import JudgeAnswer, PairRequest
from eng5_runner.errors import (
    ConfigError,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderResponseError,
    ProviderTimeout,
    ProviderUnreachable,
)
from eng5_runner.settings.models import JudgeSettings

DEFAULT_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
_KEY_LIKE = re.compile(r"\b(?:sk|pk|key|token)[-_][\w*.\-]{4,}", re.IGNORECASE)
_RETRYABLE_STATUS = {408, 409, 425, 500, 502, 503, 504, 520, 522, 524, 529}


@runtime_checkable
class Judge(Protocol):
    """Judges one comparison; ``provider``/``model`` name it in records."""

    provider: str
    model: str

    async def judge(self, prompt: JudgePrompt, request: PairRequest) -> JudgeAnswer:
        """Answer one comparison or raise a ProviderError subclass."""
        ...


def make_judge(
    settings: JudgeSettings,
    *,
    qualities: Mapping[str, float] | None = None,
    client: httpx.AsyncClient | None = None,
    word_counts: Mapping[str, int] | None = None,
) -> Judge:
    """Build the configured judge.

    ``qualities`` (essay id → latent quality in grade steps) is required by the
    simulated judge; ``client`` (see :func:`eng5_runner.engine.http.build_client`)
    by the HTTP judges. Raises ProviderAuthError if a required key is missing.
    """
    if settings.provider == "simulated":
        from eng5_runner.engine.judges.simulated import SimulatedJudge

        if qualities is None:
            raise ValueError("the simulated judge needs latent qualities per essay")
        return SimulatedJudge(settings, qualities, word_counts=word_counts)
    if client is None:
        raise ValueError(f"the {settings.provider} judge needs an httpx.AsyncClient")
    if settings.provider == "openai":
        from eng5_runner.engine.judges.openai import OpenAIJudge

        return OpenAIJudge(settings, client)
    if settings.provider == "anthropic":
        from eng5_runner.engine.judges.anthropic import AnthropicJudge

        return AnthropicJudge(settings, client)
    from eng5_runner.engine.judges.openai_compatible import OpenAICompatibleJudge

    return OpenAICompatibleJudge(settings, client)


def resolve_api_key(settings: JudgeSettings, *, required: bool) -> str | None:
    """The key from ``settings.api_key_env`` (or the provider's usual variable)."""
    name = settings.api_key_env or DEFAULT_KEY_ENV.get(settings.provider)
    key = os.environ.get(name, "").strip() if name else ""
    if not key and required:
        raise ProviderAuthError(
            f"judge.provider={settings.provider} needs an API key but the environment "
            f"variable {name} is not set",
            hint=f"export {name}=... (keys never go into config files)",
        )
    return key or None


class HttpJudge:
    """Shared by the HTTP providers: POST JSON, map failures, price tokens."""

    provider: str = ""
    key_required: bool = True

    def __init__(self, settings: JudgeSettings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.model = settings.model
        self.client = client
        key = resolve_api_key(settings, required=self.key_required)
        self.headers = self.auth_headers(key)
        self._secrets = (key,) if key else ()

    def auth_headers(self, key: str | None) -> dict[str, str]:
        """Headers carrying the key (subclasses decide the scheme)."""
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def post_json(self, url: str, body: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
        """POST ``body``; return the decoded JSON response and its sha256."""
        try:
            async with asyncio.timeout(self.settings.timeout_s):
                response = await self.client.post(url, json=body, headers=self.headers)
        except TimeoutError:
            raise ProviderTimeout(f"no answer within {self.settings.timeout_s:g} s") from None
        except httpx.TransportError as exc:
            raise transport_error(exc, url) from None
        if response.status_code >= 400:
            raise status_error(response, secrets=self._secrets)
        raw = response.content
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise malformed(f"response body is not JSON: {raw[:80]!r}") from None
        if not isinstance(data, dict):
            raise malformed("response body is not a JSON object")
        return data, hashlib.sha256(raw).hexdigest()

    def answer(
        self,
        parsed: ParsedAnswer,
        *,
        model: object,
        prompt_tokens: int,
        completion_tokens: int,
        response_sha256: str,
    ) -> JudgeAnswer:
        """A JudgeAnswer with the resolved model and the cost of its tokens."""
        cost = (
            prompt_tokens * self.settings.price_input_per_mtok
            + completion_tokens * self.settings.price_output_per_mtok
        ) / 1e6
        return JudgeAnswer(
            winner=parsed.winner,
            confidence=parsed.confidence,
            justification=parsed.justification,
            provider=self.provider,
            model=model if isinstance(model, str) and model else self.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost,
            response_sha256=response_sha256,
        )


def transport_error(exc: httpx.TransportError, url: str) -> ProviderError:
    """Classify a transport failure (works for httpx's and aiohttp's transports)."""
    cause = exc.__cause__
    detail = f"{type(cause or exc).__name__}: {cause or exc}".rstrip(": ")
    if isinstance(exc, httpx.UnsupportedProtocol):
        raise ConfigError(f"judge.base_url gives an unsupported URL: {url}")
    if isinstance(cause, TimeoutError) or isinstance(
        exc, httpx.ReadTimeout | httpx.WriteTimeout | httpx.PoolTimeout
    ):
        return ProviderTimeout(f"request to {url} timed out ({detail})")
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout) or isinstance(cause, OSError):
        return ProviderUnreachable(
            f"cannot connect to {url} ({detail})", hint="check judge.base_url and the network"
        )
    return ProviderResponseError(f"connection failed ({detail})", retryable=True)


def status_error(response: httpx.Response, *, secrets: tuple[str, ...] = ()) -> ProviderError:
    """The ProviderError for an HTTP error status (body message, truncated and redacted)."""
    status = response.status_code
    message = f"HTTP {status}: {redact(_error_text(response), secrets)}"
    if status == 429:
        return ProviderRateLimited(message, retry_after=retry_after_s(response.headers))
    if status == 401:
        return ProviderAuthError(message, hint="check the API key in the environment")
    retryable = status in _RETRYABLE_STATUS or status >= 500
    return ProviderResponseError(message, retryable=retryable)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` without the given secrets or anything that looks like an API key."""
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return _KEY_LIKE.sub("[redacted]", text)


def retry_after_s(headers: httpx.Headers) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
        error = data.get("error") if isinstance(data, dict) else None
        text = error.get("message") if isinstance(error, dict) else None
        text = text or json.dumps(data)
    except (ValueError, UnicodeDecodeError):
        text = response.text
    text = " ".join(str(text).split())
    return text[:300] or response.reason_phrase
