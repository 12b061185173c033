"""What registration's events say is owed, as `Billable`s (pure: no I/O)."""

from rencontres_contracts.events.common import BillableLine
from rencontres_contracts.events.pools import PoolClosedV1
from rencontres_contracts.events.registration import (
    RegistrationReservedV1,
    RegistrationSubmittedV1,
)

from rencontres_billing.documents import Billable
from rencontres_billing.totals import split_cents

SHARED_STAND = {
    "fr": "Stand partagé (regroupement) {pool} — {edition} — part {i}/{n}",
    "en": "Shared stand {pool} — {edition} — share {i}/{n}",
}


def from_registration(data: RegistrationSubmittedV1 | RegistrationReservedV1) -> Billable:
    return Billable(
        registration_id=data.registration_id,
        reference=data.reference,
        organisation=data.organisation,
        contact=data.contact,
        lines=tuple(data.lines),
    )


def from_pool(data: PoolClosedV1) -> list[Billable]:
    """One billable per member of a pool that closed with enough members.

    Billing splits the stand's price itself (`split_cents`, the rule registration also uses, so
    `share_excl_vat_cents` in the event and the invoice agree): the members' shares add up to
    the stand's price exactly, the rounding cents going to the first members to join.
    """
    if data.reason == "unfilled" or not data.members:
        return []
    shares = split_cents(data.stand_price_excl_vat_cents, len(data.members))
    n = len(data.members)
    return [
        Billable(
            registration_id=member.registration_id,
            reference=member.reference,
            organisation=member.organisation,
            contact=member.contact,
            lines=(
                BillableLine(
                    description=SHARED_STAND[member.contact.language].format(
                        pool=data.pool_id[-8:], edition=data.edition_id, i=i + 1, n=n
                    ),
                    quantity=1,
                    unit_price_excl_vat_cents=share,
                    vat_rate_percent=data.vat_rate_percent,
                ),
            ),
            pool_id=data.pool_id,
        )
        for i, (member, share) in enumerate(zip(data.members, shares, strict=True))
    ]
