"""POST one endpoint's comparisons by replaying the request the SDK prepared.

Every comparison of a run goes to the same URL with the same headers; only the
JSON body differs. The official SDK builds and sends the first request itself
(``client.post``: its auth, default and platform headers, base URL, timeouts).
Later requests reuse that request's URL, headers and timeout with the new body
and go through the same shared HTTP client; their failures are raised as the
SDK's own exceptions (the client's status-error mapping, ``APITimeoutError``,
``APIConnectionError``), so fault classification is unchanged. This skips the
SDK's per-call option copying, header merging and URL parsing: about a third
of the client CPU per comparison (docs/performance.md).

Only a client whose requests cannot differ except in their body is replayed
(:func:`replayable`): plain ``AsyncOpenAI`` / ``AsyncAnthropic`` with a static
key, no idempotency header, no token provider or custom auth. Any other
client (Azure OpenAI, refreshed credentials) sends every call through
``client.post``.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
from pydantic_core import to_json

REPLAYABLE_CLIENTS = frozenset({"AsyncOpenAI", "AsyncAnthropic"})
_PER_CALL_AUTH = (
    "_api_key_provider",
    "_workload_identity_auth",
    "_provider_runtime",
    "_token_cache",
)
_BODY_HEADERS = frozenset({"content-length", "transfer-encoding"})
_TRANSPORT_ERRORS = (httpx2.RequestError, ssl.SSLError, anyio.EndOfStream)


def encode_body(body: Mapping[str, Any]) -> bytes:
    """A JSON request body, as the SDK encodes it (``openapi_dumps``), ~6x faster.

    pydantic-core writes the same compact UTF-8 JSON as the SDK's
    ``json.dumps(ensure_ascii=False, separators=(",", ":"))``: strings, ints
    and structure byte for byte; a float may be spelled differently for the
    same value (``0.00001`` for ``1e-05``). See tests/engine/test_prepared_post.py.
    """
    return to_json(body)


def replayable(client: Any) -> bool:
    """True if every request of ``client`` to one path differs only in its body."""
    if type(client).__name__ not in REPLAYABLE_CLIENTS:
        return False
    if getattr(client, "custom_auth", None) is not None:
        return False
    if getattr(client, "_idempotency_header", None) is not None:
        return False
    if any(getattr(client, name, None) is not None for name in _PER_CALL_AUTH):
        return False
    return callable(getattr(client, "_make_status_error_from_response", None))


@dataclass(frozen=True, slots=True)
class _Template:
    url: httpx2.URL
    headers: httpx2.Headers
    extensions: dict[str, Any]


class PreparedPost:
    """Sends JSON bodies to ``path`` through ``client``; see the module docstring.

    ``timeout_error`` and ``connection_error`` are the SDK's ``APITimeoutError``
    and ``APIConnectionError`` (both take ``request=``).
    """

    def __init__(
        self,
        client: Any,
        http_client: httpx2.AsyncClient,
        path: str,
        *,
        headers: Mapping[str, Any] | None,
        request_id_header: str,
        timeout_error: Callable[..., Exception],
        connection_error: Callable[..., Exception],
    ) -> None:
        self.client = client
        self.http_client = http_client
        self.path = path
        self.options: dict[str, Any] = {"headers": dict(headers)} if headers else {}
        self.request_id_header = request_id_header
        self.timeout_error = timeout_error
        self.connection_error = connection_error
        self.replay = replayable(client)
        self.template: _Template | None = None

    async def __call__(self, body: Mapping[str, Any]) -> tuple[bytes, str | None]:
        """The raw response body and the provider's request id."""
        if self.template is None:
            response = await self._through_sdk(body)
        else:
            response = await self._replayed(self.template, encode_body(body))
        return response.content, response.headers.get(self.request_id_header)

    async def _through_sdk(self, body: Mapping[str, Any]) -> httpx2.Response:
        response: httpx2.Response = await self.client.post(
            self.path, cast_to=httpx2.Response, body=dict(body), options=self.options
        )
        if self.replay:
            sent = response.request
            headers = httpx2.Headers(
                [(k, v) for k, v in sent.headers.multi_items() if k.lower() not in _BODY_HEADERS]
            )
            self.template = _Template(sent.url, headers, dict(sent.extensions))
        return response

    async def _replayed(self, template: _Template, content: bytes) -> httpx2.Response:
        request = httpx2.Request(
            "POST",
            template.url,
            headers=template.headers,
            content=content,
            extensions=template.extensions,
        )
        try:
            response = await self.http_client.send(request)
        except httpx2.TimeoutException as exc:
            raise self.timeout_error(request=request) from exc
        except _TRANSPORT_ERRORS as exc:
            raise self.connection_error(request=request) from exc
        if not response.is_success:
            raise self.client._make_status_error_from_response(response)
        return response
