"""The registration rules, without I/O.

What a valid choice is, which place a registration needs, which status changes are allowed,
how a shared stand's price is split, and which events each change owes. The store and the
service apply these decisions; nothing here reads a clock or a database.
"""

import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from rencontres_contracts.events.common import Contact
from rencontres_contracts.events.registration import OfferKind, RegistrationStatus

from rencontres_registration.catalog import Catalog, Edition, Offer

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread

Resource = Literal["stand", "student_pass"]
Action = Literal[
    "cancel", "accept_offer", "expire_offer", "pay", "lapse", "review", "promote", "erase", "settle"
]

Status = RegistrationStatus | Literal["placing"]
"""What a stored registration's status may be: `placing` until its place is settled."""

HOLDS_A_PLACE: frozenset[RegistrationStatus] = frozenset({"reserved", "confirmed", "offered"})
ACTIVE: frozenset[RegistrationStatus] = frozenset(
    {"submitted", "under_review", "waitlisted", "offered", "reserved", "confirmed", "accepted"}
)

_TRANSITIONS: Mapping[Action, frozenset[Status]] = {
    "cancel": ACTIVE,
    "accept_offer": frozenset({"offered"}),
    "expire_offer": frozenset({"offered"}),
    "pay": frozenset({"reserved"}),
    "lapse": frozenset({"reserved"}),
    "review": frozenset({"submitted", "under_review"}),
    "promote": frozenset({"waitlisted"}),
    "erase": frozenset(ACTIVE | {"cancelled", "rejected", "withdrawn"}),
    "settle": frozenset({"placing"}),
}


RefusalCode = Literal[
    "unknown_edition",
    "edition_closed",
    "edition_full",
    "call_closed",
    "no_stand_to_share",
    "try_again",
    "invitation_unknown",
    "pool_closed",
    "pool_full",
    "not_reviewable",
    "invalid",
]
"""Why a well-formed request was refused. The JSON API maps each code to an HTTP status, the
pages to a translated sentence; nothing matches on the English `message`."""


class RegistrationRefused(Exception):
    """A request that is well formed but breaks a rule; `field` is where to show the message,
    `message` an English detail for API clients."""

    def __init__(self, code: RefusalCode, field: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.message = message


class TransitionRefused(Exception):
    """The registration is not in a state where this can happen (e.g. cancelling twice)."""

    def __init__(self, action: Action, status: str) -> None:
        super().__init__(f"cannot {action.replace('_', ' ')} a registration that is {status}")
        self.action = action
        self.status = status


class IdempotencyKeyReused(Exception):
    """An idempotency key already used for a different request (another body, another route)."""


def request_fingerprint(scope: str, request: BaseModel) -> str:
    """What an idempotency key is bound to: the route's scope and the parsed body."""
    canonical = json.dumps([scope, request.model_dump(mode="json")], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def allows(action: Action, status: Status) -> bool:
    """The one lifecycle table, read by the service, the store's conditional writes (through
    the service) and the pages (which buttons to show)."""
    return status in _TRANSITIONS[action]


def check_transition(action: Action, status: Status) -> None:
    if not allows(action, status):
        raise TransitionRefused(action, status)


def new_reference() -> str:
    """What a person reads over the phone to staff: RC- and two groups of four characters."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"RC-{chars[:4]}-{chars[4:]}"


def resource_for(offer: OfferKind) -> Resource | None:
    """Which counted place an offer takes; a pool seat shares the stand its pool holds."""
    if offer == "stand":
        return "stand"
    if offer == "student_pass":
        return "student_pass"
    return None


def capacity_of(edition: Edition, resource: Resource) -> int:
    return edition.stands if resource == "stand" else edition.student_passes


def capacity_id(edition_id: str, resource: Resource) -> str:
    return f"{edition_id}:{resource}"


def check_edition(catalog: Catalog, edition_id: str, now: datetime) -> Edition:
    edition = catalog.editions.get(edition_id)
    if edition is None:
        known = ", ".join(sorted(catalog.editions))
        raise RegistrationRefused(
            "unknown_edition", "edition_id", f"unknown edition {edition_id!r}; one of {known}"
        )
    if now > edition.registration_deadline:
        raise RegistrationRefused(
            "edition_closed", "edition_id", f"registration for {edition_id} has closed"
        )
    return edition


def check_incubator_call_open(catalog: Catalog, now: datetime) -> str:
    call = catalog.incubator_call
    if not call.opens <= now <= call.closes:
        raise RegistrationRefused(
            "call_closed", "offer", "the incubator call is not open at the moment"
        )
    return call.id


def placed_status(offer: Offer, got_place: bool) -> RegistrationStatus:
    """Where a new registration lands once its place is settled."""
    if offer.kind == "incubator_application":
        return "submitted"
    if not got_place:
        return "waitlisted"
    return "confirmed" if offer.is_free else "reserved"


def status_after_accepting(offer: Offer) -> RegistrationStatus:
    return "confirmed" if offer.is_free else "reserved"


def offer_deadline(now: datetime, hold_hours: int) -> datetime:
    return now + timedelta(hours=hold_hours)


def split_cents(total: int, parts: int) -> list[int]:
    """Shares that add up to `total` exactly; the first members carry the odd cents."""
    base, rest = divmod(total, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


def pool_close_reason(
    members: int, min_members: int, max_members: int, deadline_passed: bool
) -> Literal["full", "deadline", "unfilled"] | None:
    """Whether a shared stand closes now, and why; None while it stays open.

    Decided: a pool left below its minimum (a single SME) at its deadline is `unfilled`: its
    stand goes back to the edition (and so to the waiting list) and the members are cancelled
    and told they may book a stand of their own. Nobody is silently charged a whole stand.
    """
    if members >= max_members:
        return "full"
    if not deadline_passed:
        return None
    return "deadline" if members >= min_members else "unfilled"


def pool_deadline(edition: Edition, days_before: int) -> datetime:
    """Pools close some days before the edition, and never after registrations close."""
    start_of_day = datetime.combine(
        edition.date, datetime.min.time(), tzinfo=edition.registration_deadline.tzinfo
    )
    return min(start_of_day - timedelta(days=days_before), edition.registration_deadline)


def dedupe_keys(email: str, offer: str, edition_ids: list[str]) -> list[str]:
    """One key per edition: the same email may take an offer once per edition (unique index)."""
    return [f"{email.lower()}|{offer}|{edition_id}" for edition_id in edition_ids]


def erased_contact(language: str) -> dict[str, Any]:
    """What stays of a contact after erasure: nothing that identifies a person."""
    return Contact(
        name="(effacé)",
        email="erased@invalid.example",
        language=language,
    ).model_dump()
