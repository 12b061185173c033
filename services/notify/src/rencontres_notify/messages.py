"""The message table: which messages each event type produces, to whom, on which channels.

One row per event type; a row's `recipients` turns the event's data into the people to tell
(with the context their templates read), and `channels` says which channels each gets (SMS
only ever where the contact gave a number with consent, see `notifier.py`). A test fails when
an event type routed to notify has no row here. Pure: no I/O.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rencontres_contracts.events.billing import (
    CreditNoteIssuedV1,
    InvoiceIssuedV1,
    InvoiceLapsedV1,
    InvoiceOverdueV1,
    PaymentReceivedV1,
)
from rencontres_contracts.events.common import Contact
from rencontres_contracts.events.pools import PoolClosedV1, PoolOpenedV1
from rencontres_contracts.events.registration import (
    ApplicationReviewedV1,
    RegistrationCancelledV1,
    RegistrationConfirmedV1,
    RegistrationLinkRequestedV1,
    RegistrationPromotedV1,
    RegistrationReservedV1,
    RegistrationSubmittedV1,
)

from rencontres_notify.deliveries import Channel

Context = dict[str, Any]


@dataclass(frozen=True)
class Recipient:
    """One person to tell: their contact, what the log files it under, the template context."""

    contact: Contact
    registration_ids: tuple[str, ...]
    context: Context
    key: str | None = None  # tells apart several recipients of one event
    channels: tuple[Channel, ...] = ("email", "sms")


@dataclass(frozen=True)
class Message:
    template: str
    channels: tuple[Channel, ...]
    recipients: Callable[[Any], Sequence[Recipient]]
    transactional: bool = True  # False: the email carries a List-Unsubscribe header
    description: str = field(default="", compare=False)


def _contact_of(data: Any, **extra: Any) -> list[Recipient]:
    """The event's own contact; none when the data was erased (contact is None)."""
    contact: Contact | None = getattr(data, "contact", None)
    if contact is None:
        return []
    ids = getattr(data, "registration_ids", None) or [data.registration_id]
    return [Recipient(contact, tuple(ids), {**dict(data), **extra})]


def _submitted(data: RegistrationSubmittedV1) -> list[Recipient]:
    return _contact_of(data)


def _cancelled(data: RegistrationCancelledV1) -> list[Recipient]:
    if data.reason == "erased":  # the person asked to be forgotten, not to be written to
        return []
    if data.reason == "unpaid":  # invoice.lapsed.v1 tells them, with the invoice
        return []
    return _contact_of(data)


def _reviewed(data: ApplicationReviewedV1) -> list[Recipient]:
    found = _contact_of(data)
    if data.decision == "under_review":  # a step, not news worth a text message
        return [
            Recipient(r.contact, r.registration_ids, r.context, channels=("email",)) for r in found
        ]
    return found


def _pool_members(data: PoolClosedV1) -> list[Recipient]:
    if data.reason == "unfilled":  # each member gets its registration.cancelled instead
        return []
    pool = {k: v for k, v in dict(data).items() if k != "members"}
    return [
        Recipient(
            member.contact,
            (member.registration_id,),
            {**pool, **dict(member), "member_count": len(data.members)},
            key=member.registration_id,
        )
        for member in data.members
    ]


def _pool_opener(data: PoolOpenedV1) -> list[Recipient]:
    """The opener, with the link to pass on; nobody when an older producer left out the
    contact or the link (the status page still shows the link)."""
    if data.contact is None or not data.invitation_url:
        return []
    return [
        Recipient(
            data.contact,
            (data.opened_by,),
            {**dict(data), "reference": data.opener_reference or ""},
        )
    ]


def _promoted(data: RegistrationPromotedV1) -> list[Recipient]:
    deadline: datetime = data.expires_at
    return _contact_of(data, deadline=deadline)


MESSAGES: dict[str, Message] = {
    RegistrationSubmittedV1.event_type: Message(
        "registration.submitted.v1",
        ("email", "sms"),
        _submitted,
        description="registration received, per kind (stand, shared stand, pass, application)"
        " and status (reserved with payment to follow, confirmed, waiting list joined)",
    ),
    RegistrationReservedV1.event_type: Message(
        "registration.reserved.v1", ("email",), _contact_of, description="stand reserved"
    ),
    RegistrationConfirmedV1.event_type: Message(
        "registration.confirmed.v1", ("email", "sms"), _contact_of, description="confirmed"
    ),
    RegistrationPromotedV1.event_type: Message(
        "registration.promoted.v1",
        ("email", "sms"),
        _promoted,
        transactional=False,
        description="place offered from the waiting list, with its deadline",
    ),
    RegistrationCancelledV1.event_type: Message(
        "registration.cancelled.v1", ("email", "sms"), _cancelled, description="cancelled, why"
    ),
    ApplicationReviewedV1.event_type: Message(
        "application.reviewed.v1", ("email", "sms"), _reviewed, description="application reviewed"
    ),
    PoolOpenedV1.event_type: Message(
        "pool.opened.v1",
        ("email",),
        _pool_opener,
        description="shared stand opened: to the opener, the invitation link to pass on",
    ),
    PoolClosedV1.event_type: Message(
        "pool.closed.v1", ("email",), _pool_members, description="shared stand closed: each share"
    ),
    RegistrationLinkRequestedV1.event_type: Message(
        "registration.link_requested.v1",
        ("email",),
        _contact_of,
        description="an email already registered was entered again: its private link, to it",
    ),
    InvoiceIssuedV1.event_type: Message(
        "invoice.issued.v1",
        ("email",),
        _contact_of,
        description="invoice issued: totals, signed link to the PDF, payment instructions",
    ),
    PaymentReceivedV1.event_type: Message(
        "payment.received.v1", ("email",), _contact_of, description="payment received, balance"
    ),
    InvoiceOverdueV1.event_type: Message(
        "invoice.overdue.v1",
        ("email", "sms"),
        _contact_of,
        transactional=False,
        description="payment reminder, first or second, with the lapse date",
    ),
    InvoiceLapsedV1.event_type: Message(
        "invoice.lapsed.v1",
        ("email", "sms"),
        _contact_of,
        description="reservation lapsed for non-payment",
    ),
    CreditNoteIssuedV1.event_type: Message(
        "credit_note.issued.v1", ("email",), _contact_of, description="credit note, refund"
    ),
}
