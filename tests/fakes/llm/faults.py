"""Faults the fake LLM server injects instead of (or before) an answer, and how it plays them."""

from __future__ import annotations

import asyncio
import socket
import struct
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.llm.wire import error_response

Answer = dict[str, Any]
DEFAULT_ANSWER: Answer = {"winner": "A", "justification": "Essay A is clearer.", "confidence": 4}


@dataclass
class Fault:
    """What to do instead of (or before) a normal answer."""

    kind: str
    """status | slow | stall | garbage | answer | drop | reset | echo"""
    status: int = 500
    retry_after: str | None = None
    delay: float = 0.0
    answer: Answer | None = None
    body: bytes = b"<html>502 upstream hiccup</html>"


def rate_limited(retry_after: str = "0") -> Fault:
    return Fault("status", status=429, retry_after=retry_after)


def server_error(status: int = 500) -> Fault:
    return Fault("status", status=status)


def slow(delay: float) -> Fault:
    return Fault("slow", delay=delay)


def garbage() -> Fault:
    return Fault("garbage")


def bad_answer(**answer: Any) -> Fault:
    return Fault("answer", answer=answer)


def stall() -> Fault:
    return Fault("stall")


def reset() -> Fault:
    """Abort the connection with a TCP RST (SO_LINGER 0): ``ConnectionResetError``."""
    return Fault("reset")


def echo_key(status: int = 400) -> Fault:
    """An error body that echoes the request's Authorization / x-api-key header."""
    return Fault("echo", status=status)


async def play_fault(
    fault: Fault, request: web.Request, release: asyncio.Event | None
) -> web.StreamResponse | None:
    """Play ``fault`` on ``request``: the response to send instead, or None to answer.

    ``slow`` and ``stall`` wait first (``stall`` until ``release`` is set); an ``answer``
    fault is the caller's to apply (it replaces the answer, not the response).
    """
    if fault.kind == "status":
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
        return error_response(fault.status, f"injected {fault.status}", headers)
    if fault.kind == "slow":
        await asyncio.sleep(fault.delay)
    elif fault.kind == "stall":
        assert release is not None
        await release.wait()
    elif fault.kind == "garbage":
        return web.Response(body=fault.body, content_type="text/html")
    elif fault.kind == "drop":
        assert request.transport is not None
        request.transport.close()
        return web.Response(status=500)
    elif fault.kind == "reset":
        transport = request.transport
        assert transport is not None
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        return web.Response(status=500)
    elif fault.kind == "echo":
        given = request.headers.get("Authorization") or request.headers.get("x-api-key")
        return error_response(fault.status, f"bad request with credentials {given}")
    return None
