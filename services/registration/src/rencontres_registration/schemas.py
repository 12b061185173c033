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


class RegistrationIn(Strict):
    offer: OfferKind
    edition_ids: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        min_length=1, max_length=4
    )
    contact: ContactIn
    organisation: OrganisationIn | None = None
    data_consent: Literal[True] = Field(
        description="consent to the processing of the data given here; required"
    )


class RegistrationOut(BaseModel):
    id: str
    reference: str
    offer: OfferKind
    edition_ids: list[str]
    status: RegistrationStatus
    status_url: str
    created_at: datetime
