"""Contract events for billing's tests, built as registration builds them."""

from datetime import UTC, datetime
from uuid import uuid4

from rencontres_contracts import CloudEvent, new_event
from rencontres_contracts.events.common import Address, BillableLine, Contact, Organisation
from rencontres_contracts.events.pools import PoolClosedV1, PoolMember
from rencontres_contracts.events.registration import (
    RegistrationCancelledV1,
    RegistrationErasedV1,
    RegistrationReservedV1,
    RegistrationSubmittedV1,
)

STAND = [
    BillableLine(
        description="Stand — Forum Alès, 17 novembre 2027",
        quantity=1,
        unit_price_excl_vat_cents=60000,
    ),
    BillableLine(
        description="Repas", quantity=3, unit_price_excl_vat_cents=1215, vat_rate_percent=10
    ),
]
ORGANISATION = Organisation(
    legal_name="Céramiques du Gard SAS",
    siret="73282932000074",
    vat_number="FR44732829320",
    billing_address=Address(line1="6 avenue de Clavières", postal_code="30100", city="Alès"),
)


def contact(language: str = "fr") -> Contact:
    return Contact(
        name="Claire Martin",
        email=f"claire.{uuid4().hex[:8]}@example.fr",
        phone="+33612345678",
        language=language,
    )


def submitted(
    lines: list[BillableLine] | None = None, status: str = "reserved", rid: str | None = None
) -> CloudEvent[RegistrationSubmittedV1]:
    rid = rid or str(uuid4())
    lines = STAND if lines is None else lines
    data = RegistrationSubmittedV1(
        registration_id=rid,
        reference=f"RC-{rid[:4].upper()}-TEST",
        offer="stand" if lines else "student_pass",
        edition_ids=["ales-2027-11-17"],
        status=status,
        contact=contact(),
        organisation=ORGANISATION if lines else None,
        lines=lines,
        status_url=f"http://127.0.0.1/r/{rid}",
        submitted_at=datetime.now(UTC),
    )
    return new_event(data, source="/tests/billing", subject=rid)


def reserved() -> CloudEvent[RegistrationReservedV1]:
    """A waitlisted registration took a place after a promotion."""
    rid = str(uuid4())
    data = RegistrationReservedV1(
        registration_id=rid,
        reference=f"RC-{rid[:4].upper()}-WAIT",
        offer="stand",
        edition_ids=["ales-2027-11-17"],
        contact=contact("en"),
        organisation=ORGANISATION,
        lines=STAND,
        status_url=f"http://127.0.0.1/r/{rid}",
        reserved_at=datetime.now(UTC),
    )
    return new_event(data, source="/tests/billing", subject=rid)


def pool_closed(members: int, price: int = 60001, reason: str = "full") -> CloudEvent[PoolClosedV1]:
    pool = str(uuid4())
    data = PoolClosedV1(
        pool_id=pool,
        edition_id="ales-2027-11-17",
        reason=reason,
        stand_price_excl_vat_cents=price,
        vat_rate_percent=20,
        members=[
            PoolMember(
                registration_id=str(uuid4()),
                reference=f"RC-POOL-{i:04d}",
                organisation=ORGANISATION,
                contact=contact(),
                share_excl_vat_cents=0,
            )
            for i in range(members)
        ],
        closed_at=datetime.now(UTC),
    )
    return new_event(data, source="/tests/billing", subject=pool)


def cancelled(rid: str) -> CloudEvent[RegistrationCancelledV1]:
    data = RegistrationCancelledV1(
        registration_id=rid,
        reference="RC-CANC-TEST",
        offer="stand",
        edition_ids=["ales-2027-11-17"],
        contact=contact(),
        previous_status="reserved",
        reason="by_owner",
        cancelled_at=datetime.now(UTC),
    )
    return new_event(data, source="/tests/billing", subject=rid)


def erased(rid: str) -> CloudEvent[RegistrationErasedV1]:
    data = RegistrationErasedV1(registration_id=rid, erased_at=datetime.now(UTC))
    return new_event(data, source="/tests/billing", subject=rid)
