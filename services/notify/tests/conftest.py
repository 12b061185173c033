"""Notify tests: a real store on FerretDB, a real dispatcher and notifier sending to the SMTP
catcher (Mailpit) and SMS sink (or to a Mailpit a test starts for itself), a clock tests move,
and readers of what the sinks received and of dead-letter topics."""

import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pymongo import AsyncMongoClient
from rencontres_infra import mailpit
from rencontres_infra.stack import Endpoints, default_cache_dir
from rencontres_notify.dispatcher import Dispatcher, Policy
from rencontres_notify.notifier import Notifier
from rencontres_notify.retry import Backoff
from rencontres_notify.senders import EmailSender, SinkSms
from rencontres_notify.store import DeliveryStore

from tests.helpers import eventually, mails_to

__all__ = ["mails_to"]  # notify's tests read Mailpit through the shared helper

FROM = "Rencontres Entreprises <forum@rencontres.example>"
FAST = Policy(
    lease=timedelta(seconds=30),
    backoff=Backoff(
        base=timedelta(seconds=0.5), cap=timedelta(seconds=2), window=timedelta(hours=1)
    ),
    poll_interval=0.1,
)


@dataclass
class Clock:
    """A clock tests set; defaults to noon in Paris, outside quiet hours."""

    at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(hour=11, minute=0))
    real: bool = False

    def __call__(self) -> datetime:
        return datetime.now(UTC) if self.real else self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
async def store(mongo: AsyncMongoClient[dict[str, Any]]) -> DeliveryStore:
    store = DeliveryStore(mongo[f"t_{uuid.uuid4().hex[:8]}"])
    await store.create_indexes()
    return store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def kafka(endpoints: Endpoints) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap_servers)
    await producer.start()
    yield producer
    await producer.stop()


def kafka_publish(producer: AIOKafkaProducer) -> Callable[..., Any]:
    async def publish(topic: str, key: bytes, value: bytes, headers: dict[str, str]) -> None:
        encoded = [(k, v.encode()) for k, v in headers.items()]
        await producer.send_and_wait(topic, value, key=key, headers=encoded)

    return publish


@pytest.fixture
async def sms_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def make_dispatcher(
    store: DeliveryStore,
    endpoints: Endpoints,
    kafka: AIOKafkaProducer,
    sms_client: httpx.AsyncClient,
    clock: Clock,
) -> Callable[..., Dispatcher]:
    def make(smtp_port: int | None = None, policy: Policy = FAST, **email: Any) -> Dispatcher:
        sender = EmailSender(
            endpoints.smtp_host, smtp_port or endpoints.smtp_port, FROM, timeout=3, **email
        )
        sms = SinkSms(endpoints.sms_provider_url, "Rencontres", sms_client)
        return Dispatcher(store, sender, sms, kafka_publish(kafka), "notify-test", policy, clock)

    return make


@pytest.fixture
def dispatcher(make_dispatcher: Callable[..., Dispatcher]) -> Dispatcher:
    return make_dispatcher()


@pytest.fixture
def notifier(store: DeliveryStore, dispatcher: Dispatcher, clock: Clock) -> Notifier:
    return Notifier(store, dispatcher, clock=clock)


async def sms_to(http: httpx.AsyncClient, endpoints: Endpoints, phone: str) -> list[Any]:
    response = await http.get(f"{endpoints.sinks_url}/api/sms", params={"to": phone})
    response.raise_for_status()
    return list(response.json())


async def dead_letters(endpoints: Endpoints, topic: str, delivery_id: str) -> list[Any]:
    """Records of `topic` whose `x-delivery-id` header is `delivery_id`, read from the start."""
    return await records(endpoints, topic, lambda h, v: h.get("x-delivery-id") == delivery_id)


async def delivery_events(endpoints: Endpoints, delivery_id: str) -> list[Any]:
    """The `delivery.*` events about `delivery_id` on `notify.events`, read from the start."""
    return await records(
        endpoints,
        "notify.events",
        lambda h, v: isinstance(v, dict) and v.get("data", {}).get("delivery_id") == delivery_id,
    )


async def records(
    endpoints: Endpoints, topic: str, keep: Callable[[dict[str, str], Any], bool]
) -> list[Any]:
    """Records of `topic` (headers and JSON value) that `keep` selects, read from the start."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=endpoints.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        parts = await eventually(lambda: _assigned(consumer))
        ends = await consumer.end_offsets(parts)
        found = []
        for part in parts:
            while await consumer.position(part) < ends[part]:
                batch = await consumer.getmany(part, timeout_ms=1000)
                for record in batch.get(part, []):
                    headers = {k: v.decode() for k, v in record.headers}
                    try:  # a dead-letter topic also holds other tests' poison
                        value = json.loads(record.value or b"{}")
                    except ValueError:
                        value = None
                    if keep(headers, value):
                        found.append({"headers": headers, "value": value})
        return found
    finally:
        await consumer.stop()


async def _assigned(consumer: AIOKafkaConsumer) -> list[TopicPartition]:
    await asyncio.sleep(0.05)
    return list(consumer.assignment())


def unique_phone() -> str:
    """A French mobile number no other test is likely to use (SMS caps count per number)."""
    return f"+33612{random.randrange(10**6):06d}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class Catcher:
    """A Mailpit process of a test's own: its SMTP port, its API, its process."""

    smtp: int
    url: str
    proc: "subprocess.Popen[bytes]"


def start_catcher(directory: Path) -> Catcher:
    """Start a Mailpit from the cached build (the session's stack built it) on free ports."""
    binary = mailpit.provision(default_cache_dir())
    smtp, web = free_port(), free_port()
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "mailpit.log").open("ab") as log:
        proc = subprocess.Popen(mailpit.argv(binary, directory, smtp, web), stdout=log, stderr=log)
    return Catcher(smtp, f"http://127.0.0.1:{web}", proc)


def stop_catcher(catcher: Catcher) -> None:
    if catcher.proc.poll() is None:
        os.kill(catcher.proc.pid, signal.SIGCONT)
        catcher.proc.terminate()
        catcher.proc.wait(10)


@pytest.fixture
def own_mailpit(tmp_path: Path) -> Iterator[Catcher]:
    catcher = start_catcher(tmp_path / "mailpit")
    try:
        log = tmp_path / "mailpit" / "mailpit.log"
        mailpit.wait_ready(catcher.url, lambda: catcher.proc.poll() is None, log)
        yield catcher
    finally:
        stop_catcher(catcher)
