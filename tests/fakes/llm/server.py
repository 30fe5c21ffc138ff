"""The fake OpenAI + Anthropic server: routing, fault rules, prompt-cache simulation, lifecycle.

See :mod:`tests.fakes.llm_servers` for what it speaks and simulates.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.llm.anthropic_wire import anthropic_message, anthropic_prefix
from tests.fakes.llm.faults import DEFAULT_ANSWER, Answer, Fault, play_fault
from tests.fakes.llm.openai_wire import openai_completion, openai_prompt_text
from tests.fakes.llm.prompt_cache import PromptCache
from tests.fakes.llm.request_rules import invalid_request
from tests.fakes.llm.wire import error_response, first_user_text, listening_socket, prompt_tokens


@dataclass
class Recorded:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]
    body: Any
    fault: str | None
    at: float = 0.0
    """``time.time()`` when the request arrived."""

    @property
    def user_text(self) -> str:
        return first_user_text(self.body)


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
    validate_requests: bool = True
    cache_min_tokens: int = 1024
    """Prefixes shorter than this are never cached (the providers' minimum)."""
    reasoning_tokens: int = 0
    answer_tokens: int = 25
    requests: list[Recorded] = field(default_factory=list)
    hits: int = 0

    def __post_init__(self) -> None:
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._release: asyncio.Event | None = None
        self._cache = PromptCache()
        self.billed: list[dict[str, Any]] = []
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
            return error_response(400, "request body is not JSON")
        user = first_user_text(body)
        fault = self._take_fault(user)
        self.hits += 1
        if self.record_bodies:
            self.requests.append(
                Recorded(
                    request.path,
                    dict(request.headers),
                    body,
                    fault.kind if fault else None,
                    time.time(),
                )
            )
        if self.latency:
            await asyncio.sleep(self.latency)
        denied = self._check_key(request, kind)
        if denied is not None:
            return denied
        if kind == "openai" and self.reject_json_schema and "response_format" in body:
            return error_response(
                400, "response_format json_schema is not supported by this server"
            )
        if self.validate_requests:
            problem = invalid_request(kind, body)
            if problem is not None:
                return error_response(400, problem)
        answer = self.answer_fn(user)
        if fault is not None:
            response = await play_fault(fault, request, self._release)
            if response is not None:
                return response
            if fault.kind == "answer":
                answer = dict(fault.answer or {})
        request_id = f"req_{self.hits:06d}"
        payload = (
            self._openai_payload(body, answer, request_id)
            if kind == "openai"
            else self._anthropic_payload(body, answer, request_id)
        )
        header = "x-request-id" if kind == "openai" else "request-id"
        return web.Response(
            text=payload, content_type="application/json", headers={header: request_id}
        )

    # -- response bodies (the SDKs' own models) --------------------------------------
    def _bill(
        self, kind: str, body: dict[str, Any], total: int, cached: int, written: int, output: int
    ) -> None:
        """What the provider would bill: kept so tests can price it independently."""
        with self._lock:
            self.billed.append(
                {
                    "kind": kind,
                    "model": str(body.get("model")),
                    "input_tokens": total,
                    "cache_read_tokens": cached,
                    "cache_write_tokens": written,
                    "output_tokens": output,
                }
            )

    def _openai_payload(self, body: dict[str, Any], answer: Answer, request_id: str) -> str:
        tokens = prompt_tokens(body)
        key = body.get("prompt_cache_key")
        cached = (
            self._cache.shared_prefix(str(key), openai_prompt_text(body), self.cache_min_tokens)
            if key
            else 0
        )
        output = self.answer_tokens + self.reasoning_tokens
        self._bill("openai", body, tokens, cached, 0, output)
        return openai_completion(
            body,
            answer,
            request_id,
            prompt_tokens=tokens,
            cached=cached,
            output=output,
            reasoning_tokens=self.reasoning_tokens,
        )

    def _anthropic_payload(self, body: dict[str, Any], answer: Answer, request_id: str) -> str:
        total = prompt_tokens(body)
        prefix_text, prefix_key = anthropic_prefix(body)
        cached, written = self._cache.breakpoint_lookup(
            prefix_key, len(prefix_text) // 4, self.cache_min_tokens
        )
        output = self.answer_tokens + 5 + self.reasoning_tokens
        self._bill("anthropic", body, total, cached, written, output)
        return anthropic_message(
            body,
            answer,
            request_id,
            total=total,
            cached=cached,
            written=written,
            output=output,
            reasoning_tokens=self.reasoning_tokens,
        )

    def _check_key(self, request: web.Request, kind: str) -> web.Response | None:
        if self.api_key is None:
            return None
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if kind == "anthropic" and "x-api-key" in request.headers:
            given = request.headers["x-api-key"]
        if given != self.api_key:
            return error_response(401, f"Incorrect API key provided: {given}")
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
        sock = listening_socket()
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
