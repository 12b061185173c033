"""OutboxRelay against the real FerretDB and Kafka: published in order, then emptied."""

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import pytest
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from rencontres_contracts import CloudEvent
from rencontres_contracts.events.registration import RegistrationSubmittedV1
from rencontres_infra.stack import Endpoints
from rencontres_kit.kafka import publisher
from rencontres_kit.outbox import OWED_FIELD, OutboxRelay, entry_document, outbox_entry

from libs.kit.tests.conftest import TopicReader, fresh_database, registration_submitted

pytestmark = pytest.mark.infra

TOPIC = RegistrationSubmittedV1.topic


@pytest.fixture
def collection(mongo: AsyncMongoClient[dict[str, Any]]) -> AsyncCollection[dict[str, Any]]:
    return fresh_database(mongo)["registrations"]


@pytest.fixture
async def topic_reader(endpoints: Endpoints) -> AsyncIterator[TopicReader]:
    # six partitions: the catalog's partition count
    async for reader in TopicReader.reading(endpoints, TOPIC, partitions=6):
        yield reader


def submitted(registration_id: str) -> CloudEvent[RegistrationSubmittedV1]:
    return registration_submitted(
        registration_id, reference="RC-OUTB-0001", source="/tests/outbox", who="outbox"
    )


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


