"""The registration HTTP API over the running service: errors, duplicates, staff, billing."""

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient
from rencontres_contracts import new_event
from rencontres_contracts.events.billing import InvoicePaidV1
from rencontres_contracts.events.registration import RegistrationLinkRequestedV1
from rencontres_infra.stack import Endpoints
from rencontres_kit.kafka import make_broker, publisher

from tests.helpers import (
    STAFF,
    eventually,
    mails_to,
    registration_mails,
    stand_request,
    student_request,
    unique_email,
)

pytestmark = pytest.mark.infra
Mongo = AsyncMongoClient[dict[str, Any]]


async def _count(mongo: Mongo, email: str) -> int:
    return await mongo["registration"]["registrations"].count_documents({"contact.email": email})


async def test_bad_input_gets_field_level_messages_and_stores_nothing(
    http: httpx.AsyncClient, urls: dict[str, str], mongo: Mongo
) -> None:
    email = unique_email("bad")
    body = stand_request(email, phone="12")
    body["organisation"]["siret"] = "73282932000075"
    del body["data_consent"]
    response = await http.post(f"{urls['registration']}/api/registrations", json=body)
    assert response.status_code == 422
    problems = {".".join(map(str, e["loc"][2:])): e["msg"] for e in response.json()["detail"]}
    assert "SIRET" in problems["organisation.siret"]
    assert "phone" in problems["contact.phone"]
    assert "data_consent" in problems
    assert await _count(mongo, email) == 0


async def test_unknown_edition_is_refused_with_the_known_ones(
    http: httpx.AsyncClient, urls: dict[str, str]
) -> None:
    body = stand_request(unique_email(), edition="paris-2027-11-17")
    response = await http.post(f"{urls['registration']}/api/registrations", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "edition_id"]
    assert "ales-2027-11-17" in detail["msg"]


