"""OpenAI Batch API through the official SDK: upload a JSONL file, create, poll, download.

``files.create(purpose="batch")`` uploads the request lines, ``batches.create``
starts the batch (``/v1/chat/completions``, ``judge.batch_completion_window``,
the ledger's local id in ``metadata``), ``batches.retrieve`` polls it, and
``files.content`` downloads the output file (successes and per-request HTTP
errors) and the error file (requests that failed or expired, ``batch_expired``).
A ``failed`` batch (its input did not validate) carries ``errors``.

A batch whose id was never written down is found by its local id in the
metadata, listing every page of ``batches.list`` (newest first) back to the
ledger row's creation minus the clock skew.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal

from openai import AsyncOpenAI
from openai.types import Batch

from eng5_runner.engine.batch.api import BatchState, ItemResult

ENDED = {"completed", "failed", "expired", "cancelled"}
LOCAL_ID_KEY = "eng5_local_id"
PAGE = 100


def batch_state(batch: Batch, owner: str | None = None) -> BatchState:
    """The provider-neutral view of an SDK ``Batch`` (``owned`` if created under ``owner``)."""
    counts = batch.request_counts
    error = None
    if batch.status == "failed":
        details = (
            [e.message or e.code or "" for e in (batch.errors.data or [])] if batch.errors else []
        )
        error = "batch failed: " + ("; ".join(d for d in details if d)[:300] or "no reason given")
    return BatchState(
        batch_id=batch.id,
        status=batch.status,
        ended=batch.status in ENDED,
        total=counts.total if counts else 0,
        succeeded=counts.completed if counts else 0,
        failed=counts.failed if counts else 0,
        expires_at=float(batch.expires_at) if batch.expires_at else None,
        error=error,
        output_ids=tuple(i for i in (batch.output_file_id, batch.error_file_id) if i),
        created_at=float(batch.created_at),
        owned=owner is not None and (batch.metadata or {}).get(LOCAL_ID_KEY) == owner,
    )


class OpenAIBatchApi:
    """One run's OpenAI batches."""

    endpoint: Literal["/v1/chat/completions"] = "/v1/chat/completions"

    def __init__(self, client: AsyncOpenAI, completion_window: str) -> None:
        self.client = client
        self.window = completion_window

    def line(self, custom_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"custom_id": custom_id, "method": "POST", "url": self.endpoint, "body": body}

    async def create(self, lines: Sequence[bytes], local_id: str) -> BatchState:
        data = b"\n".join(lines) + b"\n"
        uploaded = await self.client.files.create(
            file=(f"{local_id}.jsonl", data, "application/jsonl"), purpose="batch"
        )
        batch = await self.client.batches.create(
            input_file_id=uploaded.id,
            endpoint=self.endpoint,
            completion_window=self.window,  # type: ignore[arg-type]
            metadata={LOCAL_ID_KEY: local_id},
        )
        return batch_state(batch)

    async def retrieve(self, batch_id: str) -> BatchState:
        return batch_state(await self.client.batches.retrieve(batch_id))

    async def check(self) -> None:
        await self.client.batches.list(limit=1)

    async def find(self, local_id: str, requests: int, since: float) -> list[BatchState]:
        async for batch in self.client.batches.list(limit=PAGE):
            if batch.created_at < since:
                break  # newest first: everything further is older
            state = batch_state(batch, local_id)
            if state.owned:
                return [state]
        return []

    async def results(self, state: BatchState) -> AsyncIterator[ItemResult]:
        for file_id in state.output_ids:
            content = await self.client.files.content(file_id)
            for raw in content.content.splitlines():
                if raw.strip():
                    yield output_line(json.loads(raw))


def output_line(data: dict[str, Any]) -> ItemResult:
    """One line of an output or error file."""
    custom_id = str(data.get("custom_id", ""))
    response = data.get("response") or {}
    error = data.get("error")
    status = response.get("status_code")
    body = response.get("body")
    request_id = response.get("request_id")
    if error:
        code = error.get("code") if isinstance(error, dict) else None
        message = error.get("message") if isinstance(error, dict) else str(error)
        reason = "expired before it was judged" if code == "batch_expired" else message
        return ItemResult(custom_id, error=f"batch request error ({code}): {reason}")
    if status != 200 or not isinstance(body, dict):
        detail = body.get("error", {}).get("message") if isinstance(body, dict) else None
        return ItemResult(custom_id, error=f"batch request HTTP {status}: {detail or body}"[:300])
    return ItemResult(custom_id, body=json.dumps(body).encode(), request_id=request_id)
