"""Fake LLM providers: a real aiohttp server on 127.0.0.1 speaking both wire formats.

``POST /v1/chat/completions`` answers like OpenAI Chat Completions (JSON in
``message.content``; plain text with a fenced JSON object when no
``response_format`` was asked for) and ``POST /v1/messages`` like Anthropic
Messages (a JSON text block for ``output_config.format``, a
``comparison_result`` tool_use block when tools are given). Bodies are built
with the SDKs' own response models (``ChatCompletion``, ``Message``) and
``model_dump_json()``; requests are validated against the SDKs' request
TypedDicts (``validate_requests``; an invalid one gets a 400 naming the field).

Prompt caching is simulated: a prompt whose cacheable prefix (OpenAI: system
message + ``prompt_cache_key``; Anthropic: blocks up to the last
``cache_control`` breakpoint) was seen before reports it as cached input
(``cached_tokens`` / ``cache_read_input_tokens``), the first one as a cache
write (Anthropic ``cache_creation_input_tokens``); ``reasoning_tokens`` are
reported as part of the output. Tokens = characters / 4. Faults are injected by
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
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from anthropic.types import Message, TextBlock, ToolUseBlock
from anthropic.types import Usage as AnthropicUsage
from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
from anthropic.types.output_tokens_details import OutputTokensDetails
from openai.types.chat import ChatCompletion, ChatCompletionMessage
from openai.types.chat.chat_completion import Choice
from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming
from openai.types.completion_usage import (
    CompletionTokensDetails,
    CompletionUsage,
    PromptTokensDetails,
)
from pydantic import TypeAdapter, ValidationError

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
    at: float = 0.0
    """``time.time()`` when the request arrived."""

    @property
    def user_text(self) -> str:
        for message in self.body.get("messages", []):
            if message.get("role") == "user":
                return _text(message.get("content"))
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
        self._cached: set[str] = set()
        self._prompts: dict[str, list[str]] = {}
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
            return _error(400, "request body is not JSON")
        user = next(
            (_text(m.get("content")) for m in body.get("messages", []) if m.get("role") == "user"),
            "",
        )
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
            return _error(400, "response_format json_schema is not supported by this server")
        if self.validate_requests:
            problem = invalid_request(kind, body)
            if problem is not None:
                return _error(400, problem)
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
    def _cache_lookup(self, key: str, tokens: int) -> tuple[int, int]:
        """(cached, written) tokens for a cacheable prefix of ``tokens`` tokens."""
        if tokens < self.cache_min_tokens or tokens == 0:
            return 0, 0
        with self._lock:
            if key in self._cached:
                return tokens, 0
            self._cached.add(key)
        return 0, tokens

    def _prefix_cached(self, key: str, text: str) -> int:
        """OpenAI-style: the longest prefix shared with an earlier prompt under ``key``,
        in 128-token steps, once it reaches ``cache_min_tokens``."""
        with self._lock:
            earlier = self._prompts.setdefault(key, [])
            common = max((_common_prefix(text, e) for e in earlier), default=0)
            earlier.append(text)
            del earlier[:-8]
        tokens = common // 4 // 128 * 128
        return tokens if tokens >= self.cache_min_tokens else 0

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
        text = json.dumps(answer)
        if "response_format" not in body:
            text = f"Here is my verdict.\n```json\n{text}\n```"
        prompt_tokens = _tokens(body)
        cached = 0
        key = body.get("prompt_cache_key")
        if key:
            prompt_text = "".join(_text(m.get("content")) for m in body["messages"])
            cached = self._prefix_cached(str(key), prompt_text)
        output = self.answer_tokens + self.reasoning_tokens
        self._bill("openai", body, prompt_tokens, cached, 0, output)
        completion = ChatCompletion(
            id=f"chatcmpl-{request_id}",
            object="chat.completion",
            created=int(time.time()),
            model=f"{body.get('model')}-2025-01-01",
            choices=[
                Choice(
                    index=0,
                    finish_reason="stop",
                    message=ChatCompletionMessage(role="assistant", content=text),
                )
            ],
            usage=CompletionUsage(
                prompt_tokens=prompt_tokens,
                completion_tokens=output,
                total_tokens=prompt_tokens + output,
                prompt_tokens_details=PromptTokensDetails(cached_tokens=cached),
                completion_tokens_details=CompletionTokensDetails(
                    reasoning_tokens=self.reasoning_tokens
                ),
            ),
        )
        return completion.model_dump_json()

    def _anthropic_payload(self, body: dict[str, Any], answer: Answer, request_id: str) -> str:
        total = _tokens(body)
        prefix_text, prefix_key = _anthropic_prefix(body)
        cached, written = self._cache_lookup(prefix_key, len(prefix_text) // 4)
        block: TextBlock | ToolUseBlock
        if body.get("tools"):
            block = ToolUseBlock(
                type="tool_use", id="toolu_1", name="comparison_result", input=answer
            )
        elif body.get("output_config", {}).get("format"):
            block = TextBlock(type="text", text=json.dumps(answer))
        else:
            block = TextBlock(type="text", text=f"My verdict:\n```json\n{json.dumps(answer)}\n```")
        output = self.answer_tokens + 5 + self.reasoning_tokens
        self._bill("anthropic", body, total, cached, written, output)
        message = Message(
            id=f"msg_{request_id}",
            type="message",
            role="assistant",
            model=f"{body.get('model')}-20250101",
            content=[block],
            stop_reason="tool_use" if body.get("tools") else "end_turn",
            stop_sequence=None,
            usage=AnthropicUsage(
                input_tokens=total - cached - written,
                output_tokens=output,
                cache_read_input_tokens=cached,
                cache_creation_input_tokens=written,
                output_tokens_details=OutputTokensDetails(thinking_tokens=self.reasoning_tokens),
            ),
        )
        return message.model_dump_json()

    def _check_key(self, request: web.Request, kind: str) -> web.Response | None:
        if self.api_key is None:
            return None
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if kind == "anthropic" and "x-api-key" in request.headers:
            given = request.headers["x-api-key"]
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


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix (binary search over slice comparisons, C speed)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _text(content: object) -> str:
    """A message's text, whether a string or a list of text blocks."""
    if isinstance(content, list):
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return str(content or "")


