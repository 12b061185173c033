"""Events the registration service publishes on `registration.events`, keyed by its id."""

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field

from rencontres_contracts.envelope import EventData
from rencontres_contracts.events.common import BillableLine, Contact, Organisation

OfferKind = Literal["stand", "pool_seat", "student_pass", "incubator_application"]
RegistrationStatus = Literal["submitted", "reserved", "confirmed", "waitlisted"]

_SUBMITTED_EXAMPLE: Any = {
    "registration_id": "0193a1c2-7f00-7abc-8def-0123456789ab",
    "reference": "RC-7KX4-Q2M9",
    "offer": "stand",
    "edition_ids": ["ales-2026-11-18"],
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


class RegistrationSubmittedV1(EventData):
    """Someone registered for an offer; the registration is durably stored.

    Billing invoices the `lines` (none for free offers); notify confirms receipt to the contact.
    """

    event_type: ClassVar[str] = "registration.submitted.v1"
    topic: ClassVar[str] = "registration.events"
    model_config = ConfigDict(json_schema_extra={"examples": [_SUBMITTED_EXAMPLE]})

    registration_id: str = Field(min_length=1, max_length=64)
    reference: str = Field(min_length=1, max_length=32, description="what a person quotes to staff")
    offer: OfferKind
    edition_ids: list[str] = Field(min_length=1, max_length=8)
    status: RegistrationStatus
    contact: Contact
    organisation: Organisation | None = None
    lines: list[BillableLine] = Field(default_factory=list, max_length=16)
    status_url: str = Field(
        max_length=500, description="the owner's private link to the registration"
    )
    submitted_at: datetime
