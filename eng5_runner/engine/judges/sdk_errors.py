"""Map the provider SDKs' exceptions onto the project's ProviderError classes.

The SDKs run with ``max_retries=0``; this adapter is the only place that knows
their exception types, so the scheduler classifies failures exactly as it did
for the hand-written clients:

==============================================  =====================================
SDK exception (openai / anthropic)              ProviderError
==============================================  =====================================
``RateLimitError`` (429)                        ProviderRateLimited (+ Retry-After)
``AuthenticationError`` (401)                   ProviderAuthError (stops the run)
``APIStatusError`` 408/409/425/5xx/529          ProviderResponseError, retryable
``BadRequestError`` (400), 403, 422             ProviderResponseError, not retryable
``NotFoundError`` (404)                         ProviderResponseError naming judge.model
``APITimeoutError`` (a real timeout)            ProviderTimeout
``APIConnectionError``: refused, DNS            ProviderUnreachable (via ``engine.faults``)
``APIConnectionError``: reset, dropped          ProviderConnectionLost, retried
``APIResponseValidationError``                  malformed answer (re-asked once)
==============================================  =====================================
"""

from __future__ import annotations

import socket
import sys
from typing import Any, cast

import aiohttp
import httpx2

from eng5_runner.engine.faults import classify
from eng5_runner.engine.judges.base import redact, status_error
from eng5_runner.errors import (
    ProviderError,
    ProviderResponseError,
    ProviderTimeout,
    ProviderUnreachable,
)

_SDK_MODULES = ("openai", "anthropic")
_UNREACHABLE = (aiohttp.ClientConnectorError, ConnectionRefusedError, socket.gaierror)


def __getattr__(name: str) -> tuple[type[Exception], ...]:
    """``SDK_ERRORS``: both SDKs' base exceptions (imports both SDKs on first use)."""
    if name == "SDK_ERRORS":
        import anthropic
        import openai

        return (openai.OpenAIError, anthropic.AnthropicError)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _loaded(name: str) -> tuple[type[Exception], ...]:
    """The SDK exception class ``name`` of every SDK already imported.

    An exception of an SDK can only exist once that SDK is imported, so a run
    that judges with OpenAI never imports Anthropic (seconds of start-up).
    """
    modules = (sys.modules.get(module) for module in _SDK_MODULES)
    return tuple(getattr(module, name) for module in modules if module is not None)


def provider_error(exc: Exception, *, secrets: tuple[str, ...] = ()) -> ProviderError:
    """The ProviderError for an exception raised by an SDK call."""
    if isinstance(exc, _loaded("APIStatusError")):
        response: httpx2.Response = cast(Any, exc).response
        error = status_error(response, secrets=secrets)
        if response.status_code == 404:
            error.hint = "check judge.model and judge.base_url"
        return error
    if isinstance(exc, _loaded("APIConnectionError")):
        request: httpx2.Request = cast(Any, exc).request
        return _connection_error(exc, str(request.url))
    if isinstance(exc, _loaded("APIResponseValidationError")):
        return ProviderResponseError("malformed answer: the response does not fit", malformed=True)
    text = redact(" ".join(str(exc).split()), secrets)[:300]
    return ProviderResponseError(f"{type(exc).__name__}: {text}")


def _connection_error(exc: Exception, url: str) -> ProviderError:
    classified = classify(exc, url)  # refused / unreachable / lost / timeout, one rule for all
    if classified is not None:
        return classified
    chain = _causes(exc)
    root = chain[-1]
    detail = " ".join(f"{type(root).__name__}: {root}".split())[:200]
    if any(isinstance(c, _UNREACHABLE) for c in chain) or any(
        type(c) is httpx2.ConnectError for c in chain[1:2]
    ):
        return ProviderUnreachable(
            f"cannot connect to {url} ({detail})", hint="check judge.base_url and the network"
        )
    if any(isinstance(c, TimeoutError | httpx2.ReadTimeout | httpx2.WriteTimeout) for c in chain):
        return ProviderTimeout(f"request to {url} timed out ({detail})")
    return ProviderResponseError(f"connection failed ({detail})", retryable=True)


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain
