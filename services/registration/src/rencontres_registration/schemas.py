"""What the HTTP API accepts and returns; separate from stored documents and contract events.

Field limits that a contract event carries come from the contract model (`limit`): the API
cannot accept a value an event would refuse after a place was taken."""

from datetime import datetime
from typing import Annotated, Literal

import annotated_types
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator
from rencontres_contracts.events.common import Address, Contact, Language, Organisation
from rencontres_contracts.events.pools import PoolOpenedV1
from rencontres_contracts.events.registration import (
    ApplicationReviewedV1,
    OfferKind,
    RegistrationStatus,
)

from rencontres_registration.identity import is_valid_siret, normalise_phone, normalise_vat


def limit(model: type[BaseModel], field: str) -> int:
    """The maximum length a contract model declares for one of its fields."""
    for constraint in model.model_fields[field].metadata:
        if isinstance(constraint, annotated_types.MaxLen):
            return constraint.max_length
    raise LookupError(f"{model.__name__}.{field} declares no maximum length")


Line = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        pattern=r"^[^<>\x00-\x1f\x7f-\x9f\s]([^<>\x00-\x1f\x7f-\x9f]*[^<>\x00-\x1f\x7f-\x9f\s])?$",
    ),
]
"""One line of text: no markup brackets, no control characters (C0 and C1: U+0085 is a line
break Python strips as white space, which a client's regex engine may not know). The pattern
says what the service keeps once it has stripped the ends (so a blank value is refused)."""
Text = Annotated[Line, Field(max_length=200)]
ShortText = Annotated[Line, Field(max_length=120)]


UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
"""Registrations and pools are identified by UUIDs (v7)."""
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
"""A private link's token."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ContactIn(Strict):
    name: Annotated[Line, Field(max_length=limit(Contact, "name"))]
    email: EmailStr = Field(max_length=254)
    phone: str | None = Field(
        default=None,
        max_length=32,
        description="a valid phone number, French by default: 06 12 34 56 78",
        json_schema_extra={"format": "phone"},
    )
    sms_consent: bool = False
    language: Language = "fr"

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalise_phone(value) if value else None


class AddressIn(Strict):
    line1: Annotated[Line, Field(max_length=limit(Address, "line1"))]
    line2: Annotated[Line, Field(max_length=limit(Address, "line2"))] | None = None
    postal_code: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z -]{1,8}[0-9A-Za-z]$")
    city: Annotated[Line, Field(max_length=limit(Address, "city"))]
    country: str = Field(default="FR", pattern=r"^[A-Z]{2}$")


class OrganisationIn(Strict):
    legal_name: Annotated[Line, Field(max_length=limit(Organisation, "legal_name"))]
    siret: str = Field(
        description="14 digits, spaces allowed, with a valid check key",
        max_length=20,
        json_schema_extra={"format": "siret"},
    )
    vat_number: str | None = Field(
        default=None,
        max_length=20,
        description="intra-EU VAT number with a valid check key, e.g. FR44732829320",
        json_schema_extra={"format": "eu-vat"},
    )
    billing_address: AddressIn

    @field_validator("siret")
    @classmethod
    def _siret(cls, value: str) -> str:
        digits = value.replace(" ", "")
        if not is_valid_siret(digits):
            raise ValueError("a SIRET has 14 digits and a valid check key; copy it from your Kbis")
        return digits

    @field_validator("vat_number")
    @classmethod
    def _vat(cls, value: str | None) -> str | None:
        if not value:
            return None
        return normalise_vat(value)


EditionId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$")]
ConsentGiven = Annotated[
    Literal[True],
    Field(description="consent to the processing of the data given here; required"),
]
School = Literal["imt_mines_ales", "enscm", "other"]
Stage = Literal["idea", "prototype", "first_customers", "revenue"]


LongText = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=20,
        max_length=2000,
        # line breaks and tabs allowed inside; what is kept once the ends are stripped
        pattern=r"^[^\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]([^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*"
        r"[^\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f])?$",
    ),
]
StaffMessage = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    ),
]


class StudentIn(Strict):
    school: School
    school_other: ShortText | None = None
    programme: ShortText
    year: int = Field(ge=1, le=8, description="year of study")


class StartupIn(Strict):
    project_name: Annotated[Line, Field(max_length=limit(ApplicationReviewedV1, "project_name"))]
    founders: list[ShortText] = Field(min_length=1, max_length=6)
    description: LongText
    stage: Stage
    website: str | None = Field(
        default=None, max_length=200, pattern=r"^https?://[^\s<>\x00-\x1f\x7f]+$"
    )


class StandIn(Strict):
    """A company books a whole stand for one edition."""

    offer: Literal["stand"]
    edition_id: EditionId
    contact: ContactIn
    organisation: OrganisationIn
    join_waiting_list: bool = True
    data_consent: ConsentGiven


class StudentPassIn(Strict):
    offer: Literal["student_pass"]
    edition_id: EditionId
    contact: ContactIn
    student: StudentIn
    join_waiting_list: bool = True
    data_consent: ConsentGiven


class IncubatorIn(Strict):
    offer: Literal["incubator_application"]
    contact: ContactIn
    startup: StartupIn
    data_consent: ConsentGiven


RegistrationIn = Annotated[StandIn | StudentPassIn | IncubatorIn, Field(discriminator="offer")]
"""What `POST /api/registrations` accepts; shared stands go through `/api/pools`."""


class PoolOpenIn(Strict):
    """An SME opens a shared stand and takes its first seat."""

    edition_id: EditionId
    pool_name: Annotated[Line, Field(max_length=limit(PoolOpenedV1, "name"))]
    contact: ContactIn
    organisation: OrganisationIn
    data_consent: ConsentGiven


class PoolJoinIn(Strict):
    """An SME takes a seat in a shared stand with the invitation key it was given."""

    invitation_key: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    contact: ContactIn
    organisation: OrganisationIn
    data_consent: ConsentGiven


class ReviewIn(Strict):
    decision: Literal["under_review", "accepted", "rejected"]
    message: StaffMessage | None = None


class RegistrationOut(BaseModel):
    """What the owner (and the API client that created it) sees of a registration."""

    id: str
    reference: str
    offer: OfferKind
    edition_ids: list[str]
    status: RegistrationStatus | Literal["placing"]
    status_url: str
    offer_expires_at: datetime | None = None
    pool_id: str | None = None
    created_at: datetime


class PoolOut(BaseModel):
    id: str
    name: str
    edition_id: str
    status: Literal["opening", "open", "closed", "unfilled"]
    members: int
    max_members: int
    deadline: datetime


class PoolOpenedOut(BaseModel):
    registration: RegistrationOut
    pool: PoolOut
    invitation_url: str = Field(description="give it to the SMEs that share the stand")


class StaffRegistrationOut(RegistrationOut):
    contact: dict[str, object]
    organisation: dict[str, object] | None = None
    student: dict[str, object] | None = None
    startup: dict[str, object] | None = None
    history: list[dict[str, object]] = []
