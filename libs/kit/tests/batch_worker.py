"""A consumer process for test_batch_kill.py: the kit's batch path end to end (FastStream's
batch subscriber, `EventConsumer.consume_batch`, a batch handler), on a private topic, group
and database given as arguments. Its effect is one document per event (`effects`, `_id` the
event id, `n` how many times it was applied), written slowly so that a kill lands mid-batch.

Run as `python -m libs.kit.tests.batch_worker <topic> <database>`.
"""

import asyncio
import os
import sys
from collections.abc import Sequence
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from rencontres_contracts import CloudEvent
from rencontres_contracts.events.registration import RegistrationSubmittedV1
from rencontres_kit.consumer import EventConsumer
from rencontres_kit.kafka import make_broker, publisher, subscribe


async def apply(effects: AsyncCollection[dict[str, Any]], event: CloudEvent[Any]) -> None:
    """Idempotent like every real handler: applied again, it only counts the repeat."""
    await effects.update_one({"_id": event.id}, {"$inc": {"n": 1}}, upsert=True)
    await asyncio.sleep(0.005)


async def run(topic: str, database: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(os.environ["MONGODB_URI"])
    db = client[database]
    broker = make_broker(os.environ["KAFKA_BOOTSTRAP_SERVERS"], "kit-batch-worker")

    async def one(event: CloudEvent[Any]) -> None:
        await apply(db["effects"], event)

    async def batch(events: Sequence[CloudEvent[Any]]) -> None:
        for event in events:
            await apply(db["effects"], event)

    kind = RegistrationSubmittedV1.event_type
    consumer = EventConsumer(
        database,
        db["processed_events"],
        publisher(broker),
        {kind: one},
        batch_handlers={kind: batch},
    )
    subscribe(broker, consumer, [topic], database, batch_size=40)
    await broker.start()
    try:
        await asyncio.Event().wait()
    finally:
        await broker.stop()
        await client.close()


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], sys.argv[2]))
