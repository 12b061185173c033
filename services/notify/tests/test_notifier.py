"""Notifier against the real FerretDB, the sink's SMTP server and its SMS API: each message
goes out once per (event, channel), SMS only with consent, and a failed send is retried."""

import random
import socket
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import aiosmtplib
import httpx
import pytest
from rencontres_contracts import CloudEvent, new_event
from rencontres_contracts.events.common import Contact
from rencontres_contracts.events.registration import RegistrationSubmittedV1
from rencontres_infra.stack import Endpoints
from rencontres_notify.handlers import Notifier, router
from rencontres_notify.senders import EmailSender, SmsSender
from rencontres_notify.store import DeliveryLog

from services.notify.tests.conftest import FROM, mails_to, sms_to

pytestmark = pytest.mark.infra

TYPE = RegistrationSubmittedV1.event_type


def unique_phone() -> str:
    return f"+3361234{random.randrange(10_000):04d}"


def submitted(email: str, phone: str | None, sms_consent: bool) -> CloudEvent[Any]:
    rid = str(uuid4())
    data = RegistrationSubmittedV1(
        registration_id=rid,
        reference="RC-NOTE-0001",
        offer="student_pass",
        edition_ids=["montpellier-2027-11-18"],
        status="confirmed",
        contact=Contact(name="Léa Dubois", email=email, phone=phone, sms_consent=sms_consent),
        status_url=f"http://127.0.0.1/r/{rid}",
        submitted_at=datetime.now(UTC),
    )
    return new_event(data, source="/tests/notify", subject=rid)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_same_event_twice_sends_one_email_and_one_sms(
    notifier: Notifier, log: DeliveryLog, http: httpx.AsyncClient, endpoints: Endpoints
) -> None:
    email, phone = f"lea.{uuid4().hex[:10]}@example.fr", unique_phone()
    event = submitted(email, phone, sms_consent=True)
    on_submitted = router.bind(notifier)[TYPE]

    await on_submitted(event)
    await on_submitted(event)

    [mail] = await mails_to(http, endpoints, email)
    assert mail["subject"] == "Inscription enregistrée — RC-NOTE-0001"
    assert mail["headers"]["X-Rencontres-Delivery"] == f"{event.id}:email"
    assert "Bonjour Léa Dubois" in mail["text"]
    [sms] = await sms_to(http, endpoints, phone)
    assert sms["reference"] == f"{event.id}:sms"
    assert "RC-NOTE-0001" in sms["text"]

    deliveries = {d["_id"]: d for d in await log.for_registration(event.subject)}
    assert set(deliveries) == {f"{event.id}:email", f"{event.id}:sms"}
    assert all(d["status"] == "sent" and d["attempts"] == 1 for d in deliveries.values())


async def test_no_sms_without_consent_even_with_a_phone(
    notifier: Notifier, log: DeliveryLog, http: httpx.AsyncClient, endpoints: Endpoints
) -> None:
    email, phone = f"lea.{uuid4().hex[:10]}@example.fr", unique_phone()
    event = submitted(email, phone, sms_consent=False)

    await router.bind(notifier)[TYPE](event)

    assert len(await mails_to(http, endpoints, email)) == 1
    assert await sms_to(http, endpoints, phone) == []
    assert [d["channel"] for d in await log.for_registration(event.subject)] == ["email"]


async def test_failed_smtp_send_is_retried_on_the_next_call_then_sent_once(
    notifier: Notifier,
    log: DeliveryLog,
    sms_client: httpx.AsyncClient,
    http: httpx.AsyncClient,
    endpoints: Endpoints,
) -> None:
    email, phone = f"lea.{uuid4().hex[:10]}@example.fr", unique_phone()
    event = submitted(email, phone, sms_consent=True)
    down = Notifier(
        log,
        EmailSender("127.0.0.1", closed_port(), FROM),
        SmsSender(endpoints.sms_provider_url, "Rencontres", sms_client),
    )

    with pytest.raises(aiosmtplib.SMTPConnectError):
        await router.bind(down)[TYPE](event)
    assert await mails_to(http, endpoints, email) == []
    [pending] = await log.for_registration(event.subject)
    assert pending["status"] == "failed" and pending["attempts"] == 1
    assert pending["detail"].startswith("SMTPConnectError")

    await router.bind(notifier)[TYPE](event)  # the consumer's retry, SMTP back
    await router.bind(notifier)[TYPE](event)  # and a later redelivery

    assert len(await mails_to(http, endpoints, email)) == 1
    assert len(await sms_to(http, endpoints, phone)) == 1
    deliveries = {d["channel"]: d for d in await log.for_registration(event.subject)}
    assert deliveries["email"]["status"] == "sent" and deliveries["email"]["attempts"] == 2
    assert deliveries["sms"]["status"] == "sent" and deliveries["sms"]["attempts"] == 1
