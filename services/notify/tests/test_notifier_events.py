"""The new event types through the real Notifier, FerretDB, SMTP catcher and SMS sink:
a promotion emails its deadline and link, a closed pool emails each member once with their
share, an erasure cancellation sends nothing, and an erasure blanks the delivery log."""

import random
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest
from rencontres_contracts import CloudEvent, new_event
from rencontres_contracts.envelope import EventData
from rencontres_contracts.events.common import Address, Contact, Organisation
from rencontres_contracts.events.pools import PoolClosedV1, PoolMember
from rencontres_contracts.events.registration import (
    RegistrationCancelledV1,
    RegistrationErasedV1,
    RegistrationPromotedV1,
    RegistrationSubmittedV1,
)
from rencontres_infra.stack import Endpoints
from rencontres_kit.consumer import Handler
from rencontres_notify.handlers import Notifier, router
from rencontres_notify.store import DeliveryLog

from services.notify.tests.conftest import mails_to, sms_to

pytestmark = pytest.mark.infra


@pytest.fixture
def on(notifier: Notifier) -> dict[str, Handler]:
    """The handler map over a real Notifier: `on[event type](event)`."""
    return router.bind(notifier)


def unique_email(who: str = "lea") -> str:
    return f"{who}.{uuid4().hex[:12]}@example.fr"


def unique_phone() -> str:
    return f"+3361{random.randrange(10**7):07d}"


def event(data: EventData, subject: str) -> CloudEvent[Any]:
    return new_event(data, source="/tests/notify", subject=subject)


def contact(email: str, phone: str | None = None, language: str = "fr") -> Contact:
    return Contact(
        name="Léa Dubois", email=email, phone=phone, sms_consent=bool(phone), language=language
    )


def promoted(email: str, phone: str | None = None) -> CloudEvent[Any]:
    rid = str(uuid4())
    data = RegistrationPromotedV1(
        registration_id=rid,
        reference="RC-PROM-0001",
        offer="stand",
        edition_ids=["ales-2027-11-17"],
        expires_at=datetime(2027, 10, 4, 9, 15, tzinfo=UTC),
        contact=contact(email, phone),
        status_url=f"http://127.0.0.1/r/{rid}?t=abc",
    )
    return event(data, rid)


def pool_member(email: str, share: int, language: str = "fr") -> PoolMember:
    return PoolMember(
        registration_id=str(uuid4()),
        reference=f"RC-POOL-{random.randrange(10_000):04d}",
        organisation=Organisation(
            legal_name=f"PME {email[:8]}",
            siret="73282932000074",
            billing_address=Address(line1="1 rue du Puits", postal_code="30100", city="Alès"),
        ),
        contact=contact(email, unique_phone(), language),
        share_excl_vat_cents=share,
    )


def pool_closed(members: list[PoolMember], reason: str = "full") -> CloudEvent[Any]:
    pool_id = str(uuid4())
    data = PoolClosedV1(
        pool_id=pool_id,
        edition_id="ales-2027-11-17",
        reason=reason,
        stand_price_excl_vat_cents=60000,
        vat_rate_percent=20,
        members=members,
        closed_at=datetime.now(UTC),
    )
    return event(data, pool_id)


async def test_promotion_emails_the_paris_deadline_and_the_link_and_texts_the_deadline(
    on: dict[str, Handler], log: DeliveryLog, http: httpx.AsyncClient, endpoints: Endpoints
) -> None:
    email, phone = unique_email(), unique_phone()
    promotion = promoted(email, phone)

    await on[RegistrationPromotedV1.event_type](promotion)
    await on[RegistrationPromotedV1.event_type](promotion)  # a redelivery sends nothing more

    [mail] = await mails_to(http, endpoints, email)
    assert mail["subject"] == "Une place s'est libérée pour vous — RC-PROM-0001"
    assert "jusqu'au 4 octobre 2027 à 11 h 15" in mail["text"]
    assert promotion.data.status_url in mail["text"]
    assert f'href="{promotion.data.status_url}"' in mail["html"]
    [sms] = await sms_to(http, endpoints, phone)
    assert "4 octobre 2027 à 11 h 15" in sms["text"] and len(sms["text"]) <= 160
    deliveries = await log.for_registration(promotion.data.registration_id)
    assert sorted(d["_id"] for d in deliveries) == [f"{promotion.id}:email", f"{promotion.id}:sms"]


