"""Deliveries through the real store (FerretDB), dispatcher and SMTP catcher / SMS sink: one
copy per message and channel, a Message-ID derived from the delivery id alone, a Date header,
SMS only with consent, and a lease that keeps a second sender off a delivery in flight."""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest
from rencontres_contracts import CloudEvent, new_event
from rencontres_contracts.events.common import Contact
from rencontres_contracts.events.registration import RegistrationPromotedV1, RegistrationSubmittedV1
from rencontres_infra.stack import Endpoints
from rencontres_notify.dispatcher import RESENDS, Dispatcher
from rencontres_notify.notifier import Notifier
from rencontres_notify.store import DeliveryStore

from services.notify.tests.conftest import Clock, delivery_events, mails_to, sms_to, unique_phone

pytestmark = pytest.mark.infra


def submitted(
    email: str, phone: str | None, sms_consent: bool, name: str = "Léa Dubois"
) -> CloudEvent[Any]:
    rid = str(uuid4())
    data = RegistrationSubmittedV1(
        registration_id=rid,
        reference="RC-NOTE-0001",
        offer="student_pass",
        edition_ids=["montpellier-2027-11-18"],
        status="confirmed",
        contact=Contact(name=name, email=email, phone=phone, sms_consent=sms_consent),
        status_url=f"http://127.0.0.1/r/{rid}",
        submitted_at=datetime.now(UTC),
    )
    return new_event(data, source="/tests/notify", subject=rid)


async def test_an_event_twice_sends_one_email_and_one_sms_with_a_stable_message_id_and_a_date(
    notifier: Notifier,
    dispatcher: Dispatcher,
    store: DeliveryStore,
    http: httpx.AsyncClient,
    endpoints: Endpoints,
) -> None:
    email, phone = f"lea.{uuid4().hex[:10]}@example.fr", unique_phone()
    event = submitted(email, phone, sms_consent=True)

    assert await notifier.handle(event) == 2
    assert await notifier.handle(event) == 0  # a redelivered event records nothing new
    await dispatcher.run_once()
    await dispatcher.run_once()

    [mail] = await mails_to(http, endpoints.mail_url, email)
    assert mail["subject"] == "Inscription enregistrée — RC-NOTE-0001"
    assert mail["headers"]["X-Rencontres-Delivery"] == f"{event.id}:email"
    assert mail["message_id"] == f"<{event.id}.email@rencontres.example>"
    assert mail["date"]  # RFC 5322
    assert "Bonjour Léa Dubois" in mail["text"]
    [sms] = await sms_to(http, endpoints, phone)
    assert sms["reference"] == f"{event.id}:sms"
    deliveries = {d["_id"]: d for d in await store.for_registration(event.subject)}
    assert set(deliveries) == {f"{event.id}:email", f"{event.id}:sms"}
    assert all(d["status"] == "sent" and d["attempts"] == 1 for d in deliveries.values())


async def test_a_batch_of_events_records_what_each_would_and_a_redelivered_batch_nothing(
    notifier: Notifier,
    dispatcher: Dispatcher,
    store: DeliveryStore,
    http: httpx.AsyncClient,
    endpoints: Endpoints,
) -> None:
    people = [(f"lea.{uuid4().hex[:10]}@example.fr", unique_phone()) for _ in range(3)]
    events = [
        submitted(email, phone, sms_consent=i != 1) for i, (email, phone) in enumerate(people)
    ]

    assert await notifier.handle(events[0]) == 2  # one of them recorded alone first
    assert await notifier.handle_many(events) == 3  # 2 + 1 (no consent: email only)
    assert await notifier.handle_many(events) == 0  # the whole batch again: nothing new
    await dispatcher.run_once()
    await dispatcher.run_once()

    for i, (email, phone) in enumerate(people):
        [mail] = await mails_to(http, endpoints.mail_url, email)
        assert mail["message_id"] == f"<{events[i].id}.email@rencontres.example>"
        assert len(await sms_to(http, endpoints, phone)) == (0 if i == 1 else 1)
        docs = await store.for_registration(events[i].subject)
        assert all(d["status"] == "sent" and d["attempts"] == 1 for d in docs)


async def test_no_sms_without_consent_even_with_a_phone(
    notifier: Notifier,
    dispatcher: Dispatcher,
    store: DeliveryStore,
    http: httpx.AsyncClient,
    endpoints: Endpoints,
) -> None:
    email, phone = f"lea.{uuid4().hex[:10]}@example.fr", unique_phone()
    event = submitted(email, phone, sms_consent=False)

    await notifier.handle(event)
    await dispatcher.run_once()

    assert len(await mails_to(http, endpoints.mail_url, email)) == 1
    assert await sms_to(http, endpoints, phone) == []
    assert [d["channel"] for d in await store.for_registration(event.subject)] == ["email"]


