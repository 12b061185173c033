"""SMS that respect people, through the real store, dispatcher and SMS sink: quiet hours with
an injected clock, the daily cap per number, and STOP through the running service's webhook
holding for a later event while email keeps going."""

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient
from rencontres_contracts import CloudEvent, new_event
from rencontres_contracts.events.common import Contact
from rencontres_contracts.events.registration import RegistrationConfirmedV1
from rencontres_infra.stack import Endpoints
from rencontres_notify.dispatcher import Dispatcher
from rencontres_notify.notifier import Notifier
from rencontres_notify.store import DeliveryStore

from services.notify.tests.conftest import FAST, Clock, mails_to, sms_to, unique_phone
from tests.helpers import STAFF, eventually

pytestmark = pytest.mark.infra


def confirmed(email: str, phone: str) -> CloudEvent[Any]:
    rid = str(uuid4())
    data = RegistrationConfirmedV1(
        registration_id=rid,
        reference="RC-SMS0-0001",
        offer="student_pass",
        edition_ids=["montpellier-2027-11-18"],
        reason="free",
        contact=Contact(name="Léa Dubois", email=email, phone=phone, sms_consent=True),
        status_url=f"http://127.0.0.1/r/{rid}",
    )
    return new_event(data, source="/tests/notify", subject=rid)


def national(phone: str) -> str:
    """The number as people type it in France: `06 12 34 56 78`."""
    digits = "0" + phone.removeprefix("+33")
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


async def test_an_sms_at_night_waits_for_eight_in_paris_and_the_email_does_not(
    notifier: Notifier,
    dispatcher: Dispatcher,
    store: DeliveryStore,
    clock: Clock,
    http: httpx.AsyncClient,
    endpoints: Endpoints,
) -> None:
    clock.at = datetime(2027, 1, 12, 21, 30, tzinfo=UTC)  # 22:30 in Paris
    email, phone = f"night.{uuid4().hex[:8]}@example.fr", unique_phone()
    event = confirmed(email, phone)

    await notifier.handle(event)
    await dispatcher.run_once()
    assert len(await mails_to(http, endpoints.mail_url, email)) == 1
    assert await sms_to(http, endpoints, phone) == []
    sms_doc = await store.get(f"{event.id}:sms")
    assert sms_doc and sms_doc["status"] == "pending" and sms_doc["to"] == phone
    assert sms_doc["due_at"].replace(tzinfo=UTC) == datetime(2027, 1, 13, 7, 0, tzinfo=UTC)

    clock.at = datetime(2027, 1, 13, 6, 59, tzinfo=UTC)
    await dispatcher.run_once()
    assert await sms_to(http, endpoints, phone) == []
    clock.at = datetime(2027, 1, 13, 7, 0, tzinfo=UTC)  # 08:00 in Paris
    await dispatcher.run_once()
    [sent] = await sms_to(http, endpoints, phone)
    assert "RC-SMS0-0001" in sent["text"]


async def test_a_number_gets_at_most_the_daily_cap_of_sms(
    store: DeliveryStore,
    make_dispatcher: Callable[..., Dispatcher],
    clock: Clock,
    http: httpx.AsyncClient,
    endpoints: Endpoints,
) -> None:
    dispatcher = make_dispatcher(policy=replace(FAST, sms_daily_cap=2))
    notifier = Notifier(store, dispatcher, clock=clock)
    email, phone = f"cap.{uuid4().hex[:8]}@example.fr", unique_phone()
    events = [confirmed(email, phone) for _ in range(4)]

    for event in events:
        await notifier.handle(event)
    await dispatcher.run_once()

    assert len(await sms_to(http, endpoints, phone)) == 2
    assert len(await mails_to(http, endpoints.mail_url, email)) == 4
    statuses = sorted([(await store.get(f"{e.id}:sms") or {})["status"] for e in events])
    assert statuses == ["sent", "sent", "suppressed", "suppressed"]
    clock.advance(days=1)  # a new day in Paris
    await notifier.handle(confirmed(email, phone))
    await dispatcher.run_once()
    assert len(await sms_to(http, endpoints, phone)) == 3


async def test_stop_opts_a_number_out_of_every_later_sms_and_email_goes_on(
    http: httpx.AsyncClient,
    urls: dict[str, str],
    endpoints: Endpoints,
    kafka: AIOKafkaProducer,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    email, phone = f"stop.{uuid4().hex[:8]}@example.fr", unique_phone()
    first, second = confirmed(email, phone), confirmed(email, phone)
    await kafka.send_and_wait("registration.events", first.to_bytes(), key=first.subject.encode())
    service = DeliveryStore(mongo["notify"])
    await eventually(lambda: sms_to(http, endpoints, phone))

    # the provider's inbound webhook, as Twilio posts it (form fields From and Body)
    stop = await http.post(
        f"{urls['notify']}/webhooks/sms/inbound", data={"From": national(phone), "Body": "STOP"}
    )
    assert stop.status_code == 204
    await kafka.send_and_wait("registration.events", second.to_bytes(), key=second.subject.encode())

    async def two_mails() -> bool:
        return len(await mails_to(http, endpoints.mail_url, email)) == 2

    await eventually(two_mails)
    doc = await eventually(lambda: _final(service, f"{second.id}:sms"))
    assert doc["status"] == "suppressed" and "STOP" in doc["last_error"]
    assert len(await sms_to(http, endpoints, phone)) == 1

    log = await http.get(
        f"{urls['notify']}/api/staff/deliveries",
        params={"registration_id": second.subject},
        headers=STAFF,
    )
    assert log.status_code == 200
    rows = {row["channel"]: row for row in log.json()}
    assert rows["sms"]["status"] == "suppressed" and rows["email"]["status"] == "sent"
    assert (
        rows["email"]["to"] == "s***@example.fr" and phone not in log.text and email not in log.text
    )
    assert (
        await http.get(f"{urls['notify']}/api/staff/deliveries", params={"registration_id": "x"})
    ).status_code == 401


async def _final(store: DeliveryStore, delivery_id: str) -> dict[str, Any] | None:
    doc = await store.get(delivery_id)
    return doc if doc and doc["status"] not in ("pending", "sending", "retrying") else None
