"""Kafka for billing's tests: publish registration events, read what billing published."""

import json
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from rencontres_contracts import CloudEvent
from rencontres_infra.stack import Endpoints


async def publish(endpoints: Endpoints, *events: CloudEvent[Any]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap_servers)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                "registration.events", event.to_bytes(), key=(event.subject or "").encode()
            )
    finally:
        await producer.stop()


class BillingEvents:
    """billing.events from the offsets at start: what billing published since, by key."""

    def __init__(self, bootstrap: str) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        self._tps = [TopicPartition("billing.events", p) for p in range(3)]
        self._seen: list[dict[str, Any]] = []
        self._ids: set[str] = set()

    async def start(self) -> None:
        await self._consumer.start()
        self._consumer.assign(self._tps)
        for tp, offset in (await self._consumer.end_offsets(self._tps)).items():
            self._consumer.seek(tp, offset)

    async def of(self, key: str, types: list[str], timeout: float = 30) -> list[dict[str, Any]]:
        """Wait until the events of `key` include `types` (in order); return them all, each
        once: delivery is at least once (a relay may publish an entry again), and consumers,
        like this reader, skip an event id they have seen."""
        deadline = time.monotonic() + timeout
        while True:
            batch = await self._consumer.getmany(timeout_ms=300)
            for records in batch.values():
                for r in records:
                    event = json.loads(r.value) | {"_key": r.key.decode()}
                    if event["id"] not in self._ids:
                        self._ids.add(event["id"])
                        self._seen.append(event)
            mine = [e for e in self._seen if e["_key"] == key]
            if [e["type"] for e in mine][: len(types)] == types:
                return mine
            assert time.monotonic() < deadline, f"saw {[e['type'] for e in mine]}"

    async def stop(self) -> None:
        await self._consumer.stop()
