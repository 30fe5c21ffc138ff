"""Fake provider batch APIs on 127.0.0.1: OpenAI Batch and Anthropic Message Batches.

Extends :class:`tests.fakes.llm_servers.FakeLLMServer` (whose synchronous
endpoints stay available, for ``judge.batch_fallback=sync``) with

- OpenAI: ``POST /v1/files`` (multipart, purpose ``batch``), ``POST /v1/batches``,
  ``GET /v1/batches`` (list), ``GET /v1/batches/{id}``, ``GET /v1/files/{id}/content``;
- Anthropic: ``POST /v1/messages/batches``, ``GET /v1/messages/batches`` (list),
  ``GET /v1/messages/batches/{id}`` and its ``results_url`` (JSONL).

Both lists are newest first and paginated as the real APIs are (``limit``,
``after`` / ``after_id``, ``has_more``, ``last_id``); :meth:`add_foreign`
fills them with other clients' batches.

Bodies are the SDKs' own models (``Batch``, ``FileObject``, ``MessageBatch``,
``MessageBatchIndividualResponse``); each request's answer is built by the
synchronous server's code, so a batch answer equals the synchronous one. A
batch ends after ``polls_to_finish`` status checks (slow completion: more
polls; ``hold=True``: never, until :meth:`release`). Faults: requests whose
user text contains ``expire_match`` expire, ``error_match`` get a
per-request error, and the next ``fail_batches`` batches fail as a whole.
Every create is counted (``creates``); ``hold_create_s`` keeps a create's
response back that long *after* the batch was recorded (a client that times
out or is killed then never learns the id the provider has). ``lists``
counts list calls.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from anthropic.types import Message
from anthropic.types.messages import (
    MessageBatch,
    MessageBatchErroredResult,
    MessageBatchExpiredResult,
    MessageBatchIndividualResponse,
    MessageBatchRequestCounts,
    MessageBatchSucceededResult,
)
from anthropic.types.shared import APIErrorObject, ErrorResponse
from openai.types import Batch, FileObject
from openai.types.batch import Errors
from openai.types.batch_error import BatchError
from openai.types.batch_request_counts import BatchRequestCounts

from tests.fakes.llm.request_rules import invalid_request
from tests.fakes.llm.server import FakeLLMServer
from tests.fakes.llm.wire import error_response, first_user_text

WINDOW_S = 24 * 3600


@dataclass
class _Batch:
    kind: str
    lines: list[dict[str, Any]]
    created_at: float
    input_file_id: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    polls: int = 0
    ended: bool = False
    failed: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    results: list[bytes] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class FakeBatchServer(FakeLLMServer):
    """Batch endpoints on top of the synchronous fake; see the module docstring."""

    polls_to_finish: int = 1
    hold: bool = False
    expire_match: str | None = None
    error_match: str | None = None
    fail_batches: int = 0
    creates: int = 0
    uploads: int = 0
    retrieves: int = 0
    lists: int = 0
    hold_create_s: float = 0.0
    rate_limited: int = 0
    """The next this many batch creates get 429 (Retry-After: 0)."""
    rate_limited_checks: int = 0
    """The next this many batch status checks get 429 (Retry-After: 0)."""
    batches: dict[str, _Batch] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)

    def release(self) -> None:
        """Let held batches end at their next status check."""
        self.hold = False

    def app(self) -> web.Application:
        app = web.Application(client_max_size=300 * 1024 * 1024)  # batch files are large
        app.router.add_post("/v1/chat/completions", self._handle)
        app.router.add_post("/v1/messages", self._handle)
        app.router.add_post("/v1/files", self._upload)
        app.router.add_get("/v1/files/{file_id}/content", self._file_content)
        app.router.add_post("/v1/batches", self._openai_create)
        app.router.add_get("/v1/batches", self._openai_list)
        app.router.add_get("/v1/batches/{batch_id}", self._openai_retrieve)
        app.router.add_post("/v1/messages/batches", self._anthropic_create)
        app.router.add_get("/v1/messages/batches", self._anthropic_list)
        app.router.add_get("/v1/messages/batches/{batch_id}", self._anthropic_retrieve)
        app.router.add_get("/v1/messages/batches/{batch_id}/results", self._anthropic_results)
        return app

    # -- OpenAI ------------------------------------------------------------------------
    async def _upload(self, request: web.Request) -> web.Response:
        denied = self._check_key(request, "openai")
        if denied is not None:
            return denied
        form = await request.post()
        upload = form.get("file")
        if form.get("purpose") != "batch" or upload is None or isinstance(upload, str):
            return error_response(400, "expected a file with purpose=batch")
        data = upload.file.read()
        file_id = f"file-{uuid.uuid4().hex[:24]}"
        self.files[file_id] = data
        self.uploads += 1
        obj = FileObject(
            id=file_id,
            bytes=len(data),
            created_at=int(time.time()),
            filename=upload.filename,
            object="file",
            purpose="batch",
            status="processed",
        )
        return web.Response(text=obj.model_dump_json(), content_type="application/json")

    async def _file_content(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["file_id"])
        if data is None:
            return error_response(404, "no such file")
        return web.Response(body=data, content_type="application/octet-stream")

    async def _openai_create(self, request: web.Request) -> web.Response:
        denied = self._check_key(request, "openai")
        if denied is not None:
            return denied
        if self._throttled():
            return error_response(429, "batch rate limit", {"Retry-After": "0"})
        body = await request.json()
        data = self.files.get(body.get("input_file_id", ""))
        if data is None:
            return error_response(400, "input_file_id not found")
        if body.get("completion_window") != "24h" or body.get("endpoint") != "/v1/chat/completions":
            return error_response(
                400, "completion_window must be 24h and endpoint /v1/chat/completions"
            )
        lines = [json.loads(raw) for raw in data.splitlines() if raw.strip()]
        batch_id = f"batch_{uuid.uuid4().hex[:24]}"
        self.batches[batch_id] = _Batch(
            "openai", lines, time.time(), body["input_file_id"], body.get("metadata") or {}
        )
        self.creates += 1
        await self._hold_create()
        return self._openai_response(batch_id)

    async def _openai_list(self, request: web.Request) -> web.Response:
        denied = self._check_key(request, "openai")
        if denied is not None:
            return denied
        page, more = self._page(request, "openai", "after")
        data = [json.loads(self._openai_batch(i).model_dump_json()) for i in page]
        body = {"object": "list", "data": data, "has_more": more}
        if page:
            body |= {"first_id": page[0], "last_id": page[-1]}
        return web.json_response(body)

    def _throttled(self, *, checks: bool = False) -> bool:
        left = self.rate_limited_checks if checks else self.rate_limited
        if left <= 0:
            return False
        if checks:
            self.rate_limited_checks -= 1
        else:
            self.rate_limited -= 1
        return True

    async def _hold_create(self) -> None:
        """Wait ``hold_create_s`` (cut short when it is set to 0)."""
        deadline = time.monotonic() + self.hold_create_s
        while self.hold_create_s and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    def add_foreign(self, kind: str, count: int, requests: int = 1) -> None:
        """``count`` ended batches of other clients, ``requests`` requests each (newest last)."""
        prefix = "batch" if kind == "openai" else "msgbatch"
        for _ in range(count):
            ids = [f"other_{uuid.uuid4().hex[:12]}" for _ in range(requests)]
            batch = _Batch(kind, [{"custom_id": i} for i in ids], time.time(), ended=True)
            batch.counts = {"expired": requests} if kind == "anthropic" else {"failed": requests}
            batch.results = [
                MessageBatchIndividualResponse(
                    custom_id=i, result=MessageBatchExpiredResult(type="expired")
                )
                .model_dump_json()
                .encode()
                for i in ids
            ]
            self.batches[f"{prefix}_{uuid.uuid4().hex[:24]}"] = batch

    def _page(self, request: web.Request, kind: str, cursor: str) -> tuple[list[str], bool]:
        """One page of ``kind``'s batch ids, newest first, after the cursor."""
        self.lists += 1
        ids = [i for i, b in reversed(self.batches.items()) if b.kind == kind]
        after = request.query.get(cursor)
        if after in ids:
            ids = ids[ids.index(after) + 1 :]
        limit = int(request.query.get("limit", "20"))
        return ids[:limit], len(ids) > limit

    async def _openai_retrieve(self, request: web.Request) -> web.Response:
        batch_id = request.match_info["batch_id"]
        if self._throttled(checks=True):
            return error_response(429, "batch rate limit", {"Retry-After": "0"})
        if batch_id not in self.batches:
            return error_response(404, "no such batch")
        self._advance(batch_id)
        return self._openai_response(batch_id)

    def _openai_response(self, batch_id: str) -> web.Response:
        return web.Response(
            text=self._openai_batch(batch_id).model_dump_json(), content_type="application/json"
        )

    def _openai_batch(self, batch_id: str) -> Batch:
        b = self.batches[batch_id]
        n = len(b.lines)
        if b.failed:
            status = "failed"
        elif b.ended:
            status = "completed"
        else:
            status = "in_progress" if b.polls else "validating"
        done = n if b.ended else min(n, n * b.polls // max(1, self.polls_to_finish + 1))
        return Batch(
            id=batch_id,
            object="batch",
            endpoint="/v1/chat/completions",
            completion_window="24h",
            created_at=int(b.created_at),
            expires_at=int(b.created_at + WINDOW_S),
            input_file_id=b.input_file_id,
            status=status,
            metadata=b.metadata,
            output_file_id=b.output_file_id,
            error_file_id=b.error_file_id,
            errors=Errors(
                object="list",
                data=[BatchError(code="invalid_request", line=1, message=b.failed)],
            )
            if b.failed
            else None,
            request_counts=BatchRequestCounts(
                total=n,
                completed=b.counts.get("succeeded", 0) if b.ended else done,
                failed=b.counts.get("failed", 0),
            ),
        )

    def _openai_results(self, b: _Batch) -> None:
        output: list[bytes] = []
        errors: list[bytes] = []
        for line in b.lines:
            body = line["body"]
            custom_id = line["custom_id"]
            user = first_user_text(body)
            rid = f"req_{uuid.uuid4().hex[:12]}"
            entry: dict[str, Any] = {"id": f"batch_req_{rid}", "custom_id": custom_id}
            problem = invalid_request("openai", body) if self.validate_requests else None
            if self.expire_match and self.expire_match in user:
                entry |= {
                    "response": None,
                    "error": {
                        "code": "batch_expired",
                        "message": "This request could not be executed before the "
                        "completion window expired.",
                    },
                }
                errors.append(json.dumps(entry).encode())
            elif problem or (self.error_match and self.error_match in user):
                message = problem or "injected per-request error"
                entry |= {
                    "response": {
                        "status_code": 400,
                        "request_id": rid,
                        "body": {"error": {"message": message, "type": "invalid_request_error"}},
                    },
                    "error": None,
                }
                errors.append(json.dumps(entry).encode())
            else:
                payload = self._openai_payload(body, self.answer_fn(user), rid)
                entry |= {
                    "response": {
                        "status_code": 200,
                        "request_id": rid,
                        "body": json.loads(payload),
                    },
                    "error": None,
                }
                output.append(json.dumps(entry).encode())
        b.counts = {"succeeded": len(output), "failed": len(errors)}
        if output:
            b.output_file_id = f"file-{uuid.uuid4().hex[:24]}"
            self.files[b.output_file_id] = b"\n".join(output) + b"\n"
        if errors:
            b.error_file_id = f"file-{uuid.uuid4().hex[:24]}"
            self.files[b.error_file_id] = b"\n".join(errors) + b"\n"

    # -- Anthropic ---------------------------------------------------------------------
    async def _anthropic_create(self, request: web.Request) -> web.Response:
        denied = self._check_key(request, "anthropic")
        if denied is not None:
            return denied
        if self._throttled():
            return error_response(429, "batch rate limit", {"Retry-After": "0"})
        body = await request.json()
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            return error_response(400, "requests: a non-empty list is required")
        batch_id = f"msgbatch_{uuid.uuid4().hex[:24]}"
        self.batches[batch_id] = _Batch("anthropic", requests, time.time())
        self.creates += 1
        await self._hold_create()
        return self._anthropic_response(batch_id)

    async def _anthropic_list(self, request: web.Request) -> web.Response:
        denied = self._check_key(request, "anthropic")
        if denied is not None:
            return denied
        page, more = self._page(request, "anthropic", "after_id")
        data = [json.loads(self._anthropic_batch(i).model_dump_json()) for i in page]
        body: dict[str, Any] = {"data": data, "has_more": more}
        body |= {"first_id": page[0], "last_id": page[-1]} if page else {}
        return web.json_response(body)

    async def _anthropic_retrieve(self, request: web.Request) -> web.Response:
        batch_id = request.match_info["batch_id"]
        if self._throttled(checks=True):
            return error_response(429, "batch rate limit", {"Retry-After": "0"})
        if batch_id not in self.batches:
            return error_response(404, "no such batch")
        self._advance(batch_id)
        return self._anthropic_response(batch_id)

    async def _anthropic_results(self, request: web.Request) -> web.Response:
        b = self.batches.get(request.match_info["batch_id"])
        if b is None or not b.ended:
            return error_response(404, "results are not available yet")
        return web.Response(body=b"\n".join(b.results) + b"\n", content_type="application/binary")

    def _anthropic_response(self, batch_id: str) -> web.Response:
        batch = self._anthropic_batch(batch_id)
        return web.Response(text=batch.model_dump_json(), content_type="application/json")

    def _anthropic_batch(self, batch_id: str) -> MessageBatch:
        b = self.batches[batch_id]
        n = len(b.lines)
        created = datetime.fromtimestamp(b.created_at, UTC)
        counts = MessageBatchRequestCounts(
            processing=0 if b.ended else n,
            succeeded=b.counts.get("succeeded", 0),
            errored=b.counts.get("errored", 0),
            expired=b.counts.get("expired", 0),
            canceled=0,
        )
        return MessageBatch(
            id=batch_id,
            type="message_batch",
            processing_status="ended" if b.ended else "in_progress",
            request_counts=counts,
            created_at=created,
            expires_at=created + timedelta(seconds=WINDOW_S),
            ended_at=datetime.now(UTC) if b.ended else None,
            results_url=f"{self.url}/v1/messages/batches/{batch_id}/results" if b.ended else None,
            archived_at=None,
            cancel_initiated_at=None,
        )

    def _anthropic_results_of(self, b: _Batch) -> None:
        counts = {"succeeded": 0, "errored": 0, "expired": 0}
        for line in b.lines:
            params = line["params"]
            user = first_user_text(params)
            problem = invalid_request("anthropic", params) if self.validate_requests else None
            result: Any
            if b.failed:
                result = _errored(b.failed)
                counts["errored"] += 1
            elif self.expire_match and self.expire_match in user:
                result = MessageBatchExpiredResult(type="expired")
                counts["expired"] += 1
            elif problem or (self.error_match and self.error_match in user):
                result = _errored(problem or "injected per-request error")
                counts["errored"] += 1
            else:
                rid = f"req_{uuid.uuid4().hex[:12]}"
                payload = self._anthropic_payload(params, self.answer_fn(user), rid)
                message = Message.model_validate_json(payload)
                result = MessageBatchSucceededResult(type="succeeded", message=message)
                counts["succeeded"] += 1
            item = MessageBatchIndividualResponse(custom_id=line["custom_id"], result=result)
            b.results.append(item.model_dump_json().encode())
        b.counts = counts

    # -- both --------------------------------------------------------------------------
    def _advance(self, batch_id: str) -> None:
        b = self.batches[batch_id]
        self.retrieves += 1
        if b.ended:
            return
        b.polls += 1
        if self.hold or b.polls < self.polls_to_finish:
            return
        if self.fail_batches > 0:
            self.fail_batches -= 1
            b.failed = "injected batch failure"
        if b.kind == "openai":
            if not b.failed:
                self._openai_results(b)
        else:
            self._anthropic_results_of(b)
        b.ended = True


def _errored(message: str) -> MessageBatchErroredResult:
    return MessageBatchErroredResult(
        type="errored",
        error=ErrorResponse(type="error", error=APIErrorObject(type="api_error", message=message)),
    )


def main() -> None:
    """Serve in this process (for benchmarks); print the base URL, run until killed."""
    import argparse
    import asyncio
    import contextlib

    from tests.fakes.llm_servers import _listening_socket

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=2)
    args = parser.parse_args()
    server = FakeBatchServer(
        polls_to_finish=args.polls, record_bodies=False, validate_requests=False
    )
    sock = _listening_socket()

    async def run() -> None:
        await server.serve(sock)
        server.port = sock.getsockname()[1]
        print(f"http://127.0.0.1:{server.port}", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