async def test_a_delivery_in_flight_is_not_claimed_again_until_its_lease_runs_out(
    notifier: Notifier,
    make_dispatcher: Callable[..., Dispatcher],
    store: DeliveryStore,
    clock: Clock,
    http: httpx.AsyncClient,
    endpoints: Endpoints,
) -> None:
    email = f"lea.{uuid4().hex[:10]}@example.fr"
    event = submitted(email, None, sms_consent=False)
    # recorded claimed by the notifier's dispatcher, which then dies without sending
    await notifier.handle(event)
    delivery = f"{event.id}:email"
    [recorded] = await store.for_registration(event.subject)
    assert recorded["status"] == "sending" and recorded["attempts"] == 1
    other = make_dispatcher()  # another replica, or the process restarted

    assert await other.run_once() is False and await other.attempt(delivery) is None
    assert await mails_to(http, endpoints.mail_url, email) == []
    clock.advance(seconds=other.policy.lease.total_seconds() - 1)
    assert await other.attempt(delivery) is None  # the lease still holds

    before = RESENDS.labels("email")._value.get()
    clock.advance(seconds=2)
    await other.scan(leases=False)  # the frequent scan leaves leases to the rarer one
    assert await mails_to(http, endpoints.mail_url, email) == []
    assert await other.attempt(delivery) is None  # its send group holds it until released
    await other.scan()  # the lease scan releases the group and takes the delivery over
    assert RESENDS.labels("email")._value.get() == before + 1
    [mail] = await mails_to(http, endpoints.mail_url, email)
    assert mail["message_id"] == f"<{event.id}.email@rencontres.example>"
    [doc] = await store.for_registration(event.subject)
    assert doc["status"] == "sent" and doc["attempts"] == 2


async def test_the_contacts_name_cannot_inject_headers(
    notifier: Notifier, dispatcher: Dispatcher, http: httpx.AsyncClient, endpoints: Endpoints
) -> None:
    email = f"lea.{uuid4().hex[:10]}@example.fr"
    victim = f"victim.{uuid4().hex[:10]}@example.fr"
    event = submitted(email, None, False, name=f"Léa\r\nBcc: {victim}\r\nX-Evil: 1")

    await notifier.handle(event)
    await dispatcher.run_once()

    [mail] = await mails_to(http, endpoints.mail_url, email)
    assert "Bcc" not in mail["headers"] and "X-Evil" not in mail["headers"]
    assert mail["envelope_to"] == email
    assert await mails_to(http, endpoints.mail_url, victim) == []


async def test_a_sent_email_is_published_at_once_and_recorded_in_one_write(
    notifier: Notifier, dispatcher: Dispatcher, store: DeliveryStore, endpoints: Endpoints
) -> None:
    event = submitted(f"lea.{uuid4().hex[:10]}@example.fr", None, False)
    await notifier.handle(event)
    await dispatcher.run_once()

    [doc] = await store.for_registration(event.subject)
    assert doc["status"] == "sent" and not doc.get("outbox") and not doc.get("outbox_owed")
    assert doc["message_id"] == f"<{event.id}.email@rencontres.example>"
    assert doc["sent_at"] and "lease" not in doc and "due_at" not in doc
    [record] = await delivery_events(endpoints, doc["_id"])
    assert record["headers"]["ce_type"] == "delivery.sent.v1"
    assert record["value"]["data"]["recipient_masked"].endswith("@example.fr")
    assert "lea." not in json.dumps(record["value"])


async def test_when_the_broker_does_not_answer_the_sent_event_rides_the_outbox(
    notifier: Notifier, make_dispatcher: Callable[..., Dispatcher], store: DeliveryStore
) -> None:
    dispatcher = make_dispatcher()

    async def unreachable(*args: Any) -> None:
        raise ConnectionError("broker down")

    dispatcher._publish = unreachable
    event = submitted(f"lea.{uuid4().hex[:10]}@example.fr", None, False)
    await Notifier(store, dispatcher, clock=notifier.now).handle(event)
    await dispatcher.run_once()

    [doc] = await store.for_registration(event.subject)
    [entry] = doc["outbox"]
    assert doc["status"] == "sent" and doc["outbox_owed"] is True
    assert entry["type"] == "delivery.sent.v1" and entry["topic"] == "notify.events"
    assert '"recipient_masked":"l***@example.fr"' in entry["value"]


async def test_offers_carry_list_unsubscribe_and_confirmations_do_not(
    notifier: Notifier, dispatcher: Dispatcher, http: httpx.AsyncClient, endpoints: Endpoints
) -> None:
    email = f"lea.{uuid4().hex[:10]}@example.fr"
    rid = str(uuid4())
    offer = RegistrationPromotedV1(
        registration_id=rid,
        reference="RC-UNSB-0001",
        offer="stand",
        edition_ids=["ales-2027-11-17"],
        expires_at=datetime(2027, 10, 4, 9, 15, tzinfo=UTC),
        contact=Contact(name="Léa Dubois", email=email),
        status_url=f"http://127.0.0.1/r/{rid}",
    )
    await notifier.handle(new_event(offer, source="/tests/notify", subject=rid))
    await notifier.handle(submitted(email, None, False))
    await dispatcher.run_once()

    mails = {
        m["subject"].split(" — ")[0]: m for m in await mails_to(http, endpoints.mail_url, email)
    }
    assert len(mails) == 2
    offered = next(m for m in mails.values() if "RC-UNSB-0001" in m["subject"])
    received = next(m for m in mails.values() if "RC-NOTE-0001" in m["subject"])
    assert offered["headers"]["List-Unsubscribe"].startswith("<mailto:")
    assert "List-Unsubscribe" not in received["headers"]
