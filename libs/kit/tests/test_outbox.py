"""OutboxRelay against the real FerretDB and Kafka: published in order, then emptied."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from rencontres_contracts import CloudEvent, new_event
from rencontres_contracts.events.common import Contact
from rencontres_contracts.events.registration import RegistrationSubmittedV1
from rencontres_infra.stack import Endpoints
from rencontres_kit.kafka import make_broker, publisher
from rencontres_kit.outbox import OutboxRelay, outbox_entry

pytestmark = pytest.mark.infra

TOPIC = RegistrationSubmittedV1.topic


@pytest.fixture(scope="module")
async def broker(endpoints: Endpoints) -> AsyncIterator[KafkaBroker]:
    broker = make_broker(endpoints.kafka_bootstrap_servers, "kit-outbox-tests")
    await broker.start()
    yield broker
    await broker.stop()


@pytest.fixture
def collection(mongo: AsyncMongoClient[dict[str, Any]]) -> AsyncCollection[dict[str, Any]]:
    return mongo[f"t_{uuid4().hex[:8]}"]["registrations"]


@pytest.fixture
async def topic_reader(endpoints: Endpoints) -> AsyncIterator["TopicReader"]:
    reader = TopicReader(endpoints.kafka_bootstrap_servers)
    try:
        await reader.start()
        yield reader
    finally:
        await reader.stop()


class TopicReader:
    """Reads `registration.events` from the end offsets taken before the test published."""

    def __init__(self, bootstrap: str) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None
        )
        self._start: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        await self._consumer.start()
        tps = [TopicPartition(TOPIC, p) for p in range(6)]  # the catalog's partition count
        self._consumer.assign(tps)
        self._start = await self._consumer.end_offsets(tps)
        assert self._consumer.partitions_for_topic(TOPIC) == set(range(6))

    async def stop(self) -> None:
        await self._consumer.stop()

    async def records(self, key: bytes, timeout: float = 10.0) -> list[ConsumerRecord[Any, Any]]:
        """Records with `key` published since start(), in partition order."""
        ends = await self._consumer.end_offsets(list(self._start))
        for tp, offset in self._start.items():
            self._consumer.seek(tp, offset)
        found: list[ConsumerRecord[Any, Any]] = []
        async with asyncio.timeout(timeout):
            for tp, end in ends.items():
                while await self._consumer.position(tp) < end:
                    batch = await self._consumer.getmany(tp, timeout_ms=500)
                    found += [r for r in batch.get(tp, []) if r.key == key]
        return found


def submitted(registration_id: str) -> CloudEvent[RegistrationSubmittedV1]:
    data = RegistrationSubmittedV1(
        registration_id=registration_id,
        reference="RC-OUTB-0001",
        offer="student_pass",
        edition_ids=["montpellier-2027-11-18"],
        status="confirmed",
        contact=Contact(name="Léa Dubois", email=f"outbox.{uuid4().hex[:8]}@example.fr"),
        status_url=f"http://127.0.0.1/r/{registration_id}",
        submitted_at=datetime.now(UTC),
    )
    return new_event(data, source="/tests/outbox", subject=registration_id)


async def test_relay_publishes_entries_in_order_then_empties_the_outbox(
    broker: KafkaBroker, collection: AsyncCollection[dict[str, Any]], topic_reader: TopicReader
) -> None:
    rid = str(uuid4())
    first, second = submitted(rid), submitted(rid)
    await collection.insert_one(
        {"_id": rid, "state": "x", "outbox": [outbox_entry(first), outbox_entry(second)]}
    )

    more = await OutboxRelay([collection], publisher(broker)).drain_once()

    assert more is False
    published = await topic_reader.records(rid.encode())
    assert [r.value for r in published] == [first.to_bytes(), second.to_bytes()]
    assert len({r.partition for r in published}) == 1, "one key, one partition"
    assert published[0].offset < published[1].offset
    headers = {k: v.decode() for k, v in published[0].headers}
    assert headers["ce_type"] == RegistrationSubmittedV1.event_type
    assert headers["content-type"] == "application/cloudevents+json"

    doc = await collection.find_one({"_id": rid})
    assert doc is not None
    assert doc["outbox"] == []
    assert doc["state"] == "x", "the relay touches nothing but the outbox"

    # Nothing left: a second pass publishes nothing more.
    assert await OutboxRelay([collection], publisher(broker)).drain_once() is False
    assert len(await topic_reader.records(rid.encode())) == 2


async def test_failed_publish_leaves_the_outbox_untouched(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    rid = str(uuid4())
    first, second = submitted(rid), submitted(rid)
    await collection.insert_one({"_id": rid, "outbox": [outbox_entry(first), outbox_entry(second)]})

    async def broker_down(topic: str, key: bytes, value: bytes, headers: dict[str, str]) -> None:
        raise ConnectionError("broker unreachable")

    with pytest.raises(ConnectionError):
        await OutboxRelay([collection], broker_down).drain_once()

    doc = await collection.find_one({"_id": rid})
    assert doc is not None
    assert [e["id"] for e in doc["outbox"]] == [first.id, second.id]


async def test_failure_midway_keeps_the_unpublished_tail_in_order(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    rid = str(uuid4())
    events = [submitted(rid) for _ in range(3)]
    await collection.insert_one({"_id": rid, "outbox": [outbox_entry(e) for e in events]})
    acked: list[bytes] = []

    async def fails_on_second(
        topic: str, key: bytes, value: bytes, headers: dict[str, str]
    ) -> None:
        if len(acked) == 1:
            raise ConnectionError("broker went away")
        acked.append(value)

    with pytest.raises(ConnectionError):
        await OutboxRelay([collection], fails_on_second).drain_once()

    doc = await collection.find_one({"_id": rid})
    assert doc is not None
    assert acked == [events[0].to_bytes()]
    assert [e["id"] for e in doc["outbox"]] == [events[1].id, events[2].id]
