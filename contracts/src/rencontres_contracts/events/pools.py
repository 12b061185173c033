"""Events of shared stands ("regroupements"), on `registration.events` keyed by pool id."""

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from rencontres_contracts.envelope import EventData
from rencontres_contracts.events.common import Contact, Frozen, Organisation, examples

_POOL = "0193a1c2-8000-7abc-8def-00000000beef"


class PoolOpenedV1(EventData):
    """An SME opened a shared stand; it holds one stand of the edition from now on.

    `contact`, `opener_reference`, `edition_name` and `invitation_url` were added (optional,
    so events from before them stay valid) for notify to email the opener the invitation
    link to pass on to the other SMEs, as the public form promises. `invitation_url` opens
    the join form and is a secret of the pool: only the opener and those it invites see it.
    Without `contact` (an older producer) nobody is told.
    """

    event_type: ClassVar[str] = "pool.opened.v1"
    topic: ClassVar[str] = "registration.events"
    model_config = examples(
        {
            "pool_id": _POOL,
            "name": "PME du Gard",
            "edition_id": "ales-2027-11-17",
            "opened_by": "0193a1c2-7f00-7abc-8def-0123456789ab",
            "min_members": 2,
            "max_members": 4,
            "deadline": "2027-10-27T23:59:00Z",
        },
        {
            "pool_id": _POOL,
            "name": "PME du Gard",
            "edition_id": "ales-2027-11-17",
            "edition_name": "IMT Mines Alès, 17 novembre 2027",
            "opened_by": "0193a1c2-7f00-7abc-8def-0123456789ab",
            "opener_reference": "RC-7KX4-Q2M9",
            "contact": {
                "name": "Claire Martin",
                "email": "claire.martin@example.fr",
                "language": "fr",
            },
            "min_members": 2,
            "max_members": 4,
            "deadline": "2027-10-27T23:59:00Z",
            "invitation_url": (
                "http://127.0.0.1:8001/pools/0193a1c2-8000-7abc-8def-00000000beef/join?k=Qm7x"
            ),
        },
    )

    pool_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=120)
    edition_id: str = Field(min_length=1, max_length=64)
    opened_by: str = Field(min_length=1, max_length=64, description="registration id")
    min_members: int = Field(ge=2, le=10)
    max_members: int = Field(ge=2, le=10)
    deadline: datetime
    contact: Contact | None = Field(default=None, description="the opener, to send the link to")
    opener_reference: str | None = Field(
        default=None, max_length=32, description="the opener's registration reference"
    )
    edition_name: str | None = Field(
        default=None, max_length=200, description="the edition as the opener reads it"
    )
    invitation_url: str | None = Field(
        default=None, max_length=500, description="the join link the opener passes on"
    )


class PoolJoinedV1(EventData):
    """A member (a `pool_seat` registration) joined a shared stand."""

    event_type: ClassVar[str] = "pool.joined.v1"
    topic: ClassVar[str] = "registration.events"
    model_config = examples(
        {
            "pool_id": _POOL,
            "registration_id": "0193a1c2-7f00-7abc-8def-0123456789ac",
            "members": 2,
            "max_members": 4,
        }
    )

    pool_id: str = Field(min_length=1, max_length=64)
    registration_id: str = Field(min_length=1, max_length=64)
    members: int = Field(ge=1, le=10)
    max_members: int = Field(ge=2, le=10)


class PoolMember(Frozen):
    """One member of a closed pool, with what billing needs to invoice its share."""

    registration_id: str = Field(min_length=1, max_length=64)
    reference: str = Field(min_length=1, max_length=32)
    organisation: Organisation
    contact: Contact
    share_excl_vat_cents: int = Field(ge=0)


class PoolClosedV1(EventData):
    """A shared stand stopped taking members; billing invoices each member its share.

    `reason` is `full` (max members reached), `deadline` (closed with enough members) or
    `unfilled` (deadline passed with fewer than `min_members`: the stand is released and the
    members' registrations are cancelled with reason `pool_unfilled`; `members` lists them).
    """

    event_type: ClassVar[str] = "pool.closed.v1"
    topic: ClassVar[str] = "registration.events"
    model_config = examples(
        {
            "pool_id": _POOL,
            "edition_id": "ales-2027-11-17",
            "reason": "full",
            "stand_price_excl_vat_cents": 60000,
            "vat_rate_percent": 20,
            "members": [
                {
                    "registration_id": "0193a1c2-7f00-7abc-8def-0123456789ab",
                    "reference": "RC-7KX4-Q2M9",
                    "organisation": {
                        "legal_name": "Ceramiques du Gard SAS",
                        "siret": "73282932000074",
                        "billing_address": {
                            "line1": "6 avenue de Clavières",
                            "postal_code": "30100",
                            "city": "Alès",
                            "country": "FR",
                        },
                    },
                    "contact": {
                        "name": "Claire Martin",
                        "email": "claire.martin@example.fr",
                        "language": "fr",
                    },
                    "share_excl_vat_cents": 30000,
                }
            ],
            "closed_at": "2027-10-27T23:59:00Z",
        }
    )

    pool_id: str = Field(min_length=1, max_length=64)
    edition_id: str = Field(min_length=1, max_length=64)
    reason: Literal["full", "deadline", "unfilled"]
    stand_price_excl_vat_cents: int = Field(ge=0)
    vat_rate_percent: int = Field(ge=0, le=100)
    members: list[PoolMember] = Field(max_length=10)
    closed_at: datetime
