"""Notice a Kafka broker lost mid-run within ``backend.broker_loss_s``.

aiokafka keeps retrying a dead broker in the background and ``getmany`` just
returns nothing, so a run would wait out the whole completion timeout. The
collector therefore opens a plain TCP connection to the bootstrap servers
every few seconds; when none has answered for ``broker_loss_s`` the broker is
taken as lost.
"""

from __future__ import annotations

import asyncio
import contextlib


def bootstrap_hosts(bootstrap: str) -> list[tuple[str, int]]:
    """``host:port[,host:port]`` → [(host, port)] (port 9092 when left out)."""
    hosts: list[tuple[str, int]] = []
    for item in bootstrap.split(","):
        text = item.strip().removeprefix("PLAINTEXT://").removeprefix("SSL://")
        if not text:
            continue
        host, _, port = text.rpartition(":")
        if not host or not port.isdigit():
            host, port = text, "9092"
        hosts.append((host.strip("[]"), int(port)))
    return hosts


async def reachable(hosts: list[tuple[str, int]], timeout_s: float = 1.0) -> bool:
    """True when any of ``hosts`` accepts a TCP connection within ``timeout_s``."""
    for host, port in hosts:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
        except (OSError, TimeoutError):
            continue
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), timeout_s)
        return True
    return False


class BrokerWatch:
    """Probe every ``interval_s``; :meth:`lost` once nothing answered for ``loss_s``."""

    def __init__(self, bootstrap: str, loss_s: float) -> None:
        self.hosts = bootstrap_hosts(bootstrap)
        self.loss_s = loss_s
        self.interval_s = max(0.2, min(2.0, loss_s / 3))
        loop = asyncio.get_running_loop()
        self.last_alive = loop.time()
        self.next_probe = loop.time() + self.interval_s

    async def lost(self) -> bool:
        """Probe when due; True once the broker has been unreachable for ``loss_s``."""
        now = asyncio.get_running_loop().time()
        if now < self.next_probe:
            return False
        alive = await reachable(self.hosts, timeout_s=min(1.0, self.interval_s))
        now = asyncio.get_running_loop().time()
        self.next_probe = now + self.interval_s
        if alive:
            self.last_alive = now
            return False
        return now - self.last_alive >= self.loss_s
