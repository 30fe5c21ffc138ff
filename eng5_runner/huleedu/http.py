"""HTTP calls to HuleEdu services: explicit timeouts, bounded retries, clear errors.

4xx → :class:`HttpStatusError` at once, naming the endpoint and the fix;
5xx and connection errors → retried with backoff, then a ServiceError.
Request headers (which may hold tokens) never appear in a message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from eng5_runner.errors import ServiceError

log = logging.getLogger(__name__)


class HttpStatusError(ServiceError):
    """A service answered with an unexpected status; keeps the status and body excerpt."""

    def __init__(self, message: str, *, status: int, body: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.body = body


def safe_url(url: str) -> str:
    """``url`` without user:password (for messages and logs)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def make_client(timeout_s: float) -> httpx.AsyncClient:
    """An httpx client with explicit connect/read/write/pool timeouts."""
    timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0))
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False)


def body_excerpt(response: httpx.Response, limit: int = 200) -> str:
    """The first ``limit`` characters of the body, on one line."""
    try:
        text = response.text
    except Exception:  # undecodable body
        text = repr(response.content[:limit])
    return " ".join(text.split())[:limit]


class ServiceCaller:
    """Sends requests with retries; one per run, sharing one httpx client."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        retries: int = 3,
        backoff_s: float = 0.5,
        backoff_max_s: float = 8.0,
    ) -> None:
        self.client = client
        self.retries = retries
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s

    async def request(
        self,
        method: str,
        url: str,
        *,
        endpoint: str,
        expected: Collection[int],
        hint: str,
        status_hints: Mapping[int, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send; return the response when its status is ``expected``; else raise."""
        shown = f"{endpoint} ({method} {safe_url(url)})"
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                response = await self.client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if attempt == attempts:
                    raise ServiceError(
                        f"{shown} could not be reached after {attempts} attempt(s): {reason}",
                        hint=hint,
                    ) from None
                log.warning("%s: %s; retrying (%d/%d)", shown, reason, attempt, attempts)
                await self._sleep(attempt)
                continue
            if response.status_code in expected:
                return response
            excerpt = body_excerpt(response)
            if response.status_code >= 500 and attempt < attempts:
                log.warning(
                    "%s answered %d; retrying (%d/%d)",
                    shown,
                    response.status_code,
                    attempt,
                    attempts,
                )
                await self._sleep(attempt)
                continue
            tries = f" after {attempts} attempt(s)" if response.status_code >= 500 else ""
            status_hint = (status_hints or {}).get(response.status_code, hint)
            raise HttpStatusError(
                f"{shown} answered {response.status_code}{tries}: {excerpt or '(empty body)'}",
                status=response.status_code,
                body=excerpt,
                hint=status_hint,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    async def _sleep(self, attempt: int) -> None:
        await asyncio.sleep(min(self.backoff_s * 2 ** (attempt - 1), self.backoff_max_s))
