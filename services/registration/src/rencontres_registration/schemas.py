"""What the HTTP API accepts and returns; separate from stored documents and contract events."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator
from rencontres_contracts.events.common import Language
from rencontres_contracts.events.registration import OfferKind, RegistrationStatus

from rencontres_registration.identity import is_valid_siret, normalise_phone

Text = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^<>\x00-\x1f]*$"
    ),
]
ShortText = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=120, pattern=r"^[^<>\x00-\x1f]*$"
    ),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ContactIn(Strict):
    name: ShortText
    email: EmailStr = Field(max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    sms_consent: bool = False
    language: Language = "fr"

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalise_phone(value) if value else None


class AddressIn(Strict):
    line1: Text
    line2: Text | None = None
    postal_code: str = Field(pattern=r"^[0-9A-Za-z -]{3,10}$")
    city: ShortText
    country: str = Field(default="FR", pattern=r"^[A-Z]{2}$")


class OrganisationIn(Strict):
    legal_name: Text
    siret: str = Field(description="14 digits, spaces allowed", max_length=20)
    vat_number: str | None = Field(default=None, max_length=20)
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
        compact = value.replace(" ", "").upper()
        if not (compact[:2].isalpha() and 4 <= len(compact) <= 15 and compact.isalnum()):
            raise ValueError(
                "an intra-EU VAT number starts with the country code, e.g. FR44732829320"
            )
        return compact


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
        pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$",  # line breaks and tabs allowed
    ),
]
StaffMessage = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
    ),
]


class StudentIn(Strict):
    school: School
    school_other: ShortText | None = None
    programme: ShortText
    year: int = Field(ge=1, le=8, description="year of study")


class StartupIn(Strict):
    project_name: ShortText
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
    pool_name: ShortText
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
    status: RegistrationStatus
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
