"""Fake LLM providers: a real aiohttp server on 127.0.0.1 speaking both wire formats.

``POST /v1/chat/completions`` answers like OpenAI Chat Completions (JSON in
``message.content``; plain text with a fenced JSON object when no
``response_format`` was asked for) and ``POST /v1/messages`` like Anthropic
Messages (a ``comparison_result`` tool_use block). Faults are injected by
rules: the next matching request(s) get a status (429 with Retry-After, 500,
401, 400), a slow or stalled answer, a garbage body, a dropped connection or
an answer that breaks the schema. Every request is recorded.

Runs in a background thread for tests (``with FakeLLMServer() as server``) or
as a process for benchmarks: ``python tests/fakes/llm_servers.py --latency 0.05``
prints the base URL and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

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


@dataclass
class Recorded:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: Any
    fault: str | None

    @property
    def user_text(self) -> str:
        for message in self.body.get("messages", []):
            if message.get("role") == "user":
                return str(message.get("content"))
        return ""


@dataclass
class _Rule:
    fault: Fault
    times: int
    match: str | None


@dataclass
class FakeLLMServer:
    """A fake OpenAI + Anthropic server; see the module docstring."""

    latency: float = 0.0
    api_key: str | None = None
    reject_json_schema: bool = False
    answer_fn: Callable[[str], Answer] = field(default=lambda user: dict(DEFAULT_ANSWER))
    record_bodies: bool = True
    requests: list[Recorded] = field(default_factory=list)
    hits: int = 0

    def __post_init__(self) -> None:
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._release: asyncio.Event | None = None
        self.port = 0

    # -- configuration -------------------------------------------------------------
    def add_fault(self, fault: Fault, *, times: int = 1, match: str | None = None) -> None:
        """The next ``times`` requests (whose user text contains ``match``) get ``fault``."""
        with self._lock:
            self._rules.append(_Rule(fault, times, match))

    def clear_faults(self) -> None:
        """Forget every pending fault rule."""
        with self._lock:
            self._rules.clear()

    def release_stalled(self) -> None:
        """Let stalled requests go on (they then answer normally)."""
        if self._loop is not None and self._release is not None:
            self._loop.call_soon_threadsafe(self._release.set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    def count(self, path_suffix: str = "") -> int:
        return sum(1 for r in self.requests if r.path.endswith(path_suffix))

    # -- request handling -----------------------------------------------------------
    def _take_fault(self, user: str) -> Fault | None:
        with self._lock:
            for rule in self._rules:
                if rule.times > 0 and (rule.match is None or rule.match in user):
                    rule.times -= 1
                    return rule.fault
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        kind = "openai" if request.path.endswith("/chat/completions") else "anthropic"
        raw = await request.read()
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            return _error(400, "request body is not JSON")
        user = next(
            (str(m.get("content")) for m in body.get("messages", []) if m.get("role") == "user"), ""
        )
        fault = self._take_fault(user)
        self.hits += 1
        if self.record_bodies:
            self.requests.append(
                Recorded(request.path, dict(request.headers), body, fault.kind if fault else None)
            )
        if self.latency:
            await asyncio.sleep(self.latency)
        denied = self._check_key(request, kind)
        if denied is not None:
            return denied
        if kind == "openai" and self.reject_json_schema and "response_format" in body:
            return _error(400, "response_format json_schema is not supported by this server")
        answer = self.answer_fn(user)
        if fault is not None:
            if fault.kind == "status":
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
                return _error(fault.status, f"injected {fault.status}", headers)
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay)
            elif fault.kind == "stall":
                assert self._release is not None
                await self._release.wait()
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
                return _error(fault.status, f"bad request with credentials {given}")
            elif fault.kind == "answer":
                answer = dict(fault.answer or {})
        payload = (
            _openai_payload(body, answer) if kind == "openai" else _anthropic_payload(body, answer)
        )
        return web.json_response(payload)

    def _check_key(self, request: web.Request, kind: str) -> web.Response | None:
        if self.api_key is None:
            return None
        given = (
            request.headers.get("Authorization", "").removeprefix("Bearer ")
            if kind == "openai"
            else request.headers.get("x-api-key", "")
        )
        if given != self.api_key:
            return _error(401, f"Incorrect API key provided: {given}")
        return None

    # -- lifecycle -------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        app.router.add_post("/v1/messages", self._handle)
        return app

    async def serve(self, sock: socket.socket) -> None:
        self._release = asyncio.Event()
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    def start(self) -> FakeLLMServer:
        sock = _listening_socket()
        self.port = sock.getsockname()[1]
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.serve(sock))
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-llm-server", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        loop = self._loop

        async def shutdown() -> None:
            if self._release is not None:
                self._release.set()
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
        loop.close()
        self._loop = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _listening_socket() -> socket.socket:
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


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"message": message, "type": "fake_error", "code": status}}
    return web.json_response(body, status=status, headers=headers)


def _tokens(body: dict[str, Any]) -> int:
    messages = body.get("messages", [])
    return (
        sum(len(str(m.get("content", ""))) for m in messages) + len(str(body.get("system", "")))
    ) // 4


def _openai_payload(body: dict[str, Any], answer: Answer) -> dict[str, Any]:
    text = json.dumps(answer)
    if "response_format" not in body:
        text = f"Here is my verdict.\n```json\n{text}\n```"
    return {
        "id": f"chatcmpl-{time.time_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": f"{body.get('model')}-2025-01-01",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": text, "refusal": None},
            }
        ],
        "usage": {
            "prompt_tokens": _tokens(body),
            "completion_tokens": 25,
            "total_tokens": _tokens(body) + 25,
        },
    }


def _anthropic_payload(body: dict[str, Any], answer: Answer) -> dict[str, Any]:
    return {
        "id": f"msg_{time.time_ns()}",
        "type": "message",
        "role": "assistant",
        "model": f"{body.get('model')}-20250101",
        "content": [
            {"type": "tool_use", "id": "toolu_1", "name": "comparison_result", "input": answer}
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": _tokens(body), "output_tokens": 30},
    }


def main() -> None:
    """Serve in this process (for benchmarks); print the base URL, run until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    server = FakeLLMServer(latency=args.latency, record_bodies=False)
    sock = _listening_socket()

    async def run() -> None:
        await server.serve(sock)
        print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
