"""The ops dashboard against the running platform: sign-in, figures after traffic, dead letters.

A dead letter is injected on purpose (a valid `registration.submitted.v1` parked on
`registration.events.dlt` as notify would have parked it), read back masked, replayed through
the JSON API, and then processed once: one email, one invoice, and a second replay refused.
"""

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient
from rencontres_contracts import new_event
from rencontres_contracts.events.notify import DeliveryFailedV1
from rencontres_contracts.events.registration import RegistrationSubmittedV1
from rencontres_infra.stack import Endpoints

from tests.helpers import eventually, mails_to, registration_mails, stand_request, unique_email

pytestmark = pytest.mark.infra

STAFF_LOGIN = {"name": "staff", "password": "dev-ops-password-change-me"}
EXAMPLES = Path(__file__).resolve().parents[1] / "contracts" / "examples"


@asynccontextmanager
async def signed_in(ops: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=ops, timeout=10) as client:
        response = await client.post("/login", data=STAFF_LOGIN)
        assert response.status_code == 303, response.text
        yield client


async def test_pages_need_a_session_and_json_answers_401(urls: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=urls["ops"], timeout=10) as anon:
        page = await anon.get("/")
        assert page.status_code == 303 and page.headers["location"] == "/login"
        assert (await anon.get("/api/overview")).status_code == 401
        assert (await anon.get("/api/dead-letters")).status_code == 401
        wrong = await anon.post("/login", data={"name": "staff", "password": "nope"})
        assert wrong.status_code == 401 and "wrong password" in wrong.text
        anon.cookies.set("ops_session", "forged.cookie.value")
        assert (await anon.get("/api/overview")).status_code == 401
    async with signed_in(urls["ops"]) as client:
        assert (await client.get("/api/overview")).status_code == 200
        assert "Funnel" in (await client.get("/")).text
        await client.post("/logout")
        client.cookies.clear()
        assert (await client.get("/api/overview")).status_code == 401


async def test_figures_after_traffic(http: httpx.AsyncClient, urls: dict[str, str]) -> None:
    for _ in range(3):
        body = stand_request(unique_email("ops"), edition="ales-2027-11-17")
        response = await http.post(f"{urls['registration']}/api/registrations", json=body)
        assert response.status_code == 201, response.text

    async def figures() -> dict[str, Any] | None:
        data: dict[str, Any] = (await client.get("/api/overview")).json()
        funnel = {f["stage"]: f["count"] for f in data["funnel"]}
        ales = [p for p in data["places"] if p["edition"] == "ales-2027-11-17"]
        ready = all(s["ready"] for s in data["services"]) and len(data["services"]) == 3
        taken = bool(ales) and ales[0]["left"] < ales[0]["total"]
        return data if ready and (funnel["submitted"] or 0) >= 3 and taken else None

    async with signed_in(urls["ops"]) as client:
        data = await eventually(figures, timeout=30)
        funnel = {f["stage"]: f["count"] for f in data["funnel"]}
        assert funnel["reserved"] >= 3 and data["consumed"]["applied"] >= 6
        assert data["consumer_groups"] and "registration.events" in data["throughput"]
        metrics = (await client.get("/metrics")).text
        assert 'rencontres_service_up{service="registration"} 1.0' in metrics
        assert 'kafka_consumergroup_lag{group="notify"' in metrics