def _tokens(body: dict[str, Any]) -> int:
    messages = body.get("messages", [])
    return (
        sum(len(_text(m.get("content"))) for m in messages) + len(_text(body.get("system")))
    ) // 4


def _anthropic_prefix(body: dict[str, Any]) -> tuple[str, str]:
    """The text up to and including the last block with ``cache_control``, and its key."""
    blocks: list[dict[str, Any]] = []
    system = body.get("system")
    if isinstance(system, list):
        blocks.extend(system)
    for message in body.get("messages", []):
        if isinstance(message.get("content"), list):
            blocks.extend(message["content"])
    last = max((i for i, b in enumerate(blocks) if b.get("cache_control")), default=-1)
    text = "".join(str(b.get("text", "")) for b in blocks[: last + 1])
    return text, f"{body.get('model')}|{text}"


_REQUEST_TYPES = {
    "openai": TypeAdapter(CompletionCreateParamsNonStreaming),
    "anthropic": TypeAdapter(MessageCreateParamsNonStreaming),
}
_KNOWN_FIELDS = {
    "openai": set(CompletionCreateParamsNonStreaming.__annotations__),
    "anthropic": set(MessageCreateParamsNonStreaming.__annotations__),
}


_REASONING = re.compile(r"^(?:gpt-[5-9]|o\d)(?!.*-chat)")


def invalid_request(kind: str, body: dict[str, Any]) -> str | None:
    """Why ``body`` is not a valid request of the SDK's request type, or None.

    OpenAI requests are also held to the model rules the real API enforces:
    reasoning models refuse ``temperature`` (gpt-5.1+ accept it with
    ``reasoning_effort=none``) and ``max_tokens``; other models refuse
    ``reasoning_effort`` and ``verbosity``.
    """
    unknown = sorted(set(body) - _KNOWN_FIELDS[kind])
    if unknown:
        return f"unknown request field(s): {', '.join(unknown)}"
    try:
        _REQUEST_TYPES[kind].validate_python(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"invalid request: {'.'.join(map(str, first['loc']))}: {first['msg']}"
    if kind == "openai":
        model = str(body.get("model", ""))
        if _REASONING.match(model):
            no_reasoning = body.get("reasoning_effort") == "none" and re.match(
                r"^gpt-(?:5\.\d|[6-9])", model
            )
            if "temperature" in body and not no_reasoning:
                return f"Unsupported parameter: 'temperature' is not supported with {model}"
            if "max_tokens" in body:
                return (
                    f"Unsupported parameter: 'max_tokens' with {model}; use max_completion_tokens"
                )
            if "verbosity" in body and model.startswith("o"):
                return f"Unsupported parameter: 'verbosity' with {model}"
        else:
            for key in ("reasoning_effort", "verbosity"):
                if key in body:
                    return f"Unrecognized request argument supplied: {key} (model {model})"
    return None


def main() -> None:
    """Serve in this process (for benchmarks); print the base URL, run until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    server = FakeLLMServer(latency=args.latency, record_bodies=False, validate_requests=False)
    sock = _listening_socket()

    async def run() -> None:
        await server.serve(sock)
        print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
