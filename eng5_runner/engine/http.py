"""The one shared ``httpx.AsyncClient`` for judge calls.

Transport chosen by measurement (``bench/bench_throughput.py``,
docs/performance.md): httpx's own pool stalls past ~16 concurrent connections
on these machines, while httpx over the aiohttp transport of ``httpx-aiohttp``
keeps up with 64 and more. Timeouts are explicit; tests inject a transport.
"""

from __future__ import annotations

from typing import Literal

import httpx

from eng5_runner.settings.models import JudgeSettings

TransportKind = Literal["aiohttp", "httpx"]
CONNECT_TIMEOUT_S = 10.0


def client_timeout(settings: JudgeSettings) -> httpx.Timeout:
    """Per-request limits: connect ≤ 10 s, read/write/pool = ``judge.timeout_s``."""
    return httpx.Timeout(settings.timeout_s, connect=min(CONNECT_TIMEOUT_S, settings.timeout_s))


POOL_HEADROOM = 2
"""Pool size = concurrency × this: the scheduler, not the pool, bounds requests in flight."""


def client_limits(settings: JudgeSettings) -> httpx.Limits:
    """A pool that never makes a request wait: 2 × concurrency connections, C kept alive.

    ``judge.concurrency`` workers hold at most C requests in flight; a pool of exactly C
    made a new request wait while a finished one's connection was still being released
    (≈39 of 64 in flight on average). aiohttp's per-host limit stays 0 (none): every
    request goes to the one judge host.
    """
    return httpx.Limits(
        max_connections=settings.concurrency * POOL_HEADROOM,
        max_keepalive_connections=settings.concurrency,
        keepalive_expiry=30.0,
    )


def build_transport(settings: JudgeSettings, kind: TransportKind) -> httpx.AsyncBaseTransport:
    """The aiohttp transport (default) or httpx's own pool (for comparison)."""
    limits = client_limits(settings)
    if kind == "httpx":
        return httpx.AsyncHTTPTransport(limits=limits)
    from httpx_aiohttp import AiohttpTransport

    return AiohttpTransport(limits=limits)


def build_client(
    settings: JudgeSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    kind: TransportKind = "aiohttp",
    trust_env: bool = True,
) -> httpx.AsyncClient:
    """An AsyncClient for the judge; close it with ``await client.aclose()``.

    With ``trust_env`` (default) proxy variables (``HTTPS_PROXY``, ``NO_PROXY``)
    and ``SSL_CERT_FILE`` are honoured as httpx does.
    """
    return httpx.AsyncClient(
        transport=transport or build_transport(settings, kind),
        timeout=client_timeout(settings),
        limits=client_limits(settings),
        headers={"user-agent": "eng5-runner"},
        trust_env=trust_env,
        follow_redirects=False,
    )