async def test_failure_midway_keeps_every_entry_for_the_next_pass_in_order(
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
    assert [e["id"] for e in doc["outbox"]] == [e.id for e in events]  # the first goes again

    async def back_up(topic: str, key: bytes, value: bytes, headers: dict[str, str]) -> None:
        acked.append(value)

    await OutboxRelay([collection], back_up).drain_once()
    assert acked == [e.to_bytes() for e in [events[0], *events]]  # consumers drop the repeat
    assert (await collection.find_one({"_id": rid}) or {}).get("outbox") == []


async def test_entries_written_while_publishing_stay_owed(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    rid = str(uuid4())
    first, late = submitted(rid), submitted(rid)
    await collection.insert_one({"_id": rid, "outbox": [outbox_entry(first)], OWED_FIELD: True})
    published: list[bytes] = []

    async def a_writer_meanwhile(
        topic: str, key: bytes, value: bytes, headers: dict[str, str]
    ) -> None:
        published.append(value)
        if len(published) == 1:
            await collection.update_one(
                {"_id": rid}, {"$push": {"outbox": outbox_entry(late)}, "$set": {OWED_FIELD: True}}
            )

    relay = OutboxRelay([collection], a_writer_meanwhile)
    assert await relay.drain_once() is False
    doc = await collection.find_one({"_id": rid})
    assert doc is not None and doc[OWED_FIELD] is True
    assert [e["id"] for e in doc["outbox"]] == [late.id]
    await relay.drain_once()  # a later sweep finds it by its flag
    assert published == [first.to_bytes(), late.to_bytes()]
    doc = await collection.find_one({"_id": rid})
    assert doc is not None and doc["outbox"] == [] and doc[OWED_FIELD] is False


async def test_hinted_documents_are_published_each_in_order_and_failed_ones_retried(
    broker: KafkaBroker, collection: AsyncCollection[dict[str, Any]], topic_reader: TopicReader
) -> None:
    ids = [str(uuid4()) for _ in range(20)]
    events = {rid: [submitted(rid), submitted(rid)] for rid in ids}
    for rid in ids:
        entries = [outbox_entry(e) for e in events[rid]]
        await collection.insert_one({"_id": rid, "outbox": entries, OWED_FIELD: True})
    send = publisher(broker)
    failures = {ids[3]}

    async def flaky(topic: str, key: bytes, value: bytes, headers: dict[str, str]) -> None:
        if key.decode() in failures:
            failures.clear()
            raise ConnectionError("broker hiccup")
        await send(topic, key, value, headers)

    relay = OutboxRelay([collection], flaky, batch_size=8)
    for rid in ids:
        relay.wake(collection.name, rid)
    with pytest.raises(ConnectionError):
        await relay.drain_hints()
    await relay.drain_hints()  # the failed batch's hints were kept

    for rid in ids:
        published = [r.value for r in await topic_reader.records(rid.encode())]
        expected = [e.to_bytes() for e in events[rid]]
        assert published[-2:] == expected and set(published) == set(expected)
    assert await collection.count_documents({OWED_FIELD: True}) == 0


async def test_a_writer_handing_its_outbox_is_published_without_a_read_and_emptied(
    broker: KafkaBroker, collection: AsyncCollection[dict[str, Any]], topic_reader: TopicReader
) -> None:
    rid = str(uuid4())
    event = submitted(rid)
    outbox = [outbox_entry(event)]
    await collection.insert_one({"_id": rid, "outbox": outbox, OWED_FIELD: True})
    reads: list[object] = []
    original_find_one = collection.find_one

    async def counting_find_one(*args: Any, **kwargs: Any) -> Any:
        reads.append(args)
        return await original_find_one(*args, **kwargs)

    collection.find_one = counting_find_one  # type: ignore[method-assign]
    relay = OutboxRelay([collection], publisher(broker))
    relay.wake(collection.name, rid, outbox)
    await relay.drain_hints()
    collection.find_one = original_find_one  # type: ignore[method-assign]

    assert reads == []
    assert [r.value for r in await topic_reader.records(rid.encode())] == [event.to_bytes()]
    doc = await collection.find_one({"_id": rid})
    # emptied in one write: the entry as handed equals the entry as stored (milliseconds)
    assert doc is not None and doc["outbox"] == [] and doc[OWED_FIELD] is False


async def test_unflagged_entries_are_found_by_the_full_sweeps_only(
    broker: KafkaBroker, collection: AsyncCollection[dict[str, Any]], topic_reader: TopicReader
) -> None:
    """Entries written without the flag (a version before it, during a rolling update) are
    found by the first sweep and by the periodic full ones, not by the flag-only sweeps."""
    hourly = OutboxRelay([collection], publisher(broker), full_sweep_interval=3600)
    always = OutboxRelay([collection], publisher(broker), full_sweep_interval=0)
    assert await hourly.drain_once() is False  # its first, full sweep
    rid = str(uuid4())
    event = submitted(rid)
    await collection.insert_one({"_id": rid, "outbox": [outbox_entry(event)]})
    await hourly.drain_once()
    assert (await collection.find_one({"_id": rid}) or {})["outbox"] != []
    await always.drain_once()
    assert (await collection.find_one({"_id": rid}) or {})["outbox"] == []
    assert [r.value for r in await topic_reader.records(rid.encode())] == [event.to_bytes()]


async def test_an_entry_collection_is_published_by_key_in_order_then_emptied(
    broker: KafkaBroker, mongo: AsyncMongoClient[dict[str, Any]], topic_reader: TopicReader
) -> None:
    """Entries handed over by their writer are published without a read, each key's in order,
    and deleted in one write; entries nobody handed over (a writer that crashed) are found by
    the sweep; a failed publish deletes nothing."""
    entries = fresh_database(mongo)["outbox"]
    a, b = str(uuid4()), str(uuid4())
    handed = [submitted(a), submitted(b), submitted(a)]
    left = submitted(b)
    docs = [entry_document(e) for e in handed]
    await entries.insert_many([*docs, entry_document(left)])

    async def broker_down(topic: str, key: bytes, value: bytes, headers: dict[str, str]) -> None:
        raise ConnectionError("broker unreachable")

    failing = OutboxRelay([], broker_down, entry_collections=[entries])
    failing.wake_entries("outbox", docs)
    with pytest.raises(ConnectionError):
        await failing.drain_entry_hints()
    assert await entries.count_documents({}) == 4, "nothing deleted before it is published"

    relay = OutboxRelay([], publisher(broker), entry_collections=[entries])
    relay.wake_entries("outbox", docs)
    await relay.drain_entry_hints()
    assert [r.value for r in await topic_reader.records(a.encode())] == [
        handed[0].to_bytes(),
        handed[2].to_bytes(),
    ]
    assert [d["_id"] async for d in entries.find({})] == [left.id], "the unhanded one stays"

    assert await relay.drain_once() is False
    assert [r.value for r in await topic_reader.records(b.encode())] == [
        handed[1].to_bytes(),
        left.to_bytes(),
    ]
    assert await entries.count_documents({}) == 0
