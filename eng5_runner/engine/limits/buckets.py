"""The token-bucket logic both shared limiters use; subclasses store the buckets.

A bucket refills at ``per_minute / 60`` units per second up to ``burst_s``
seconds' worth. :meth:`TokenBuckets._change` is the one storage-specific step:
take (or, negative, return) ``amount`` in one transaction and say how long to
wait when fewer than ``need`` units are there.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from functools import partial


class TokenBuckets(ABC):
    """Requests- and tokens-per-minute buckets for one limit key."""

    blocking_io = False
    """True when :meth:`_change` waits on a network: :meth:`acquire` runs it in a thread."""

    def __init__(
        self,
        key: str,
        *,
        requests_per_minute: int | None,
        tokens_per_minute: int | None,
        burst_s: float,
    ) -> None:
        self.key = key
        self.rpm = requests_per_minute
        self.tpm = tokens_per_minute
        self.burst_s = burst_s
        self.lock = asyncio.Lock()  # keeps this process's workers from racing each other

    def capacity(self, per_minute: int) -> float:
        """Units a full bucket holds: ``burst_s`` seconds' worth, at least one request."""
        return max(1.0, per_minute * self.burst_s / 60.0)

    @abstractmethod
    def _change(self, name: str, per_minute: int, amount: float, *, need: float) -> float:
        """Take ``amount`` if ``need`` units are there (return 0), else the seconds to wait."""

    @abstractmethod
    def close(self) -> None:
        """Release the storage."""

    async def _take(self, name: str, per_minute: int, amount: float) -> None:
        need = min(amount, self.capacity(per_minute))
        change = partial(self._change, name, per_minute, amount, need=need)
        while (wait := await asyncio.to_thread(change) if self.blocking_io else change()) > 0:
            await asyncio.sleep(wait)

    async def acquire(self, tokens: int) -> None:
        async with self.lock:
            if self.rpm:
                await self._take(f"{self.key}|rpm", self.rpm, 1)
            if self.tpm:
                await self._take(f"{self.key}|tpm", self.tpm, tokens)

    def refund(self, tokens: int) -> None:
        if self.tpm and tokens:
            self._change(f"{self.key}|tpm", self.tpm, -tokens, need=float("-inf"))
