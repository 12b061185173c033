"""The stored documents, as the store hands them to the service: typed, read-only views.

Distinct from the API schemas (`schemas.py`) and the contract events (`events.py` maps these to
them). Every model keeps what it does not name (`extra="allow"`) and gives a default to what
earlier versions did not write, so a document of any age reads, and nothing stored is lost:
the store never writes a model back whole (writes `$set` fields), and a copy made with
`model_copy(update=...)` still carries every field it was read with. The outbox fields never
reach them (the store leaves them out).
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from rencontres_contracts.events.common import Language
from rencontres_contracts.events.registration import OfferKind

from rencontres_registration.domain import Status

Fields = dict[str, Any]


class Stored(BaseModel):
    model_config = ConfigDict(extra="allow", validate_by_name=True, validate_by_alias=True)


class StoredContact(Stored):
    name: str = ""
    email: str = ""
    phone: str | None = None
    sms_consent: bool = False
    language: Language = "fr"


class HistoryEntry(Stored):
    at: datetime | None = None
    status: str
    by: str = "system"


class RegistrationDoc(Stored):
    """One registration (`registrations`)."""

    id: str = Field(alias="_id")
    reference: str = ""
    offer: OfferKind
    edition_ids: list[str] = []
    status: Status
    contact: StoredContact = StoredContact()
    organisation: Fields | None = None
    student: Fields | None = None
    startup: Fields | None = None
    consent: Fields | None = None
    idempotency_key: str = ""
    request_fingerprint: str = ""
    dedupe_keys: list[str] = []
    created_at: datetime
    history: list[HistoryEntry] = []
    place_token: str | None = None
    """The token of the take whose place it holds (none before tokens existed)."""
    join_waiting_list: bool = True
    pool_id: str | None = None
    pool_role: Literal["opener", "member"] | None = None
    offer_expires_at: datetime | None = None
    cancel_reason: str | None = None
    cancelled_at: datetime | None = None
    review_message: str | None = None
    paid: bool = False
    link_requested_at: datetime | None = None
    invoices: dict[str, Fields] = {}
    """What billing said of each invoice that covers it, by invoice id."""
    erased_at: datetime | None = None
    token_hash: str | None = None
    """Links made before they were derived."""


class LinkedRegistration(RegistrationDoc):
    """A registration with its owner's private link: derived, never stored."""

    status_url: str


class PoolDoc(Stored):
    """A shared stand (`pools`)."""

    id: str = Field(alias="_id")
    name: str = ""
    edition_id: str
    status: Literal["opening", "open", "closed", "unfilled", "refused"]
    members: list[str] = []
    min_members: int = 0
    max_members: int = 0
    deadline: datetime
    invitation_key_hash: str = ""
    opened_by: str | None = None
    created_at: datetime | None = None
    history: list[HistoryEntry] = []
    place_token: str | None = None


class CapacityDoc(Stored):
    """A counter of places (`capacity`): `taken` of `total`, and the holders still `pending`
    between taking a place and recording it (with when, and the take's token)."""

    id: str = Field(alias="_id")
    edition_id: str = ""
    resource: str = ""
    total: int = 0
    taken: int = 0
    pending: list[str] = []
    pending_at: dict[str, datetime] = {}
    pending_by: dict[str, str] = {}


Holder = RegistrationDoc | PoolDoc
"""What a place is taken for."""
