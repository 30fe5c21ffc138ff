"""What both wire formats share: the error body, message text, token counts, sockets."""

from __future__ import annotations

import socket
from typing import Any

from aiohttp import web


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """The providers' JSON error body with ``status``."""
    body = {"error": {"message": message, "type": "fake_error", "code": status}}
    return web.json_response(body, status=status, headers=headers)


def message_text(content: object) -> str:
    """A message's text, whether a string or a list of text blocks."""
    if isinstance(content, list):
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return str(content or "")


def first_user_text(body: dict[str, Any]) -> str:
    """The text of the request's first user message ("" without one)."""
    return next(
        (
            message_text(m.get("content"))
            for m in body.get("messages", [])
            if m.get("role") == "user"
        ),
        "",
    )


def prompt_tokens(body: dict[str, Any]) -> int:
    """Tokens of the request's messages and system prompt (characters / 4)."""
    messages = body.get("messages", [])
    return (
        sum(len(message_text(m.get("content"))) for m in messages)
        + len(message_text(body.get("system")))
    ) // 4


def common_prefix_length(a: str, b: str) -> int:
    """Length of the common prefix (binary search over slice comparisons, C speed)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def listening_socket() -> socket.socket:
    """A non-blocking loopback socket on a free port, listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port
