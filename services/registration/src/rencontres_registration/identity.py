"""Checks on who registers: SIRET, EU VAT and phone numbers. Pure functions, no I/O.

SIRET and VAT numbers are checked by python-stdnum (check keys per country, La Poste's SIRET
rule), phone numbers by phonenumbers: maintained tables, not hand-written arithmetic."""

import phonenumbers
from stdnum.eu import vat
from stdnum.exceptions import ValidationError
from stdnum.fr import siret as fr_siret


def is_valid_siret(siret: str) -> bool:
    """14 digits with a valid check key (La Poste's establishments have their own rule)."""
    return siret.isascii() and fr_siret.is_valid(siret)


def normalise_vat(raw: str) -> str:
    """An intra-EU VAT number, compact (FR44732829320), or ValueError saying what is wrong."""
    if not raw.isascii():
        raise ValueError("an intra-EU VAT number has only latin letters and digits")
    try:
        return str(vat.validate(raw))
    except ValidationError as exc:
        raise ValueError(
            "not a valid intra-EU VAT number: it starts with the country code and its check "
            "key must match, e.g. FR44732829320"
        ) from exc


def normalise_phone(raw: str, default_region: str = "FR") -> str:
    """The number in E.164 form, or ValueError saying what is wrong with it."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number; give it as 06 12 34 56 78 or +33 6 12 34 56 78")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
