"""Events the registration service publishes on `registration.events`, keyed by its id."""

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field

from rencontres_contracts.envelope import EventData
from rencontres_contracts.events.common import BillableLine, Contact, Organisation, examples

OfferKind = Literal["stand", "pool_seat", "student_pass", "incubator_application"]
RegistrationStatus = Literal[
    "submitted",  # incubator application received, not yet reviewed
    "under_review",
    "waitlisted",
    "offered",  # a place freed up and is held for this waitlisted person until a deadline
    "reserved",  # holds a place, waits for payment
    "confirmed",
    "accepted",
    "rejected",
    "withdrawn",  # an incubator application its founders took back
    "cancelled",
]
CancelReason = Literal["by_owner", "by_staff", "offer_expired", "pool_unfilled", "erased", "unpaid"]
"""`unpaid`: billing reported the invoice lapsed (unpaid past its reminders and grace)."""

_SUBMITTED_EXAMPLE: Any = {
    "registration_id": "0193a1c2-7f00-7abc-8def-0123456789ab",
    "reference": "RC-7KX4-Q2M9",
    "offer": "stand",
    "edition_ids": ["ales-2026-11-18"],
    "edition_names": ["IMT Mines Alès, 18 novembre 2026"],
    "status": "reserved",
    "contact": {
        "name": "Claire Martin",
        "email": "claire.martin@example.fr",
        "phone": "+33612345678",
        "sms_consent": True,
        "language": "fr",
    },
    "organisation": {
        "legal_name": "Ceramiques du Gard SAS",
        "siret": "73282932000074",
        "vat_number": "FR44732829320",
        "billing_address": {
            "line1": "6 avenue de Clavières",
            "postal_code": "30100",
            "city": "Alès",
            "country": "FR",
        },
    },
    "lines": [
        {
            "description": "Stand — Forum Alès, 18 novembre 2026",
            "quantity": 1,
            "unit_price_excl_vat_cents": 60000,
            "vat_rate_percent": 20,
        }
    ],
    "status_url": "http://127.0.0.1:8001/r/0193a1c2-7f00-7abc-8def-0123456789ab?t=Zk3",
    "submitted_at": "2026-10-02T09:15:00Z",
}


class RegistrationFacts(EventData):
    """What every registration event carries, so a consumer acts without asking back."""

    registration_id: str = Field(min_length=1, max_length=64)
    reference: str = Field(min_length=1, max_length=32, description="what a person quotes to staff")
    offer: OfferKind
    edition_ids: list[str] = Field(min_length=1, max_length=8)
    edition_names: list[str] = Field(
        default_factory=list,
        max_length=8,
        description="each edition as the contact reads it (campus and day, in their language)",
    )
    contact: Contact


class RegistrationSubmittedV1(RegistrationFacts):
    """Someone registered for an offer; the registration is durably stored.

    Billing invoices the `lines` (none for free offers); notify confirms receipt to the contact.
    """

    event_type: ClassVar[str] = "registration.submitted.v1"
    topic: ClassVar[str] = "registration.events"
    model_config = ConfigDict(json_schema_extra={"examples": [_SUBMITTED_EXAMPLE]})

    status: RegistrationStatus
    organisation: Organisation | None = None
    lines: list[BillableLine] = Field(default_factory=list, max_length=16)
    status_url: str = Field(
        max_length=500, description="the owner's private link to the registration"
    )
    submitted_at: datetime


_CONTACT: Any = _SUBMITTED_EXAMPLE["contact"]
_ID: str = _SUBMITTED_EXAMPLE["registration_id"]
_URL: str = _SUBMITTED_EXAMPLE["status_url"]


class RegistrationPromotedV1(RegistrationFacts):
    """A place freed up: it is held for this waitlisted registration until `expires_at`."""

    event_type: ClassVar[str] = "registration.promoted.v1"
    topic: ClassVar[str] = "registration.events"
    model_config = examples(
        {
            "registration_id": _ID,
            "reference": "RC-7KX4-Q2M9",
            "offer": "stand",
            "edition_ids": ["ales-2027-11-17"],
            "expires_at": "2027-10-04T09:15:00Z",
            "contact": _CONTACT,
            "status_url": _URL,
        }
    )

    expires_at: datetime = Field(description="after this the place goes to the next in line")
    status_url: str = Field(max_length=500)


