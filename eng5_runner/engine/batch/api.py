"""What the batch runner needs from a provider's batch API, whichever provider."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class BatchState:
    """A batch as the provider last described it."""

    batch_id: str
    status: str
    """The provider's own word (validating, in_progress, ended, ...)."""
    ended: bool
    """Terminal: results (or errors) can be collected."""
    total: int
    succeeded: int
    failed: int
    expires_at: float | None = None
    """Unix time the provider gives up (the end of the completion window)."""
    error: str | None = None
    """Why the whole batch failed (then every request of it failed)."""
    output_ids: tuple[str, ...] = ()
    """OpenAI: the output and error file ids."""
    created_at: float | None = None
    """Unix time the provider created the batch."""
    owned: bool = False
    """Provably this ledger batch's (OpenAI: its local id in the metadata)."""


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One request's outcome: a raw response body, or why there is none."""

    custom_id: str
    body: bytes | None = None
    error: str | None = None
    request_id: str | None = None


class BatchApi(Protocol):
    """Create, poll and read one provider's batches (SDK errors map to ProviderError)."""

    def line(self, custom_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """One request line of a batch (custom_id = the comparison's cache key)."""
        ...

    async def create(self, lines: Sequence[bytes], local_id: str) -> BatchState:
        """Submit one batch of encoded request lines."""
        ...

    async def retrieve(self, batch_id: str) -> BatchState:
        """The batch's current state."""
        ...

    async def check(self) -> None:
        """A free authenticated call: a bad key fails here, before any upload or create."""
        ...

    async def find(self, local_id: str, requests: int, since: float) -> list[BatchState]:
        """Batches created since ``since`` (Unix time) that may be ``local_id``'s.

        Every batch listed back to ``since`` is considered (all pages): those
        that provably are ``local_id``'s (``owned``), else those with
        ``requests`` requests, whose ownership is checked on their results.
        """
        ...

    def results(self, state: BatchState) -> AsyncIterator[ItemResult]:
        """Every result of an ended batch."""
        ...
