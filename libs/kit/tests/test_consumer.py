"""EventConsumer against the real FerretDB and Kafka: effectively-once effects, poison parked.

The records are built by hand (the consumer is client-independent); everything they cause —
the processed-events log, the dead-letter records — goes to the real database and broker.
"""

import random
from typing import Any
from uuid import uuid4

import pytest
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.collection import AsyncCollection
from rencontres_contracts import CloudEvent
from rencontres_contracts.events.registration import RegistrationSubmittedV1
from rencontres_kit.consumer import EventConsumer, Record
from rencontres_kit.kafka import publisher

from libs.kit.tests.conftest import TopicReader, registration_submitted

pytestmark = pytest.mark.infra

TOPIC = RegistrationSubmittedV1.topic
DLT = f"{TOPIC}.dlt"
TYPE = RegistrationSubmittedV1.event_type


def submitted(registration_id: str | None = None) -> CloudEvent[RegistrationSubmittedV1]:
    rid = registration_id or str(uuid4())
    return registration_submitted(rid, reference="RC-TEST-0001", source="/tests/kit", who="lea")


def record(value: bytes) -> Record:
    """A record at an offset no other test uses, so its dead letter is recognisable by key."""
    return Record(TOPIC, random.randrange(6), random.randrange(10**9, 10**12), value)


def dlt_key(rec: Record) -> bytes:
    return f"{rec.topic}-{rec.partition}-{rec.offset}".encode()


async def test_valid_event_applied_once_and_redelivery_is_a_duplicate(
    broker: KafkaBroker, processed: AsyncCollection[dict[str, Any]]
) -> None:
    seen: list[str] = []

    async def handle(event: CloudEvent[Any]) -> None:
        seen.append(event.id)

    consumer = EventConsumer("kit-tests", processed, publisher(broker), {TYPE: handle})
    event = submitted()
    rec = record(event.to_bytes())

    assert await consumer.consume(rec) == "applied"
    assert seen == [event.id]
    remembered = await processed.find_one({"_id": event.id})
    assert remembered is not None and remembered["type"] == TYPE

    assert await consumer.consume(rec) == "duplicate"
    assert await consumer.consume(Record(TOPIC, rec.partition, rec.offset + 7, rec.value)) == (
        "duplicate"
    )
    assert seen == [event.id], "a redelivered event must not reach the handler again"
    assert await processed.count_documents({}) == 1


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (b"\xff\xfenot json {", "not JSON"),
        (b'["an", "array"]', "not a JSON object"),
        (b'{"type": "registration.exploded.v9", "id": "x"}', "unknown event type"),
    ],
)
async def test_unparseable_bytes_are_dead_lettered_with_original_bytes(
    broker: KafkaBroker,
    processed: AsyncCollection[dict[str, Any]],
    dlt: TopicReader,
    value: bytes,
    why: str,
) -> None:
    calls: list[str] = []

    async def handle(event: CloudEvent[Any]) -> None:
        calls.append(event.id)

    consumer = EventConsumer("kit-tests", processed, publisher(broker), {TYPE: handle})
    rec = record(value)

    assert await consumer.consume(rec) == "dead_lettered"

    [parked] = await dlt.records(dlt_key(rec))
    assert parked.value == value
    headers = {k: v.decode() for k, v in parked.headers}
    assert headers["x-dead-letter-reason"].startswith("unparseable: ")
    assert why in headers["x-dead-letter-reason"]
    assert headers["x-original-topic"] == TOPIC
    assert headers["x-original-partition"] == str(rec.partition)
    assert headers["x-original-offset"] == str(rec.offset)
    assert headers["x-consumer-group"] == "kit-tests"
    assert calls == []
    assert await processed.count_documents({}) == 0


async def test_failing_handler_is_retried_then_dead_lettered(
    broker: KafkaBroker, processed: AsyncCollection[dict[str, Any]], dlt: TopicReader
) -> None:
    marker = uuid4().hex
    calls: list[str] = []

    async def handle(event: CloudEvent[Any]) -> None:
        calls.append(event.id)
        raise RuntimeError(f"boom {marker}")

    consumer = EventConsumer(
        "kit-tests", processed, publisher(broker), {TYPE: handle}, attempts=3, backoff=0.01
    )
    event = submitted()
    rec = record(event.to_bytes())

    assert await consumer.consume(rec) == "dead_lettered"
    assert calls == [event.id] * 3

    [parked] = await dlt.records(dlt_key(rec))
    assert parked.value == event.to_bytes()
    headers = {k: v.decode() for k, v in parked.headers}
    assert headers["x-dead-letter-reason"] == f"handler failed 3 times: RuntimeError: boom {marker}"
    assert headers["x-original-topic"] == TOPIC
    assert headers["x-original-offset"] == str(rec.offset)
    # Not remembered as applied: a replay from the dead-letter topic gets handled again.
    assert await processed.find_one({"_id": event.id}) is None


async def test_handler_recovering_within_attempts_is_applied(
    broker: KafkaBroker, processed: AsyncCollection[dict[str, Any]]
) -> None:
    calls: list[int] = []

    async def handle(event: CloudEvent[Any]) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("flaky")

    consumer = EventConsumer(
        "kit-tests", processed, publisher(broker), {TYPE: handle}, attempts=3, backoff=0.01
    )
    event = submitted()
    assert await consumer.consume(record(event.to_bytes())) == "applied"
    assert len(calls) == 3
    assert await processed.find_one({"_id": event.id}) is not None


async def test_event_without_handler_is_ignored(
    broker: KafkaBroker, processed: AsyncCollection[dict[str, Any]]
) -> None:
    consumer = EventConsumer("kit-tests", processed, publisher(broker), {})
    event = submitted()
    assert await consumer.consume(record(event.to_bytes())) == "ignored"
    assert await processed.count_documents({}) == 0