async def test_duplicate_email_is_409_and_idempotency_key_returns_the_first(
    http: httpx.AsyncClient, urls: dict[str, str], mongo: Mongo
) -> None:
    email = unique_email("dup")
    url = f"{urls['registration']}/api/registrations"
    key = {"Idempotency-Key": f"form-{email}"}
    first = await http.post(url, json=student_request(email), headers=key)
    again = await http.post(url, json=student_request(email), headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    clash = await http.post(url, json=student_request(email))
    assert clash.status_code == 409
    assert await _count(mongo, email) == 1


async def test_a_409_reveals_nothing_and_sends_the_owner_their_link(
    http: httpx.AsyncClient, urls: dict[str, str], endpoints: Endpoints
) -> None:
    email = unique_email("clash")
    url = f"{urls['registration']}/api/registrations"
    first = (await http.post(url, json=stand_request(email, "tiny-2027-11-19"))).json()
    clash = await http.post(url, json=stand_request(email, "tiny-2027-11-19"))
    again = await http.post(url, json=stand_request(email, "tiny-2027-11-19"))
    assert clash.status_code == again.status_code == 409
    for secret in (first["id"], first["reference"], first["status_url"], first["status"]):
        assert secret not in clash.text
    sent = await _events_of(endpoints, "registration.events", first["id"])
    requested = [e for e in sent if e["type"] == RegistrationLinkRequestedV1.event_type]
    assert len(requested) == 1  # the second clash, minutes later, sends nothing more
    data = RegistrationLinkRequestedV1.model_validate(requested[0]["data"])
    assert data.contact.email == email and data.status_url.startswith(first["status_url"][:30])


async def _events_of(endpoints: Endpoints, topic: str, subject: str) -> list[dict[str, Any]]:
    """Every event of `topic` about `subject`, read from the real broker."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=endpoints.kafka_bootstrap_servers,
        group_id=f"test-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while loop.time() < deadline and not (found and loop.time() > deadline - 17):
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    if record.key == subject.encode() and record.value:
                        found.append(json.loads(record.value))
            if not batch and found:
                break
    finally:
        await consumer.stop()
    return found


async def test_the_private_link_shows_and_cancels_only_with_its_token(
    http: httpx.AsyncClient, urls: dict[str, str]
) -> None:
    created = (
        await http.post(
            f"{urls['registration']}/api/registrations", json=student_request(unique_email())
        )
    ).json()
    base = f"{urls['registration']}/api/registrations/{created['id']}"
    token = created["status_url"].split("t=")[1]
    assert (await http.get(base, params={"t": "wrong"})).status_code == 404
    assert (await http.get(base, params={"t": token})).json()["status"] == "confirmed"
    cancelled = await http.post(f"{base}/cancel", params={"t": token})
    assert cancelled.json()["status"] == "cancelled"
    assert (await http.post(f"{base}/cancel", params={"t": token})).status_code == 409


async def test_staff_api_needs_the_token(http: httpx.AsyncClient, urls: dict[str, str]) -> None:
    base = f"{urls['registration']}/api/staff/registrations"
    assert (await http.get(base)).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await http.get(base, headers=wrong)).status_code == 401
    assert (await http.get(f"{base}.csv")).status_code == 401
    assert (await http.get(base, headers=STAFF)).status_code == 200


async def test_staff_search_and_csv_export(http: httpx.AsyncClient, urls: dict[str, str]) -> None:
    email = unique_email("export")
    body = stand_request(email, edition="ales-2027-11-18")
    body["organisation"]["legal_name"] = "=HYPERLINK(evil)"
    created = (await http.post(f"{urls['registration']}/api/registrations", json=body)).json()
    base = f"{urls['registration']}/api/staff/registrations"
    found = (await http.get(base, params={"q": email}, headers=STAFF)).json()
    assert found["total"] == 1 and found["items"][0]["reference"] == created["reference"]
    csv = await http.get(f"{base}.csv", params={"q": email}, headers=STAFF)
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("reference;status;offer")
    assert created["reference"] in lines[1] and "'=HYPERLINK(evil)" in lines[1]


async def test_staff_reviews_an_incubator_application(
    http: httpx.AsyncClient, urls: dict[str, str]
) -> None:
    body = {
        "offer": "incubator_application",
        "contact": {"name": "Sami Haddad", "email": unique_email("founder")},
        "startup": {
            "project_name": "Biochar du Gard",
            "founders": ["Sami Haddad"],
            "description": "Du biochar à partir des déchets de taille des vignes.",
            "stage": "idea",
        },
        "data_consent": True,
    }
    created = (await http.post(f"{urls['registration']}/api/registrations", json=body)).json()
    assert created["status"] == "submitted"
    review = f"{urls['registration']}/api/staff/registrations/{created['id']}/review"
    done = await http.post(review, json={"decision": "accepted"}, headers=STAFF)
    assert done.json()["status"] == "accepted"
    again = await http.post(review, json={"decision": "rejected"}, headers=STAFF)
    assert again.status_code == 409, again.text


async def test_invoice_paid_on_kafka_confirms_the_stand(
    http: httpx.AsyncClient, urls: dict[str, str], endpoints: Endpoints
) -> None:
    created = (
        await http.post(
            f"{urls['registration']}/api/registrations",
            json=stand_request(unique_email("payer"), edition="montpellier-2027-11-17"),
        )
    ).json()
    assert created["status"] == "reserved"
    paid = InvoicePaidV1(
        invoice_id="inv-test-1",
        invoice_number="F-2027-000001",
        registration_ids=[created["id"]],
        amount_paid_cents=72000,
        paid_at=datetime.now(UTC),
    )
    event = new_event(paid, source="/services/billing", subject=paid.invoice_id)
    broker = make_broker(endpoints.kafka_bootstrap_servers, "test-billing")
    await broker.start()
    try:
        publish = publisher(broker)
        await publish(paid.topic, paid.invoice_id.encode(), event.to_bytes(), {})
        await publish(paid.topic, paid.invoice_id.encode(), event.to_bytes(), {})  # redelivery
    finally:
        await broker.stop()
    link = created["status_url"].split("/r/")[1]
    registration_id, token = link.split("?t=")

    async def confirmed() -> bool:
        view = await http.get(
            f"{urls['registration']}/api/registrations/{registration_id}", params={"t": token}
        )
        return bool(view.json()["status"] == "confirmed")

    await eventually(confirmed)


async def test_500_concurrent_submissions_for_10_stands(
    urls: dict[str, str], mongo: Mongo, endpoints: Endpoints, http: httpx.AsyncClient
) -> None:
    """Never overbook: exactly 10 reserved, the other 490 waitlisted, nothing lost: every
    registration is stored, its event published, and its person emailed exactly once."""
    url = f"{urls['registration']}/api/registrations"
    limits = httpx.Limits(max_connections=100)
    resent = []

    async def submit(client: httpx.AsyncClient, email: str) -> httpx.Response:
        """As a careful client does: a connection lost before the answer is sent again with
        the same Idempotency-Key, which returns the first registration if it was made."""
        body, key = stand_request(email, edition="race-2027-11-19"), f"race-{email}"
        for attempt in range(3):
            try:
                return await client.post(url, json=body, headers={"Idempotency-Key": key})
            except httpx.TransportError:
                if attempt == 2:
                    raise
                resent.append(email)
        raise AssertionError("unreachable")

    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        emails = [unique_email(f"race{i}") for i in range(500)]
        responses = await asyncio.gather(*(submit(client, e) for e in emails))
    assert [r.status_code for r in responses] == [201] * 500
    assert len(resent) <= 5, f"{len(resent)} connections lost: more than a rare reset"
    statuses = [r.json()["status"] for r in responses]
    assert statuses.count("reserved") == 10
    assert statuses.count("waitlisted") == 490
    stored = mongo["registration"]["registrations"]
    assert await stored.count_documents({"edition_ids": "race-2027-11-19"}) == 500
    capacity = await mongo["registration"]["capacity"].find_one({"_id": "race-2027-11-19:stand"})
    assert capacity is not None and capacity["taken"] == 10

    async def pending_forgotten() -> bool:
        doc = await mongo["registration"]["capacity"].find_one({"_id": capacity["_id"]})
        return doc is not None and doc.get("pending") == [] and doc["taken"] == 10

    await eventually(pending_forgotten)

    async def all_published() -> bool:
        pending = {"edition_ids": "race-2027-11-19", "outbox.0": {"$exists": True}}
        return await stored.count_documents(pending) == 0

    await eventually(all_published, timeout=120, interval=1)

    async def all_emailed() -> bool:
        mails = await mails_to(http, endpoints.mail_url, "race")
        # one registration email each; the 10 reserved stands are also invoiced, by email too
        ours = [m for m in registration_mails(mails) if m["envelope_to"].startswith("race")]
        received = sorted(m["envelope_to"] for m in ours)
        return received == sorted(emails)

    await eventually(all_emailed, timeout=180, interval=2)


async def test_an_idempotency_key_is_bound_to_its_request(
    http: httpx.AsyncClient, urls: dict[str, str]
) -> None:
    url = f"{urls['registration']}/api/registrations"
    key = {"Idempotency-Key": f"shared-{unique_email()}"}
    body = student_request(unique_email("mine"))
    mine = await http.post(url, json=body, headers=key)
    assert mine.status_code == 201
    theirs = await http.post(url, json=student_request(unique_email("theirs")), headers=key)
    assert theirs.status_code == 422
    assert theirs.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert mine.json()["status_url"] not in theirs.text
    assert mine.json()["reference"] not in theirs.text
    again = await http.post(url, json=body, headers=key)
    assert again.status_code == 201 and again.json()["id"] == mine.json()["id"]


async def test_private_link_tokens_are_not_stored(
    http: httpx.AsyncClient, urls: dict[str, str], mongo: Mongo
) -> None:
    base = urls["registration"]
    opened = await http.post(
        f"{base}/api/pools",
        json={
            "edition_id": "fuzz-2027-11-19",
            "pool_name": "PME du Gard",
            "contact": {"name": "Claire Martin", "email": unique_email("link")},
            "organisation": stand_request("x@example.fr")["organisation"],
            "data_consent": True,
        },
    )
    assert opened.status_code == 201, opened.text
    registration, pool = opened.json()["registration"], opened.json()["pool"]
    token = registration["status_url"].split("?t=")[1]
    key = opened.json()["invitation_url"].split("?k=")[1]
    db = mongo["registration"]

    async def published() -> dict[str, Any] | None:
        doc = await db["registrations"].find_one({"_id": registration["id"]})
        return doc if doc and not doc["outbox"] else None  # the event left with the link

    async def pool_published() -> dict[str, Any] | None:
        doc = await db["pools"].find_one({"_id": pool["id"]})
        return doc if doc and not doc["outbox"] else None  # pool.opened.v1 left with the key

    stored = await published() or await eventually(published)
    stored_pool = await pool_published() or await eventually(pool_published)
    for secret in (token, key):
        assert secret not in repr(stored) and secret not in repr(stored_pool)
    view = await http.get(f"{base}/api/registrations/{registration['id']}", params={"t": token})
    assert view.status_code == 200  # the link still opens it, derived again
    wrong = await http.get(f"{base}/api/registrations/{registration['id']}", params={"t": key})
    assert wrong.status_code == 404