async def inject_dead_letter(endpoints: Endpoints, event_bytes: bytes, key: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(
            "registration.events.dlt",
            event_bytes,
            key=b"registration.events-0-999999",
            headers=[
                # as the kit writes it: masked (the log scan checks every dead letter's headers)
                ("x-dead-letter-reason", b"handler failed 3 times: SMTP refused o***@***"),
                ("x-consumer-group", b"notify"),
                ("x-original-topic", b"registration.events"),
                ("x-original-partition", b"0"),
                ("x-original-offset", b"999999"),
                ("x-original-key", key),
            ],
        )
    finally:
        await producer.stop()


def submitted_event(email: str) -> tuple[str, bytes]:
    """A valid submission no service has seen: the contract's example with fresh ids."""
    example = json.loads(next((EXAMPLES / "registration.submitted.v1").glob("*.json")).read_text())
    registration_id = str(uuid.uuid4())
    example.update(
        registration_id=registration_id,
        reference=f"RC-{uuid.uuid4().hex[:4].upper()}-TEST",
        submitted_at=datetime.now(UTC).isoformat(),
        edition_ids=["ales-2027-11-17"],
    )
    example["contact"] = {**example["contact"], "email": email, "sms_consent": False}
    data = RegistrationSubmittedV1.model_validate(example)
    event = new_event(data, source="tests", subject=registration_id)
    return registration_id, event.to_bytes()


async def test_a_dead_letter_is_shown_masked_replayed_once_and_audited(
    urls: dict[str, str],
    endpoints: Endpoints,
    http: httpx.AsyncClient,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    email = unique_email("dead.letter")
    registration_id, value = submitted_event(email)
    await inject_dead_letter(endpoints, value, registration_id.encode())
    async with signed_in(urls["ops"]) as client:

        async def ours() -> dict[str, Any] | None:
            letters = (await client.get("/api/dead-letters")).json()
            return next((d for d in letters if registration_id in d["payload"]), None)

        letter = await eventually(ours)
        shown = json.dumps(letter)
        assert email not in shown and "Claire" not in shown
        assert letter["original_topic"] == "registration.events" and not letter["replayed"]

        bad = await client.post("/api/dead-letters/replay", json={"refs": ["no good"]})
        assert bad.status_code == 422 and "refs" in bad.text

        replay = await client.post("/api/dead-letters/replay", json={"refs": [letter["ref"]]})
        assert replay.status_code == 200, replay.text
        assert [r["replayed_by"] for r in replay.json()["replayed"]] == ["staff"]

        async def mails() -> list[Any]:
            return registration_mails(await mails_to(http, endpoints.mail_url, email))

        assert len(await eventually(mails)) == 1
        again = await client.post("/api/dead-letters/replay", json={"refs": [letter["ref"]]})
        assert again.json() == {
            "replayed": [],
            "skipped": [{"ref": letter["ref"], "code": "already_replayed"}],
        }
        audit = (await client.get("/api/audit")).json()
        assert [
            a["replayed_by"] for a in audit if a["replayed_event_id"] == json.loads(value)["id"]
        ] == ["staff"]

        invoices = mongo["billing"]["invoices"]
        await eventually(lambda: invoices.find_one({"registration_ids": registration_id}))
        await eventually(lambda: _applied_by_notify(client), timeout=10)
        assert len(await mails()) == 1
        assert await invoices.count_documents({"registration_ids": registration_id}) == 1


async def _applied_by_notify(client: httpx.AsyncClient) -> bool:
    data = (await client.get("/api/overview")).json()
    return bool(data["consumed"].get("applied"))


async def test_recent_deliveries_and_failures_come_from_notify_events(
    urls: dict[str, str], endpoints: Endpoints
) -> None:
    """What notify reports on `notify.events` (its issue; published here by hand) is listed."""
    template = f"template_{uuid.uuid4().hex[:6]}"
    failed = DeliveryFailedV1(
        delivery_id=f"{uuid.uuid4()}:sms",
        registration_id=str(uuid.uuid4()),
        source_event_type="registration.submitted.v1",
        channel="sms",
        template=template,
        attempts=3,
        at=datetime.now(UTC),
        recipient_masked="+33 6 ** ** ** 78",
        error="provider refused +33612345678",
        permanent=True,
    )
    event = new_event(failed, source="tests", subject=failed.registration_id)
    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait("notify.events", event.to_bytes(), key=b"r")
    finally:
        await producer.stop()
    async with signed_in(urls["ops"]) as client:

        async def listed() -> dict[str, Any] | None:
            deliveries = (await client.get("/api/overview")).json()["deliveries"]
            return next((d for d in deliveries if d["template"] == template), None)

        line = await eventually(listed, timeout=15)
        assert line["outcome"] == "failed" and line["channel"] == "sms"
        assert "612345678" not in line["error"]
        assert template in (await client.get("/partials/overview")).text
