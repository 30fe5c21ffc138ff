"""Anthropic Message Batches through the official SDK: create, poll, stream the results.

The batch is created with the SDK client's ``post`` (the request bodies are
the judge's own, checked at build time; this skips the SDK's per-request
transform of up to 100,000 typed params), polled with
``messages.batches.retrieve`` and read with ``messages.batches.results``
(the JSONL stream at ``results_url``): ``succeeded`` with a Message,
``errored``, ``canceled`` or ``expired``.

Message batches carry no metadata, so a batch whose id was never written
down (a kill or a timeout during the create call) is found by listing the
account's batches (``messages.batches.list``, newest first, every page back
to the ledger row's creation minus the clock skew) and keeping those with
the ledger's request count; the runner then proves ownership from the
results' custom_ids, which start with the ledger batch's nonce.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from anthropic import AsyncAnthropic
from anthropic.types.messages import MessageBatch

from eng5_runner.engine.batch.api import BatchState, ItemResult

PAGE = 100


def batch_state(batch: MessageBatch) -> BatchState:
    """The provider-neutral view of an SDK ``MessageBatch``."""
    counts = batch.request_counts
    failed = counts.errored + counts.expired + counts.canceled
    total = counts.processing + counts.succeeded + failed
    return BatchState(
        batch_id=batch.id,
        status=batch.processing_status,
        ended=batch.processing_status == "ended",
        total=total,
        succeeded=counts.succeeded,
        failed=failed,
        expires_at=_timestamp(batch.expires_at),
        created_at=batch.created_at.timestamp(),
    )


def _timestamp(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


class AnthropicBatchApi:
    """One run's Anthropic message batches."""

    endpoint = "/v1/messages/batches"

    def __init__(self, client: AsyncAnthropic) -> None:
        self.client = client

    def line(self, custom_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"custom_id": custom_id, "params": body}

    async def create(self, lines: Sequence[bytes], local_id: str) -> BatchState:
        requests = [json.loads(line) for line in lines]
        batch = await self.client.post(
            self.endpoint, cast_to=MessageBatch, body={"requests": requests}
        )
        return batch_state(batch)

    async def retrieve(self, batch_id: str) -> BatchState:
        return batch_state(await self.client.messages.batches.retrieve(batch_id))

    async def check(self) -> None:
        await self.client.messages.batches.list(limit=1)

    async def find(self, local_id: str, requests: int, since: float) -> list[BatchState]:
        found: list[BatchState] = []
        async for batch in self.client.messages.batches.list(limit=PAGE):
            if batch.created_at.timestamp() < since:
                break  # newest first: everything further is older
            state = batch_state(batch)
            if state.total == requests:
                found.append(state)
        return found

    async def results(self, state: BatchState) -> AsyncIterator[ItemResult]:
        decoder = await self.client.messages.batches.results(state.batch_id)
        async for item in decoder:
            result = item.result
            if result.type == "succeeded":
                raw = result.message.model_dump_json().encode()
                yield ItemResult(item.custom_id, body=raw, request_id=result.message.id)
            elif result.type == "errored":
                detail = result.error.error
                yield ItemResult(
                    item.custom_id, error=f"batch request error ({detail.type}): {detail.message}"
                )
            elif result.type == "expired":
                yield ItemResult(item.custom_id, error="batch request expired before it was judged")
            else:
                yield ItemResult(item.custom_id, error="batch request canceled")
