"""A private billing process for tests that must kill it or configure it: its own database,
consumer group and input topic, so the session's services are not disturbed."""

import os
import socket
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from rencontres_contracts import CloudEvent
from rencontres_infra.procs import spawn
from rencontres_infra.stack import Endpoints


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Replica:
    def __init__(self, endpoints: Endpoints, **settings: str) -> None:
        self.name = f"billing-t-{uuid.uuid4().hex[:8]}"
        self.logs = Path(tempfile.mkdtemp(prefix="billing-replica-"))
        self.endpoints = endpoints
        self.env = {
            **os.environ,
            **endpoints.env(),
            "BILLING_DATABASE": self.name,
            "BILLING_CONSUMER_GROUP": self.name,
            "BILLING_SUBSCRIBE_TOPICS": f'["{self.name}"]',
            "LOG_LEVEL": "warning",
            **settings,
        }

    async def create_topic(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.endpoints.kafka_bootstrap_servers)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(self.name, num_partitions=3, replication_factor=1)])
        finally:
            await admin.close()

    async def publish(self, events: Sequence[CloudEvent[Any]]) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.endpoints.kafka_bootstrap_servers, linger_ms=20
        )
        await producer.start()
        try:
            sends = [
                await producer.send(self.name, e.to_bytes(), key=(e.subject or "").encode())
                for e in events
            ]
            for sent in sends:
                await sent
        finally:
            await producer.stop()

    def start(self, index: int = 0, port: int | None = None) -> Any:
        port = port or free_port()
        self.url = f"http://127.0.0.1:{port}"
        return spawn(
            [sys.executable, "-m", "rencontres_billing"],
            self.logs / f"replica-{index}.log",
            {**self.env, "BILLING_PORT": str(port), "BILLING_PUBLIC_BASE_URL": self.url},
        )
