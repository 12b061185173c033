"""EventConsumer.consume_batch against the real FerretDB and Kafka: one poll's records, with
duplicates, poison and a failing event among them, keep every guarantee of the single path.

The records are built by hand, like in test_consumer.py; the SIGKILL test (test_batch_kill.py)
runs the whole loop, FastStream's batch subscriber included, in a process it kills."""

import random
from collections.abc import Sequence
from typing import Any
from uuid import uuid4

import pytest
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.collection import AsyncCollection
from rencontres_contracts import CloudEvent, new_event
from rencontres_contracts.events.registration import (
    RegistrationCancelledV1,
    RegistrationSubmittedV1,
)
from rencontres_kit.consumer import EventConsumer, Record
from rencontres_kit.handlers import EventRouter
from rencontres_kit.kafka import publisher

from libs.kit.tests.conftest import TopicReader, registration_submitted

pytestmark = pytest.mark.infra

TOPIC = RegistrationSubmittedV1.topic
DLT = f"{TOPIC}.dlt"
SUBMITTED = RegistrationSubmittedV1.event_type
CANCELLED = RegistrationCancelledV1.event_type


def submitted() -> CloudEvent[RegistrationSubmittedV1]:
    rid = str(uuid4())
    return registration_submitted(rid, reference="RC-TEST-0001", source="/tests/kit", who="lea")


class Records:
    """Records of two partitions at offsets no other test uses (dead letters are keyed by
    topic, partition and offset)."""

    def __init__(self) -> None:
        base = random.randrange(10**9, 10**12)
        self.next = {0: base, 1: base}

    def __call__(self, value: bytes, partition: int = 0) -> Record:
        self.next[partition] += 1
        return Record(TOPIC, partition, self.next[partition], value)