class RegistrationReservedV1(RegistrationFacts):
    """A registration took a place after waiting for it (it accepted a promotion).

    Billing invoices its `lines` as it does for a submitted registration with status reserved.
    """

    event_type: ClassVar[str] = "registration.reserved.v1"
    topic: ClassVar[str] = "registration.events"
    model_config = examples(
        {
            **{k: v for k, v in _SUBMITTED_EXAMPLE.items() if k not in ("status", "submitted_at")},
            "reserved_at": "2027-10-03T10:00:00Z",
        }
    )

    organisation: Organisation | None = None
    lines: list[BillableLine] = Field(default_factory=list, max_length=16)
    status_url: str = Field(max_length=500)
    reserved_at: datetime


class RegistrationConfirmedV1(RegistrationFacts):
    """A reserved registration is paid (or a free one was accepted): the place is final."""

    event_type: ClassVar[str] = "registration.confirmed.v1"
    topic: ClassVar[str] = "registration.events"
    model_config = examples(
        {
            "registration_id": _ID,
            "reference": "RC-7KX4-Q2M9",
            "offer": "stand",
            "edition_ids": ["ales-2027-11-17"],
            "reason": "paid",
            "contact": _CONTACT,
            "status_url": _URL,
        }
    )

    reason: Literal["paid", "free"]
    status_url: str = Field(max_length=500)


class RegistrationCancelledV1(RegistrationFacts):
    """A registration ended before the event; billing credits what it invoiced."""

    event_type: ClassVar[str] = "registration.cancelled.v1"
    topic: ClassVar[str] = "registration.events"
    model_config = examples(
        {
            "registration_id": _ID,
            "reference": "RC-7KX4-Q2M9",
            "offer": "stand",
            "edition_ids": ["ales-2027-11-17"],
            "previous_status": "reserved",
            "reason": "by_owner",
            "contact": _CONTACT,
            "cancelled_at": "2027-10-05T08:00:00Z",
        }
    )

    previous_status: RegistrationStatus
    reason: CancelReason
    cancelled_at: datetime


class RegistrationLinkRequestedV1(RegistrationFacts):
    """Someone submitted an email that already holds this offer: the owner is sent their
    private link (to that address only), and the person who submitted learns nothing."""

    event_type: ClassVar[str] = "registration.link_requested.v1"
    topic: ClassVar[str] = "registration.events"
    model_config = examples(
        {
            "registration_id": _ID,
            "reference": "RC-7KX4-Q2M9",
            "offer": "stand",
            "edition_ids": ["ales-2027-11-17"],
            "contact": _CONTACT,
            "status_url": _URL,
            "requested_at": "2027-10-06T08:00:00Z",
        }
    )

    status_url: str = Field(max_length=500)
    requested_at: datetime


class ApplicationReviewedV1(EventData):
    """Staff moved an incubator application along: under review, accepted or rejected."""

    event_type: ClassVar[str] = "application.reviewed.v1"
    topic: ClassVar[str] = "registration.events"
    model_config = examples(
        {
            "registration_id": _ID,
            "reference": "RC-3PQR-8XYZ",
            "project_name": "Biochar du Gard",
            "decision": "accepted",
            "message": "Bienvenue dans la promotion 2027 !",
            "contact": _CONTACT,
            "status_url": _URL,
        }
    )

    registration_id: str = Field(min_length=1, max_length=64)
    reference: str = Field(min_length=1, max_length=32)
    project_name: str = Field(min_length=1, max_length=200)
    decision: Literal["under_review", "accepted", "rejected"]
    message: str | None = Field(default=None, max_length=2000, description="shown to the founders")
    contact: Contact
    status_url: str = Field(max_length=500)


class RegistrationErasedV1(EventData):
    """Staff erased a person: every service forgets their personal data (legal records aside)."""

    event_type: ClassVar[str] = "registration.erased.v1"
    topic: ClassVar[str] = "registration.events"
    model_config = examples({"registration_id": _ID, "erased_at": "2027-12-01T10:00:00Z"})

    registration_id: str = Field(min_length=1, max_length=64)
    erased_at: datetime
