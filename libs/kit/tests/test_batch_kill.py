"""The kit's batch consumer SIGKILLed mid-batch, then restarted: offsets were only committed
behind effects already durable and remembered, nothing is lost, and what was remembered is
never applied again."""

import asyncio
import os
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pymongo import AsyncMongoClient
from rencontres_infra.procs import spawn, stop_group, tail
from rencontres_infra.stack import Endpoints

from libs.kit.tests.conftest import registration_submitted

pytestmark = pytest.mark.infra
EVENTS = 400
REPO = Path(__file__).resolve().parents[3]


async def committed(endpoints: Endpoints, topic: str, group: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=endpoints.kafka_bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        return {p: await consumer.committed(TopicPartition(topic, p)) or 0 for p in range(3)}
    finally:
        await consumer.stop()


async def test_a_batch_consumer_killed_mid_batch_loses_nothing_and_repeats_nothing_remembered(
    endpoints: Endpoints, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    name = f"kit-kill-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=endpoints.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap_servers, linger_ms=20)
    await producer.start()
    where: dict[tuple[int, int], str] = {}  # (partition, offset) -> event id
    try:
        for i in range(EVENTS):
            event = registration_submitted(
                str(uuid.uuid4()), reference=f"RC-KILL-{i:04d}", source="/tests/kit", who="kim"
            )
            sent = await (await producer.send(name, event.to_bytes(), key=event.subject.encode()))
            where[(sent.partition, sent.offset)] = event.id
    finally:
        await producer.stop()

    db = mongo[name]
    logs = Path(tempfile.mkdtemp(prefix="kit-kill-"))
    env = {**os.environ, **endpoints.env(), "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "libs.kit.tests.batch_worker", name, name]
    worker = spawn(argv, logs / "worker-0.log", env)
    try:
        deadline = time.monotonic() + 60
        while await db["effects"].count_documents({}) < EVENTS // 4:
            assert worker.poll() is None, tail(logs / "worker-0.log")
            assert time.monotonic() < deadline, "the worker did not get going"
            await asyncio.sleep(0.05)
        os.killpg(worker.pid, signal.SIGKILL)  # mid-batch: batches of 40, effects 5 ms apart
        worker.wait()

        # what was committed is behind effects that are durable and remembered
        offsets = await committed(endpoints, name, name)
        behind = {eid for (p, o), eid in where.items() if o < offsets[p]}
        remembered = {d["_id"] async for d in db["processed_events"].find({}, {"_id": 1})}
        applied = {d["_id"] async for d in db["effects"].find({}, {"_id": 1})}
        assert behind <= remembered <= applied
        assert len(applied) < EVENTS, "killed too late to prove anything"
        applied_before = {d["_id"]: d["n"] async for d in db["effects"].find({})}

        worker = spawn(argv, logs / "worker-1.log", env)
        deadline = time.monotonic() + 90
        while await db["processed_events"].count_documents({}) < EVENTS:
            assert worker.poll() is None, tail(logs / "worker-1.log")
            assert time.monotonic() < deadline, "the backlog was not drained after the restart"
            await asyncio.sleep(0.1)
    finally:
        stop_group(worker)

    effects = {d["_id"]: d["n"] async for d in db["effects"].find({})}
    assert set(effects) == set(where.values()), "an event lost"
    for event_id in remembered:  # remembered before the kill: never applied again
        assert effects[event_id] == applied_before[event_id]
    assert await committed(endpoints, name, name) == {
        p: max(o for q, o in where if q == p) + 1 for p in range(3)
    }
    await mongo.drop_database(name)
