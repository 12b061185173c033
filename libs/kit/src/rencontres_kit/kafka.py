"""A FastStream Kafka broker configured the one way every service needs it."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from rencontres_contracts.topics import TOPICS

from rencontres_kit.consumer import EventConsumer, Record
from rencontres_kit.outbox import Publish


def make_broker(bootstrap_servers: str, client_id: str) -> KafkaBroker:
    """Idempotent producer, acks from every in-sync replica, no auto-created topics."""
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        allow_auto_create_topics=False,
        graceful_timeout=10.0,
        # its lines go to the root logger (JSON, masked) instead of FastStream's own text handler
        logger=logging.getLogger("faststream.kafka"),
    )


def publisher(broker: KafkaBroker) -> Publish:
    """Adapt the broker to the `Publish` callable the outbox and dead-lettering use."""

    async def publish(topic: str, key: bytes, value: bytes, headers: dict[str, str]) -> Any:
        return await broker.publish(value, topic, key=key, headers=headers)

    return publish


def record_of(message: Any) -> Record:
    """The client-independent view of a FastStream Kafka message."""
    return _record(message.raw_message)


def subscribe(
    broker: KafkaBroker,
    consumer: EventConsumer,
    topics: list[str],
    group: str,
    *,
    workers: int = 1,
    batch_size: int | None = None,
) -> None:
    """Feed every record of `topics` to `consumer`, committing only after it is handled.

    An error that escapes the consumer (the dead-letter publish itself failed) rewinds the
    partition so the record is read again rather than lost.

    With `workers` > 1, each topic gets that many Kafka consumers in the group (at most one
    per partition the catalog gives it), each one
    handling its own partitions one record at a time (FastStream's concurrency between
    partitions, with manual commits): records of one key stay in order, and a service whose
    handler waits on its database works on several partitions at once.

    With `batch_size` (instead of `workers`), the consumer gets what each poll returns (up to
    that many records, across the assigned partitions) in one `consume_batch` call, and the
    offsets are committed once it returned; an error rewinds every partition of the batch to
    its first record.
    """
    if batch_size is not None:
        _subscribe_batches(broker, consumer, topics, group, batch_size)
        return

    def handler() -> Callable[[KafkaMessage], Awaitable[None]]:
        async def on_record(message: KafkaMessage) -> None:
            await consumer.consume(record_of(message))

        return on_record

    common: dict[str, Any] = {
        "group_id": group,
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.NACK_ON_ERROR,
    }
    if workers <= 1:
        broker.subscriber(*topics, title=f"{group}:{','.join(topics)}", **common)(handler())
        return
    partitions = {t.name: t.partitions for t in TOPICS}
    for topic in topics:  # concurrent manual commits take one topic per subscriber
        count = min(workers, partitions.get(topic, workers))  # no consumer left without work
        broker.subscriber(topic, title=f"{group}:{topic}", max_workers=count, **common)(handler())


def _subscribe_batches(
    broker: KafkaBroker, consumer: EventConsumer, topics: list[str], group: str, size: int
) -> None:
    @broker.subscriber(
        *topics,
        group_id=group,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        batch=True,
        max_records=size,
        batch_timeout_ms=100,
        title=f"{group}:{','.join(topics)}:batch",
    )
    async def on_records(message: KafkaMessage) -> None:
        raw = message.raw_message
        records = raw if isinstance(raw, tuple) else (raw,)
        await consumer.consume_batch([_record(r) for r in records])


def _record(raw: Any) -> Record:
    headers = tuple((name, bytes(value or b"")) for name, value in raw.headers or ())
    return Record(raw.topic, raw.partition, raw.offset, raw.value, headers, raw.key)
