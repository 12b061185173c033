"""The floor to compare against: a bare aiokafka consume-and-insert loop.

It reads the same registration events from its own topic with its own consumer group, parses
each record's JSON, and inserts one document per record into the same FerretDB, committing
offsets after each batch: what any Kafka → MongoDB consumer pays, with no rule at all (no
event validation, no idempotency, no numbering, no outbox, no relay).
Run as a process: `python -m bench.billing.baseline <topic> <database> <progress file>`.
Every 100 documents, and after each committed batch, it writes how many it has inserted into
the progress file: the benchmark follows it without asking the database (a `count_documents`
twice a second would take FerretDB's CPU from the loop it measures).
"""

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient


async def run(topic: str, database: str, progress: Path) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(os.environ["MONGODB_URI"])
    collection = client[database]["invoices"]
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        group_id=f"{database}-group",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    done = 0
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    event = json.loads(record.value)
                    await collection.insert_one(
                        {"_id": event["data"]["registration_id"], "event_id": event["id"]}
                    )
                    done += 1
                    if done % 100 == 0:  # inserted, not committed: as billing's figure is
                        progress.write_text(str(done))  # noqa: ASYNC240 (a few bytes)
            if batch:
                await consumer.commit()
                progress.write_text(str(done))  # noqa: ASYNC240
    finally:
        await consumer.stop()
        await client.close()


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
