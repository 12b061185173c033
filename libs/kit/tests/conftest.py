"""Kit tests: a started broker, a fresh database and a reader of what reached a topic."""

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
from pymongo.asynchronous.database import AsyncDatabase
from rencontres_contracts import CloudEvent, new_event
from rencontres_contracts.events.common import Contact
from rencontres_contracts.events.registration import RegistrationSubmittedV1
from rencontres_infra.stack import Endpoints
from rencontres_kit.kafka import make_broker


def fresh_database(mongo: AsyncMongoClient[dict[str, Any]]) -> AsyncDatabase[dict[str, Any]]:
    """A database no other test uses."""
    return mongo[f"t_{uuid4().hex[:8]}"]


def registration_submitted(
    registration_id: str, *, reference: str, source: str, who: str
) -> CloudEvent[RegistrationSubmittedV1]:
    """A confirmed student-pass registration, its contact a fresh `who.…@example.fr`."""
    data = RegistrationSubmittedV1(
        registration_id=registration_id,
        reference=reference,
        offer="student_pass",
        edition_ids=["montpellier-2027-11-18"],
        status="confirmed",
        contact=Contact(name="Léa Dubois", email=f"{who}.{uuid4().hex[:8]}@example.fr"),
        status_url=f"http://127.0.0.1/r/{registration_id}",
        submitted_at=datetime.now(UTC),
    )
    return new_event(data, source=source, subject=registration_id)


@pytest.fixture(scope="module")
async def broker(endpoints: Endpoints) -> AsyncIterator[KafkaBroker]:
    broker = make_broker(endpoints.kafka_bootstrap_servers, "kit-tests")
    await broker.start()
    yield broker
    await broker.stop()


class TopicReader:
    """Reads `topic` from the end offsets taken at start(), before the test published."""

    def __init__(self, bootstrap: str, topic: str, partitions: int) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None
        )
        self._topic = topic
        self._partitions = partitions
        self._start: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        await self._consumer.start()
        tps = [TopicPartition(self._topic, p) for p in range(self._partitions)]
        self._consumer.assign(tps)
        self._start = await self._consumer.end_offsets(tps)
        assert self._consumer.partitions_for_topic(self._topic) == set(range(self._partitions))

    async def stop(self) -> None:
        await self._consumer.stop()

    async def records(self, key: bytes, timeout: float = 10.0) -> list[ConsumerRecord[Any, Any]]:
        """Every record with `key` published between start() and now (publishes are acked),
        in partition order."""
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

    @classmethod
    async def reading(
        cls, endpoints: Endpoints, topic: str, partitions: int
    ) -> AsyncIterator["TopicReader"]:
        """The body of a fixture: a started reader, stopped afterwards."""
        reader = cls(endpoints.kafka_bootstrap_servers, topic, partitions)
        try:
            await reader.start()
            yield reader
        finally:
            await reader.stop()


@pytest.fixture
def processed(mongo: AsyncMongoClient[dict[str, Any]]) -> AsyncCollection[dict[str, Any]]:
    """A consumer's memory of applied event ids, in a database of the test's own."""
    return fresh_database(mongo)["processed_events"]


@pytest.fixture
async def dlt(endpoints: Endpoints) -> AsyncIterator[TopicReader]:
    """What lands on `registration.events.dlt` (local infra makes dead-letter topics with one
    partition)."""
    topic = f"{RegistrationSubmittedV1.topic}.dlt"
    async for reader in TopicReader.reading(endpoints, topic, partitions=1):
        yield reader
