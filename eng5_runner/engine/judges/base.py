"""The Judge protocol, the factory, and the error helpers providers share.

A judge turns one rendered prompt into a :class:`JudgeAnswer` or raises a
:class:`ProviderError` subclass; retrying is the scheduler's job. SDK judges
(:mod:`.sdk_judge`) resolve their API key from the environment when they are
built, so a missing key fails before any request, and never log or echo it.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import httpx

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

if TYPE_CHECKING:
    from eng5_runner.engine.http import SdkHttpClient

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
    client: SdkHttpClient | None = None,
    word_counts: Mapping[str, int] | None = None,
) -> Judge:
    """Build the configured judge.

    ``qualities`` (essay id → latent quality in grade steps) is required by the
    simulated judge; ``client`` (see :func:`eng5_runner.engine.http.build_client`)
    by the SDK judges. Raises ProviderAuthError if a required key is missing and
    ConfigError for parameters the provider would refuse.
    """
    if settings.provider == "simulated":
        from eng5_runner.engine.judges.simulated import SimulatedJudge

        if qualities is None:
            raise ValueError("the simulated judge needs latent qualities per essay")
        return SimulatedJudge(settings, qualities, word_counts=word_counts)
    if client is None:
        raise ValueError(f"the {settings.provider} judge needs an SDK HTTP client")
    if settings.provider == "openai":
        from eng5_runner.engine.judges.openai import OpenAIJudge

        return OpenAIJudge(settings, client)
    if settings.provider == "anthropic":
        from eng5_runner.engine.judges.anthropic import AnthropicJudge

        return AnthropicJudge(settings, client)
    from eng5_runner.engine.judges.openai_compatible import OpenAICompatibleJudge

    return OpenAICompatibleJudge(settings, client)


def transport_error(exc: httpx.TransportError, url: str) -> ProviderError:
    """Classify a transport failure (works for httpx's and aiohttp's transports)."""
    cause = exc.__cause__
    detail = f"{type(cause or exc).__name__}: {cause or exc}".rstrip(": ")
    if isinstance(exc, httpx.UnsupportedProtocol):
        raise ConfigError(f"judge.base_url gives an unsupported URL: {url}")
    from eng5_runner.engine.faults import classify

    classified = classify(exc, url)
    if classified is not None:
        return classified
    if isinstance(cause, TimeoutError) or isinstance(
        exc, httpx.ReadTimeout | httpx.WriteTimeout | httpx.PoolTimeout
    ):
        return ProviderTimeout(f"request to {url} timed out ({detail})")
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout) or isinstance(cause, OSError):
        return ProviderUnreachable(
            f"cannot connect to {url} ({detail})", hint="check judge.base_url and the network"
        )
    return ProviderResponseError(f"connection failed ({detail})", retryable=True)


class ErrorResponse(Protocol):
    """What :func:`status_error` reads (an ``httpx`` or ``httpx2`` response)."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def text(self) -> str: ...
    @property
    def reason_phrase(self) -> str: ...
    def json(self) -> Any: ...


def status_error(response: ErrorResponse, *, secrets: tuple[str, ...] = ()) -> ProviderError:
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


def retry_after_s(headers: Mapping[str, str]) -> float | None:
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


def _error_text(response: ErrorResponse) -> str:
    try:
        data = response.json()
        error = data.get("error") if isinstance(data, dict) else None
        text = error.get("message") if isinstance(error, dict) else None
        text = text or json.dumps(data)
    except (ValueError, UnicodeDecodeError):
        text = response.text
    text = " ".join(str(text).split())
    return text[:300] or response.reason_phrase