class Log:
    """What the handlers saw: ('one', id) per single call, ('batch', ids) per batch call."""

    def __init__(self, fail_on: set[str] | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.fail_on = fail_on or set()

    async def one(self, event: CloudEvent[Any]) -> None:
        self.calls.append(("one", event.id))
        if event.id in self.fail_on:
            raise RuntimeError("this one cannot be applied")

    async def batch(self, events: Sequence[CloudEvent[Any]]) -> None:
        self.calls.append(("batch", [e.id for e in events]))
        if self.fail_on & {e.id for e in events}:
            raise RuntimeError("a bad event in the batch")


def consumer(
    broker: KafkaBroker, processed: AsyncCollection[dict[str, Any]], log: Log
) -> EventConsumer:
    return EventConsumer(
        "kit-batch-tests",
        processed,
        publisher(broker),
        {SUBMITTED: log.one, CANCELLED: log.one},
        attempts=2,
        backoff=0.01,
        batch_handlers={SUBMITTED: log.batch},
    )


async def test_a_batch_goes_to_the_batch_handler_once_and_is_remembered_in_one_go(
    broker: KafkaBroker, processed: AsyncCollection[dict[str, Any]]
) -> None:
    log, rec = Log(), Records()
    events = [submitted() for _ in range(5)]
    records = [rec(e.to_bytes(), partition=i % 2) for i, e in enumerate(events)]

    assert await consumer(broker, processed, log).consume_batch(records) == ["applied"] * 5

    # both partitions' runs of one type went to one call, each partition's events in order
    [(kind, ids)] = log.calls
    assert kind == "batch" and sorted(ids) == sorted(e.id for e in events)
    assert [i for i in ids if i in {events[0].id, events[2].id, events[4].id}] == [
        events[0].id,
        events[2].id,
        events[4].id,
    ]
    assert await processed.count_documents({}) == 5
    # read again (a redelivery after a crash before the commit): nothing reaches a handler
    assert await consumer(broker, processed, log).consume_batch(records) == ["duplicate"] * 5
    assert len(log.calls) == 1


async def test_duplicates_poison_and_a_failing_event_in_one_batch(
    broker: KafkaBroker, processed: AsyncCollection[dict[str, Any]], dlt: TopicReader
) -> None:
    before, bad, *good = [submitted() for _ in range(5)]
    log, rec = Log(fail_on={bad.id}), Records()
    first = consumer(broker, processed, log)
    assert await first.consume_batch([rec(before.to_bytes())]) == ["applied"]
    log.calls.clear()

    poison = b'{"type": "registration.submitted.v1", "id": "x", "data": {"nope": 1}}'
    records = [
        rec(before.to_bytes()),  # applied by an earlier batch
        rec(good[0].to_bytes()),
        rec(poison),  # in the middle of the partition
        rec(bad.to_bytes()),  # its handler always fails
        rec(good[0].to_bytes()),  # the same event twice in one batch
        rec(good[1].to_bytes()),
        rec(good[2].to_bytes(), partition=1),
    ]
    outcomes = await first.consume_batch(records)

    assert outcomes == [
        "duplicate",
        "applied",
        "dead_lettered",
        "dead_lettered",
        "duplicate",
        "applied",
        "applied",
    ]
    # the batch handler raised, so its events were applied one by one: the bad one alone failed
    assert log.calls[0] == ("batch", [good[0].id, bad.id, good[1].id, good[2].id])
    assert log.calls[1:] == [
        ("one", good[0].id),
        ("one", bad.id),
        ("one", bad.id),
        ("one", good[1].id),
        ("one", good[2].id),
    ]
    [parked_poison] = await dlt.records(dlt_key(records[2]))
    assert parked_poison.value == poison
    reasons = {k: v.decode() for k, v in parked_poison.headers}
    assert reasons["x-dead-letter-reason"].startswith("unparseable: ")
    [parked_bad] = await dlt.records(dlt_key(records[3]))
    assert parked_bad.value == bad.to_bytes()
    reason = {k: v.decode() for k, v in parked_bad.headers}["x-dead-letter-reason"]
    assert reason == "handler failed 2 times: RuntimeError: this one cannot be applied"
    remembered = {d["_id"] async for d in processed.find({})}
    assert remembered == {before.id, *(e.id for e in good)}, "the failed one stays replayable"


async def test_a_partition_keeps_its_order_across_types(
    broker: KafkaBroker, processed: AsyncCollection[dict[str, Any]]
) -> None:
    """submitted, submitted, cancelled, submitted on one partition: three calls, in order."""
    log, rec = Log(), Records()
    a, b, c = submitted(), submitted(), submitted()
    example = RegistrationCancelledV1.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    cancelled = new_event(
        RegistrationCancelledV1.model_validate(example), source="/tests/kit", subject="r"
    )
    records = [rec(x.to_bytes()) for x in (a, b, cancelled, c)]

    assert await consumer(broker, processed, log).consume_batch(records) == ["applied"] * 4
    assert log.calls == [("batch", [a.id, b.id]), ("one", cancelled.id), ("one", c.id)]


def dlt_key(rec: Record) -> bytes:
    return f"{rec.topic}-{rec.partition}-{rec.offset}".encode()


async def test_a_router_binds_batch_handlers_only_beside_single_ones() -> None:
    router: EventRouter[list[str]] = EventRouter("kit-tests")

    @router.on_batch(RegistrationSubmittedV1)
    async def batch(events: Sequence[CloudEvent[RegistrationSubmittedV1]], seen: list[str]) -> None:
        seen.extend(e.id for e in events)

    with pytest.raises(ValueError, match="without a handler"):
        router.bind_batches([])

    @router.on(RegistrationSubmittedV1)
    async def one(event: CloudEvent[RegistrationSubmittedV1], seen: list[str]) -> None:
        seen.append(event.id)

    seen: list[str] = []
    events = [submitted(), submitted()]
    await router.bind_batches(seen)[SUBMITTED](events)
    assert seen == [e.id for e in events]


async def test_an_idempotent_batch_type_is_neither_looked_up_nor_remembered(
    broker: KafkaBroker, processed: AsyncCollection[dict[str, Any]]
) -> None:
    """`on_batch(..., idempotent=True)`: the handler dedupes by itself, so a redelivered batch
    reaches it again (a repeat within one poll still does not), and `processed_events` is
    neither read nor written for that type; other types keep the consumer's own dedupe."""
    router: EventRouter[Log] = EventRouter("kit-tests")

    @router.on(RegistrationSubmittedV1)
    async def one(event: CloudEvent[RegistrationSubmittedV1], log: Log) -> None:
        await log.one(event)

    @router.on_batch(RegistrationSubmittedV1, idempotent=True)
    async def many(events: Sequence[CloudEvent[RegistrationSubmittedV1]], log: Log) -> None:
        await log.batch(events)

    assert router.idempotent_batch_types == {SUBMITTED}
    log, rec = Log(), Records()
    a, b = submitted(), submitted()
    processed_before = await processed.count_documents({})
    records = [rec(a.to_bytes()), rec(b.to_bytes()), rec(a.to_bytes())]
    idempotent = EventConsumer(
        "kit-batch-tests",
        processed,
        publisher(broker),
        router.bind(log),
        batch_handlers=router.bind_batches(log),
        idempotent_batch_types=router.idempotent_batch_types,
    )

    assert await idempotent.consume_batch(records) == ["applied", "applied", "duplicate"]
    assert await idempotent.consume_batch(records[:2]) == ["applied", "applied"]
    assert log.calls == [("batch", [a.id, b.id]), ("batch", [a.id, b.id])]
    assert await processed.count_documents({}) == processed_before
    # the same records through a consumer without the promise: looked up and remembered
    assert await consumer(broker, processed, log).consume_batch(records[:2]) == ["applied"] * 2
    assert await processed.count_documents({}) == processed_before + 2
