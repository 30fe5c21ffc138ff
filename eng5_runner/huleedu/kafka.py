"""Publishing the CJ request: aiokafka producer, ``acks=all``, key = batch UUID.

Every broker interaction is bounded in time, so an unreachable broker fails
within seconds with a KafkaError naming the bootstrap address and the fix.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError as AIOKafkaError

from eng5_runner.errors import KafkaError
from eng5_runner.huleedu.contracts import TOPIC_CJ_REQUEST, EventEnvelope

log = logging.getLogger(__name__)
KAFKA_TIMEOUT_S = 10.0
"""Upper bound for connecting to the broker and for one publish."""
BOOTSTRAP_HINT = "check backend.kafka_bootstrap (KAFKA_BOOTSTRAP_SERVERS) and that Kafka is up"


def unreachable(bootstrap: str, exc: BaseException | None, what: str) -> KafkaError:
    """The KafkaError for a broker that could not be reached in time."""
    cause = (
        f"{type(exc).__name__}: {exc}"
        if exc and str(exc)
        else (type(exc).__name__ if exc else "timed out")
    )
    return KafkaError(
        f"Kafka broker at {bootstrap} unreachable while {what} ({cause})", hint=BOOTSTRAP_HINT
    )


async def publish_envelope(
    bootstrap: str,
    envelope: EventEnvelope[Any],
    *,
    key: str,
    client_id: str = "eng5-runner",
    idempotence: bool = True,
    topic: str = TOPIC_CJ_REQUEST,
    timeout_s: float = KAFKA_TIMEOUT_S,
) -> None:
    """Publish one envelope (JSON, UTF-8) and wait for the broker's acknowledgement."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=idempotence,
        request_timeout_ms=int(timeout_s * 1000),
        metadata_max_age_ms=int(max(timeout_s, 1.0) * 1000),
    )
    try:
        try:
            await asyncio.wait_for(producer.start(), timeout_s)
        except (TimeoutError, AIOKafkaError, OSError) as exc:
            raise unreachable(bootstrap, exc, "connecting the producer") from None
        try:
            metadata = await asyncio.wait_for(
                producer.send_and_wait(topic, envelope.to_bytes(), key=key.encode("utf-8")),
                timeout_s,
            )
        except TimeoutError:
            raise KafkaError(
                f"publishing to {topic} on {bootstrap} timed out after {timeout_s:.0f} s",
                hint=f"check that the topic exists; {BOOTSTRAP_HINT}",
            ) from None
        except AIOKafkaError as exc:
            raise KafkaError(
                f"publishing to {topic} on {bootstrap} failed: {type(exc).__name__}: {exc}",
                hint=BOOTSTRAP_HINT,
            ) from None
        log.info(
            "published %s to %s[%s]@%s",
            envelope.event_id,
            topic,
            metadata.partition,
            metadata.offset,
        )
    finally:
        try:
            await asyncio.wait_for(producer.stop(), timeout_s)
        except (TimeoutError, AIOKafkaError, OSError):  # pragma: no cover - best effort
            log.warning("Kafka producer did not stop cleanly")
