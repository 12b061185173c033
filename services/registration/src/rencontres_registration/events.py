"""Contract events built from stored registrations: the mapping lives here and only here."""

from datetime import datetime
from typing import Any

from rencontres_contracts import CloudEvent, EventData, new_event
from rencontres_contracts.events.common import Contact, Organisation
from rencontres_contracts.events.pools import PoolClosedV1, PoolJoinedV1, PoolMember, PoolOpenedV1
from rencontres_contracts.events.registration import (
    ApplicationReviewedV1,
    CancelReason,
    RegistrationCancelledV1,
    RegistrationConfirmedV1,
    RegistrationErasedV1,
    RegistrationLinkRequestedV1,
    RegistrationPromotedV1,
    RegistrationReservedV1,
    RegistrationStatus,
    RegistrationSubmittedV1,
)

from rencontres_registration.catalog import Catalog
from rencontres_registration.documents import LinkedRegistration, PoolDoc, RegistrationDoc

SOURCE = "/services/registration"

PUBLISHES: tuple[type[EventData], ...] = (
    RegistrationSubmittedV1,
    RegistrationPromotedV1,
    RegistrationReservedV1,
    RegistrationConfirmedV1,
    RegistrationCancelledV1,
    RegistrationErasedV1,
    RegistrationLinkRequestedV1,
    ApplicationReviewedV1,
    PoolOpenedV1,
    PoolJoinedV1,
    PoolClosedV1,
)
"""Every event type registration publishes; the catalog test compares it with `topics`."""


def wrap(data: EventData, subject: str) -> CloudEvent[Any]:
    return new_event(data, source=SOURCE, subject=subject)


def _contact(doc: RegistrationDoc) -> Contact:
    return Contact.model_validate(doc.contact.model_dump())


def _organisation(doc: RegistrationDoc) -> Organisation | None:
    return Organisation.model_validate(doc.organisation) if doc.organisation else None


def _common(catalog: Catalog, doc: RegistrationDoc) -> dict[str, Any]:
    language = doc.contact.language
    return {
        "registration_id": doc.id,
        "reference": doc.reference,
        "offer": doc.offer,
        "edition_ids": doc.edition_ids,
        "edition_names": [catalog.edition_name(e, language) for e in doc.edition_ids],
        "contact": _contact(doc),
    }


def submitted(
    catalog: Catalog, doc: LinkedRegistration, status: RegistrationStatus
) -> CloudEvent[Any]:
    lines = []
    if doc.offer != "pool_seat":  # a seat's share is known when its pool closes
        offer = catalog.offer(doc.offer)
        lines = catalog.lines_for(offer, doc.edition_ids, doc.contact.language)
    data = RegistrationSubmittedV1(
        **_common(catalog, doc),
        status=status,
        organisation=_organisation(doc),
        lines=lines,
        status_url=doc.status_url,
        submitted_at=doc.created_at,
    )
    return wrap(data, doc.id)


def promoted(catalog: Catalog, doc: LinkedRegistration, expires_at: datetime) -> CloudEvent[Any]:
    data = RegistrationPromotedV1(
        **_common(catalog, doc), expires_at=expires_at, status_url=doc.status_url
    )
    return wrap(data, doc.id)


def reserved(catalog: Catalog, doc: LinkedRegistration, now: datetime) -> CloudEvent[Any]:
    offer = catalog.offer(doc.offer)
    data = RegistrationReservedV1(
        **_common(catalog, doc),
        organisation=_organisation(doc),
        lines=catalog.lines_for(offer, doc.edition_ids, doc.contact.language),
        status_url=doc.status_url,
        reserved_at=now,
    )
    return wrap(data, doc.id)


def confirmed(catalog: Catalog, doc: LinkedRegistration, reason: str) -> CloudEvent[Any]:
    data = RegistrationConfirmedV1(
        **_common(catalog, doc), reason=reason, status_url=doc.status_url
    )
    return wrap(data, doc.id)


def cancelled(
    catalog: Catalog, doc: RegistrationDoc, reason: CancelReason, now: datetime
) -> CloudEvent[Any]:
    data = RegistrationCancelledV1(
        **_common(catalog, doc), previous_status=doc.status, reason=reason, cancelled_at=now
    )
    return wrap(data, doc.id)


def link_requested(catalog: Catalog, doc: LinkedRegistration, now: datetime) -> CloudEvent[Any]:
    data = RegistrationLinkRequestedV1(
        **_common(catalog, doc), status_url=doc.status_url, requested_at=now
    )
    return wrap(data, doc.id)


def reviewed(doc: LinkedRegistration, decision: str, message: str | None) -> CloudEvent[Any]:
    data = ApplicationReviewedV1(
        registration_id=doc.id,
        reference=doc.reference,
        project_name=(doc.startup or {})["project_name"],
        decision=decision,
        message=message,
        contact=_contact(doc),
        status_url=doc.status_url,
    )
    return wrap(data, doc.id)


def erased(registration_id: str, now: datetime) -> CloudEvent[Any]:
    return wrap(
        RegistrationErasedV1(registration_id=registration_id, erased_at=now), registration_id
    )


def pool_opened(
    catalog: Catalog, pool: PoolDoc, opener: RegistrationDoc, invitation_url: str
) -> CloudEvent[Any]:
    """The pool is open; the opener's contact and the link to pass on go with it (the same
    link the API returns and the status page shows)."""
    data = PoolOpenedV1(
        pool_id=pool.id,
        name=pool.name,
        edition_id=pool.edition_id,
        edition_name=catalog.edition_name(pool.edition_id, opener.contact.language),
        opened_by=opener.id,
        opener_reference=opener.reference,
        contact=_contact(opener),
        min_members=pool.min_members,
        max_members=pool.max_members,
        deadline=pool.deadline,
        invitation_url=invitation_url,
    )
    return wrap(data, pool.id)


def pool_closed(
    catalog: Catalog,
    pool: PoolDoc,
    members: list[RegistrationDoc],
    shares: list[int],
    reason: str,
    now: datetime,
) -> CloudEvent[Any]:
    offer = catalog.offer("pool_seat")
    data = PoolClosedV1(
        pool_id=pool.id,
        edition_id=pool.edition_id,
        reason=reason,
        stand_price_excl_vat_cents=offer.unit_price_excl_vat_cents,
        vat_rate_percent=offer.vat_rate_percent,
        members=[
            PoolMember(
                registration_id=m.id,
                reference=m.reference,
                organisation=Organisation.model_validate(m.organisation),
                contact=_contact(m),
                share_excl_vat_cents=share,
            )
            for m, share in zip(members, shares, strict=True)
        ],
        closed_at=now,
    )
    return wrap(data, pool.id)
