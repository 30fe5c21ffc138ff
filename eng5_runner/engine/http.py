"""The one shared HTTP client the provider SDKs send judge calls through.

The official ``openai`` and ``anthropic`` SDKs speak ``httpx2``; both ship an
aiohttp transport (``DefaultAioHttpClient``, the ``[aiohttp]`` extra), chosen
by measurement (``bench/bench_throughput.py``, docs/performance.md): httpx's
own pool stalls past ~16 concurrent connections on these machines, aiohttp
keeps up with 64 and more. One client serves every SDK client of a run, with
explicit timeouts and one kept-alive connection per concurrent request; tests
inject an ``httpx2`` transport.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx2

from eng5_runner.settings.models import JudgeSettings

TransportKind = Literal["aiohttp", "httpx"]
CONNECT_TIMEOUT_S = 10.0
SdkHttpClient = httpx2.AsyncClient
"""What :func:`build_client` returns and the SDK clients accept as ``http_client``."""


def client_timeout(settings: JudgeSettings) -> httpx2.Timeout:
    """Per-request limits: connect ≤ 10 s, read/write/pool = ``judge.timeout_s``."""
    return httpx2.Timeout(settings.timeout_s, connect=min(CONNECT_TIMEOUT_S, settings.timeout_s))


POOL_HEADROOM = 2
"""Pool size = concurrency × this: the scheduler, not the pool, bounds requests in flight."""


def client_limits(settings: JudgeSettings) -> httpx2.Limits:
    """A pool that never makes a request wait: 2 × concurrency connections, C kept alive.

    ``judge.concurrency`` workers hold at most C requests in flight; a pool of exactly C
    made a new request wait while a finished one's connection was still being released
    (≈39 of 64 in flight on average). aiohttp's per-host limit stays 0 (none): every
    request goes to the one judge host.
    """
    return httpx2.Limits(
        max_connections=settings.concurrency * POOL_HEADROOM,
        max_keepalive_connections=settings.concurrency,
        keepalive_expiry=30.0,
    )


def build_client(
    settings: JudgeSettings,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    kind: TransportKind = "aiohttp",
    trust_env: bool = True,
) -> SdkHttpClient:
    """An ``httpx2.AsyncClient`` for the SDKs; close it with ``await client.aclose()``.

    ``kind="aiohttp"`` (default) is the SDKs' ``DefaultAioHttpClient``;
    ``"httpx"`` is httpx2's own pool (for comparison). With ``trust_env``
    proxy variables (``HTTPS_PROXY``, ``NO_PROXY``) and ``SSL_CERT_FILE`` apply.
    """
    options: dict[str, Any] = {
        "timeout": client_timeout(settings),
        "limits": client_limits(settings),
        "headers": {"user-agent": "eng5-runner"},
        "trust_env": trust_env,
        "follow_redirects": False,
    }
    if transport is not None:
        return httpx2.AsyncClient(transport=transport, **options)
    if kind == "httpx":
        return httpx2.AsyncClient(**options)
    from openai import DefaultAioHttpClient  # the SDKs are slow to import: only when judging

    return DefaultAioHttpClient(**options)
