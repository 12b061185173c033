"""The registration rules, without I/O: what a valid choice is and what a new registration holds."""

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rencontres_contracts.events.common import Contact, Organisation
from rencontres_contracts.events.registration import RegistrationStatus, RegistrationSubmittedV1

from rencontres_registration.catalog import Catalog, Offer
from rencontres_registration.schemas import RegistrationIn

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread


class RegistrationRefused(Exception):
    """A request that is well formed but breaks a rule; `field` is where to show the message."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def new_reference() -> str:
    """What a person reads over the phone to staff: RC- and two groups of four characters."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"RC-{chars[:4]}-{chars[4:]}"


def check_choice(catalog: Catalog, request: RegistrationIn, now: datetime) -> Offer:
    """The offer asked for, after checking editions, deadlines and who may take it."""
    offer = catalog.offers.get(request.offer)
    if offer is None:
        raise RegistrationRefused("offer", f"unknown offer {request.offer!r}")
    if len(set(request.edition_ids)) != len(request.edition_ids):
        raise RegistrationRefused("edition_ids", "each edition may be chosen once")
    for edition_id in request.edition_ids:
        edition = catalog.editions.get(edition_id)
        if edition is None:
            raise RegistrationRefused("edition_ids", f"unknown edition {edition_id!r}")
        if now > edition.registration_deadline:
            raise RegistrationRefused("edition_ids", f"registration for {edition_id} has closed")
    if request.offer in ("stand", "pool_seat") and request.organisation is None:
        raise RegistrationRefused("organisation", "a company stand needs the company's details")
    return offer


def initial_status(offer: Offer) -> RegistrationStatus:
    """Paid offers are reserved until billing reports them paid; free ones are confirmed."""
    if offer.kind == "incubator_application":
        return "submitted"
    return "confirmed" if offer.is_free else "reserved"


@dataclass(frozen=True)
class NewRegistration:
    """A registration ready to store, and the event that announces it."""

    document: dict[str, Any]
    event: RegistrationSubmittedV1


def new_registration(
    catalog: Catalog,
    request: RegistrationIn,
    *,
    registration_id: str,
    token_hash: str,
    status_url: str,
    now: datetime,
) -> NewRegistration:
    offer = check_choice(catalog, request, now)
    contact = Contact(**request.contact.model_dump())
    organisation = (
        Organisation.model_validate(request.organisation.model_dump())
        if request.organisation
        else None
    )
    event = RegistrationSubmittedV1(
        registration_id=registration_id,
        reference=new_reference(),
        offer=offer.kind,
        edition_ids=list(request.edition_ids),
        status=initial_status(offer),
        contact=contact,
        organisation=organisation,
        lines=catalog.lines_for(offer, list(request.edition_ids), contact.language),
        status_url=status_url,
        submitted_at=now,
    )
    document = {
        "_id": registration_id,
        "reference": event.reference,
        "offer": event.offer,
        "edition_ids": event.edition_ids,
        "status": event.status,
        "contact": contact.model_dump(),
        "organisation": organisation.model_dump() if organisation else None,
        "lines": [line.model_dump() for line in event.lines],
        "consent": {"data_processing_version": catalog.consent_version, "sms": contact.sms_consent},
        "token_hash": token_hash,
        "dedupe_keys": dedupe_keys(str(contact.email), offer.kind, event.edition_ids),
        "created_at": now,
    }
    return NewRegistration(document=document, event=event)


def dedupe_keys(email: str, offer: str, edition_ids: list[str]) -> list[str]:
    """One key per edition: the same email may take an offer once per edition (unique index)."""
    return [f"{email.lower()}|{offer}|{edition_id}" for edition_id in edition_ids]
