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
as a process for benchmarks: ``python -m tests.fakes.llm_servers --latency 0.05`` (from the
repository root) prints the base URL and serves until killed.

This module is the stable import path; the parts live in :mod:`tests.fakes.llm`
(``server``, ``faults``, ``openai_wire``, ``anthropic_wire``, ``request_rules``,
``prompt_cache``, ``wire``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from tests.fakes.llm.faults import (
    DEFAULT_ANSWER,
    Answer,
    Fault,
    bad_answer,
    echo_key,
    garbage,
    rate_limited,
    reset,
    server_error,
    slow,
    stall,
)
from tests.fakes.llm.request_rules import invalid_request
from tests.fakes.llm.server import FakeLLMServer, Recorded
from tests.fakes.llm.wire import closed_port, listening_socket
from tests.fakes.llm.wire import error_response as _error
from tests.fakes.llm.wire import message_text as _text

__all__ = [
    "DEFAULT_ANSWER",
    "Answer",
    "FakeLLMServer",
    "Fault",
    "Recorded",
    "bad_answer",
    "closed_port",
    "echo_key",
    "garbage",
    "invalid_request",
    "rate_limited",
    "reset",
    "server_error",
    "slow",
    "stall",
    "_error",
    "_text",
]


def main() -> None:
    """Serve in this process (for benchmarks); print the base URL, run until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    server = FakeLLMServer(latency=args.latency, record_bodies=False, validate_requests=False)
    sock = listening_socket()

    async def run() -> None:
        await server.serve(sock)
        print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