async def test_closed_pool_emails_each_member_once_with_its_own_share(
    on: dict[str, Handler], log: DeliveryLog, http: httpx.AsyncClient, endpoints: Endpoints
) -> None:
    emails = [unique_email(f"m{i}") for i in range(3)]
    shares = {emails[0]: 20001, emails[1]: 20000, emails[2]: 19999}
    members = [pool_member(e, shares[e], "en" if i == 2 else "fr") for i, e in enumerate(emails)]
    closed = pool_closed(members)

    await on[PoolClosedV1.event_type](closed)
    await on[PoolClosedV1.event_type](closed)

    expected_share = {
        emails[0]: "200,01 € HT",
        emails[1]: "200,00 € HT",
        emails[2]: "199,99 € excl. VAT",
    }
    for member in members:
        address = member.contact.email
        [mail] = await mails_to(http, endpoints, address)
        assert expected_share[address] in mail["text"]
        assert member.reference in mail["subject"]
        assert ("3 entreprises" in mail["text"]) or ("3 companies" in mail["text"])
        delivery_id = f"{closed.id}:{member.registration_id}:email"
        assert mail["headers"]["X-Rencontres-Delivery"] == delivery_id
        assert await sms_to(http, endpoints, str(member.contact.phone)) == []
        [delivery] = await log.for_registration(member.registration_id)
        assert delivery["_id"] == delivery_id and delivery["to"] == address
        assert delivery["status"] == "sent"


async def test_an_unfilled_pool_sends_nothing_itself(
    on: dict[str, Handler], log: DeliveryLog, http: httpx.AsyncClient, endpoints: Endpoints
) -> None:
    member = pool_member(unique_email(), 0)

    await on[PoolClosedV1.event_type](pool_closed([member], reason="unfilled"))

    assert await mails_to(http, endpoints, member.contact.email) == []
    assert await log.for_registration(member.registration_id) == []


async def test_a_cancellation_for_erasure_sends_nothing(
    on: dict[str, Handler], log: DeliveryLog, http: httpx.AsyncClient, endpoints: Endpoints
) -> None:
    email, phone, rid = unique_email(), unique_phone(), str(uuid4())
    data = RegistrationCancelledV1(
        registration_id=rid,
        reference="RC-GONE-0001",
        offer="stand",
        edition_ids=["ales-2027-11-17"],
        previous_status="reserved",
        reason="erased",
        contact=contact(email, phone),
        cancelled_at=datetime.now(UTC),
    )

    await on[RegistrationCancelledV1.event_type](event(data, rid))

    assert await mails_to(http, endpoints, email) == []
    assert await sms_to(http, endpoints, phone) == []
    assert await log.for_registration(rid) == []


async def test_erasure_blanks_every_address_of_the_registration_and_keeps_the_log(
    on: dict[str, Handler], log: DeliveryLog, http: httpx.AsyncClient, endpoints: Endpoints
) -> None:
    email, phone = unique_email(), unique_phone()
    promotion = promoted(email, phone)
    rid = promotion.data.registration_id
    submitted = RegistrationSubmittedV1(
        registration_id=rid,
        reference="RC-PROM-0001",
        offer="stand",
        edition_ids=["ales-2027-11-17"],
        status="waitlisted",
        contact=contact(email, phone),
        status_url=promotion.data.status_url,
        submitted_at=datetime.now(UTC),
    )
    await on[RegistrationSubmittedV1.event_type](event(submitted, rid))
    await on[RegistrationPromotedV1.event_type](promotion)
    # A pool member's delivery is filed under its own registration id, so it is erased too.
    member = pool_member(unique_email("pool"), 30000)
    closed = pool_closed([member, pool_member(unique_email("other"), 30000)])
    await on[PoolClosedV1.event_type](closed)
    # And a delivery that never went out must not go out after the erasure.
    pending_id = f"{uuid4()}:email"
    pending = {"event_type": "registration.confirmed.v1", "registration_id": rid}
    assert await log.claim(pending_id, {**pending, "channel": "email", "to": email})
    bystander = promoted(unique_email("keep"))
    await on[RegistrationPromotedV1.event_type](bystander)

    for erased_id in (rid, member.registration_id):
        erasure = RegistrationErasedV1(registration_id=erased_id, erased_at=datetime.now(UTC))
        await on[RegistrationErasedV1.event_type](event(erasure, erased_id))

    mine = await log.for_registration(rid)
    assert len(mine) == 5  # submitted email+sms, promoted email+sms, the pending one
    assert {d["event_type"] for d in mine} >= {
        RegistrationSubmittedV1.event_type,
        RegistrationPromotedV1.event_type,
    }
    assert all(d["to"] == "" and d["erased_at"] and d["created_at"] for d in mine)
    assert sorted(d["status"] for d in mine) == ["erased", "sent", "sent", "sent", "sent"]
    assert sorted(d["channel"] for d in mine) == ["email", "email", "email", "sms", "sms"]
    assert not await log.claim(pending_id, {**pending, "channel": "email", "to": email})
    [pooled] = await log.for_registration(member.registration_id)
    assert pooled["to"] == "" and pooled["status"] == "sent"
    other = closed.data.members[1]
    [kept_pool] = await log.for_registration(other.registration_id)
    assert kept_pool["to"] == other.contact.email
    kept = await log.for_registration(bystander.data.registration_id)
    assert kept and all(d["to"] for d in kept)
    assert len(await mails_to(http, endpoints, email)) == 2  # what was sent stays sent
