"""No personal data in clear in any service's log line or any dead letter's headers.

Runs last (the root conftest moves it there), so it scans the logs of the whole test run; it
also makes its own traffic first, so it means something when run alone: a registration with
an email and a phone, a visit to its private link (the token is in the URL), and a poison
record quoting an email, which both consumers dead-letter with a reason.
Scanned: the four services' logs (JSON lines). Not scanned: Kafka's, FerretDB's and
PostgreSQL's own logs, and the mail/SMS sink (a stand-in for the providers, which get the
addresses by design).
"""

import json
import re
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from rencontres_infra.stack import Endpoints, Stack

from tests.helpers import eventually, stand_request, unique_email

pytestmark = pytest.mark.infra

LEAKS = {
    "email": re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+\.[A-Za-z]{2,}"),
    "phone": re.compile(r"(?:\+33|\b0)[67](?:[ .-]?\d{2}){4}\b"),
    "private-link token": re.compile(r"[?&][tk]=(?!\*\*\*)[^&\s\"]+"),
}
SERVICES = ("registration", "billing", "notify", "ops")


def leaks(text: str) -> list[tuple[str, str]]:
    return [(kind, m.group(0)) for kind, rx in LEAKS.items() for m in rx.finditer(text)]


async def _traffic(urls: dict[str, str], endpoints: Endpoints, http: httpx.AsyncClient) -> str:
    email = unique_email("scan")
    body = stand_request(email, phone="06 98 76 54 32", sms_consent=True)
    created = await http.post(f"{urls['registration']}/api/registrations", json=body)
    assert created.status_code == 201, created.text
    status_url = created.json()["status_url"]
    assert "t=" in status_url
    assert (await http.get(status_url)).status_code == 200
    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap_servers)
    await producer.start()
    try:
        # valid JSON, invalid event: the validation error quotes the input, email included
        poison = json.dumps({"type": "registration.submitted.v1", "data": {"email": email}})
        await producer.send_and_wait("registration.events", poison.encode(), key=b"scan")
    finally:
        await producer.stop()
    return email


async def _dead_letter_headers(endpoints: Endpoints) -> str:
    consumer = AIOKafkaConsumer(bootstrap_servers=endpoints.kafka_bootstrap_servers, group_id=None)
    await consumer.start()
    try:
        tps = [TopicPartition(t, 0) for t in await consumer.topics() if t.endswith(".dlt")]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        left = sum((await consumer.end_offsets(tps)).values())
        lines = []
        while left > 0:
            batch = await consumer.getmany(timeout_ms=2000)
            if not batch:
                break
            for records in batch.values():
                left -= len(records)
                lines += [f"{k}: {v.decode()}" for r in records for k, v in r.headers]
        return "\n".join(lines)
    finally:
        await consumer.stop()


async def test_no_personal_data_in_logs_or_dead_letter_headers(
    stack: Stack, urls: dict[str, str], endpoints: Endpoints, http: httpx.AsyncClient
) -> None:
    email = await _traffic(urls, endpoints, http)
    logs = {name: Path(stack.logs) / f"{name}.log" for name in SERVICES}

    async def poison_parked() -> bool:
        notify = logs["notify"].read_text(encoding="utf-8", errors="replace")
        return "dead-letters registration.events" in notify and "s***@***" in notify

    await eventually(poison_parked, timeout=20)
    found = []
    for name, path in logs.items():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [(name, number, kind, text) for kind, text in leaks(line)]
    assert not found, f"personal data in clear in the logs: {found[:10]}"
    assert email not in "".join(p.read_text() for p in logs.values())
    headers = await _dead_letter_headers(endpoints)
    assert "x-dead-letter-reason" in headers
    assert not leaks(headers), leaks(headers)[:10]
