"""Split a run's comparisons into batches the provider accepts, pair by pair.

Limits (provider docs): OpenAI takes at most 50,000 requests and a 200 MB
input file per batch; Anthropic at most 100,000 requests or 256 MB per batch.
Every comparison of one essay pair (both slot orders, every repeat) goes into
the same batch, so a pair is never half judged when a batch fails or expires.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from eng5_runner.engine.records import PairRequest

T = TypeVar("T")
MB = 1_000_000


@dataclass(frozen=True, slots=True)
class BatchLimits:
    """The most one batch may hold."""

    max_requests: int
    max_bytes: int


PROVIDER_LIMITS = {
    "openai": BatchLimits(max_requests=50_000, max_bytes=200 * MB),
    "anthropic": BatchLimits(max_requests=100_000, max_bytes=256 * MB),
}
SAFETY = 0.95
"""Keep 5% below the byte limit (JSON framing, multipart overhead)."""


@dataclass(frozen=True, slots=True)
class Sized(Generic[T]):
    """One request line: the comparison, its payload, and its size in bytes."""

    request: PairRequest
    item: T
    size: int


def pair_of(request: PairRequest) -> tuple[str, str]:
    """The unordered essay pair of a comparison."""
    a, b = request.a_id, request.b_id
    return (a, b) if a <= b else (b, a)


def split(items: Sequence[Sized[T]], limits: BatchLimits) -> list[list[Sized[T]]]:
    """Batches in first-seen pair order, each within ``limits``, pairs never split.

    A single pair bigger than a batch is a ValueError (it cannot be sent whole).
    """
    groups: dict[tuple[str, str], list[Sized[T]]] = {}
    for entry in items:
        groups.setdefault(pair_of(entry.request), []).append(entry)
    max_bytes = int(limits.max_bytes * SAFETY)
    batches: list[list[Sized[T]]] = []
    current: list[Sized[T]] = []
    size = 0
    for pair, group in groups.items():
        group_size = sum(e.size for e in group)
        if len(group) > limits.max_requests or group_size > max_bytes:
            raise ValueError(
                f"the comparisons of {pair[0]} vs {pair[1]} ({len(group)} requests, "
                f"{group_size:,} bytes) do not fit in one batch"
            )
        if current and (
            len(current) + len(group) > limits.max_requests or size + group_size > max_bytes
        ):
            batches.append(current)
            current, size = [], 0
        current.extend(group)
        size += group_size
    if current:
        batches.append(current)
    return batches
