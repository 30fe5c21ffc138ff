"""Classify transport failures: which are transient, which mean the host is down.

One place for the rule, whatever raised it: httpx (either transport), aiohttp
under ``httpx-aiohttp`` (which maps a reset to ``httpx.ConnectTimeout``), or an
official SDK (``openai.APIConnectionError``, ``anthropic.APITimeoutError``,
which wrap the httpx error as their cause). Exception classes are matched by
name along the MRO and the cause/context chain, so no SDK has to be imported.

- refused / DNS failure / no route → :class:`ProviderUnreachable` (``refused=True``):
  fatal on first contact, else retried and fatal once retries run out;
- reset, dropped, broken pipe, server disconnected, truncated body →
  :class:`ProviderConnectionLost`: transient, retried like a 5xx;
- timeouts → :class:`ProviderTimeout`.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

from eng5_runner.errors import (
    ProviderConnectionLost,
    ProviderError,
    ProviderTimeout,
    ProviderUnreachable,
)

_REFUSED = frozenset(
    {
        "ConnectionRefusedError",
        "ClientConnectorError",
        "ClientConnectorDNSError",
        "gaierror",
        "ConnectError",
    }
)
_LOST = frozenset(
    {
        "ConnectionResetError",
        "ConnectionAbortedError",
        "BrokenPipeError",
        "ServerDisconnectedError",
        "ClientOSError",
        "ClientPayloadError",
        "ReadError",
        "WriteError",
        "RemoteProtocolError",
        "IncompleteRead",
        "APIConnectionError",
        "CloseError",
    }
)
_TIMEOUT = frozenset(
    {
        "TimeoutError",
        "ReadTimeout",
        "WriteTimeout",
        "PoolTimeout",
        "ServerTimeoutError",
        "SocketTimeoutError",
        "APITimeoutError",
    }
)
_HINT = "check judge.base_url and the network"
_UNREACHABLE_ERRNOS = frozenset({errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH})


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, then its causes / contexts (at most 8 deep, no cycles)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 8:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _kind(link: BaseException, names: set[str]) -> str | None:
    if names & _REFUSED or isinstance(link, socket.gaierror):
        return "refused"
    if isinstance(link, OSError) and link.errno in _UNREACHABLE_ERRNOS:
        return "refused"
    if names & _LOST:
        return "lost"
    if "ConnectTimeout" in names:
        return "unreachable"
    if names & _TIMEOUT:
        return "timeout"
    return None


def classify(exc: BaseException, url: str = "") -> ProviderError | None:
    """The ProviderError ``exc`` stands for, or None when it is no transport failure.

    The deepest recognisable cause wins (an SDK's ``APIConnectionError`` caused by
    ``httpx.ConnectError`` caused by ``ConnectionRefusedError`` is a refusal).
    """
    if isinstance(exc, ProviderError):
        return exc
    kind: str | None = None
    detail = f"{type(exc).__name__}: {exc}"
    for link in _chain(exc):
        names = _names(link)
        found = _kind(link, names)
        if found is not None:
            kind = found
            detail = f"{type(link).__name__}: {link}".rstrip(": ")
    target = f" to {url}" if url else ""
    if kind == "refused":
        return ProviderUnreachable(f"cannot connect{target} ({detail})", hint=_HINT, refused=True)
    if kind == "unreachable":
        return ProviderUnreachable(f"cannot connect{target} ({detail})", hint=_HINT)
    if kind == "lost":
        return ProviderConnectionLost(f"connection{target} lost mid-request ({detail})")
    if kind == "timeout":
        return ProviderTimeout(f"request{target} timed out ({detail})")
    return None
