"""The local Kafka broker really behaves like Kafka for what the services rely on.

Provisions the broker jars (cached across runs in RENCONTRES_CACHE or ~/.cache/rencontres),
starts a throw-away single-node KRaft broker on free ports, and drives it with aiokafka:
admin topic creation, an idempotent producer (InitProducerId handshake, acks=all) and a
consumer group that commits offsets. Per-key order is what the services depend on.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import time
from collections import defaultdict
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from rencontres_infra import kafka

pytestmark = pytest.mark.infra

POM = Path(__file__).resolve().parents[1] / "kafka" / "pom.xml"


def _cache_dir() -> Path:
    return Path(os.environ.get("RENCONTRES_CACHE", str(Path.home() / ".cache" / "rencontres")))


def _free_ports(n: int) -> list[int]:
    """Hold all sockets open while picking, so the n ports are distinct."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def test_kafka_version_matches_pom() -> None:
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text())
    assert match is not None
    assert match.group(1) == kafka.KAFKA_VERSION


async def test_broker_roundtrip_idempotent_producer_and_group(tmp_path: Path) -> None:
    libs = await asyncio.to_thread(kafka.provision, _cache_dir())
    t0 = time.perf_counter()
    again = await asyncio.to_thread(kafka.provision, _cache_dir())
    assert again == libs
    assert time.perf_counter() - t0 < 1.0, "second provision must not download"

    port, controller_port = _free_ports(2)
    log_path = tmp_path / "kafka.log"
    proc = await asyncio.to_thread(
        kafka.start, libs, tmp_path / "data", port, controller_port, log_path, 384
    )
    bootstrap = f"127.0.0.1:{port}"
    topic = "registrations.test"
    keys = [f"k{i}".encode() for i in range(6)]
    per_key = 15
    try:
        await asyncio.to_thread(kafka.wait_ready, port, proc, log_path, 60.0)

        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics(
                [NewTopic(name=topic, num_partitions=3, replication_factor=1)]
            )
            described = await admin.describe_topics([topic])
            assert len(described[0]["partitions"]) == 3
        finally:
            await admin.close()

        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, enable_idempotence=True, acks="all"
        )
        await producer.start()
        try:
            futures = [
                await producer.send(topic, key=key, value=f"{key.decode()}:{seq}".encode())
                for seq in range(per_key)
                for key in keys
            ]
            metadata = await asyncio.gather(*futures)
            # The InitProducerId handshake happened: the broker handed out a producer id.
            txn_manager = producer._txn_manager
            assert txn_manager is not None and txn_manager.producer_id >= 0
        finally:
            await producer.stop()
        assert {m.partition for m in metadata} <= {0, 1, 2}
        assert len({m.partition for m in metadata}) > 1, "keys should spread over partitions"

        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id="test-group",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        received: dict[bytes, list[int]] = defaultdict(list)
        try:
            async with asyncio.timeout(20):
                while sum(map(len, received.values())) < len(keys) * per_key:
                    batches = await consumer.getmany(timeout_ms=500)
                    for records in batches.values():
                        for rec in records:
                            assert rec.key is not None and rec.value is not None
                            received[rec.key].append(int(rec.value.split(b":")[1]))
            await consumer.commit()
            committed = [await consumer.committed(TopicPartition(topic, p)) or 0 for p in range(3)]
        finally:
            await consumer.stop()

        assert received == {key: list(range(per_key)) for key in keys}
        assert sum(committed) == len(keys) * per_key
    finally:
        await asyncio.to_thread(kafka.stop, proc)
    assert proc.returncode is not None
