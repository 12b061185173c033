"""Value objects that several event types share."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

Language = Literal["fr", "en"]
"""Language a person reads: French by default, English second."""

PhoneE164 = Annotated[str, Field(pattern=r"^\+[1-9][0-9]{6,14}$", examples=["+33612345678"])]
Siret = Annotated[str, Field(pattern=r"^[0-9]{14}$", examples=["73282932000074"])]
Cents = Annotated[int, Field(ge=0, description="an amount in euro cents")]


def examples(*docs: Any) -> ConfigDict:
    """A model config carrying its examples, which `make contracts` exports and keeps."""
    return ConfigDict(json_schema_extra={"examples": list(docs)})


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Contact(Frozen):
    """The person we talk to, and how they agreed to be reached."""

    name: str = Field(min_length=1, max_length=120)
    email: EmailStr
    phone: PhoneE164 | None = None
    sms_consent: bool = Field(
        default=False, description="separate, optional consent to SMS; never implied by a phone"
    )
    language: Language = "fr"


class Address(Frozen):
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    postal_code: str = Field(min_length=1, max_length=16)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(default="FR", pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")


class Organisation(Frozen):
    """The buyer on an invoice."""

    legal_name: str = Field(min_length=1, max_length=200)
    siret: Siret
    vat_number: str | None = Field(default=None, pattern=r"^[A-Z]{2}[0-9A-Z]{2,13}$")
    billing_address: Address


class BillableLine(Frozen):
    """One thing the buyer owes for, priced by the catalog at submission time."""

    description: str = Field(min_length=1, max_length=200)
    quantity: int = Field(ge=1, le=100)
    unit_price_excl_vat_cents: Cents
    vat_rate_percent: int = Field(default=20, ge=0, le=100)
