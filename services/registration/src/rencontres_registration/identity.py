"""Checks on who registers: SIRET and phone numbers. Pure functions, no I/O."""

import phonenumbers

LA_POSTE_SIREN = "356000000"


def is_valid_siret(siret: str) -> bool:
    """14 digits with a valid Luhn key; La Poste's establishments use a digit sum divisible by 5."""
    if len(siret) != 14 or not siret.isdigit():
        return False
    if siret.startswith(LA_POSTE_SIREN):
        return sum(int(d) for d in siret) % 5 == 0
    return _luhn_ok(siret)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def normalise_phone(raw: str, default_region: str = "FR") -> str:
    """The number in E.164 form, or ValueError saying what is wrong with it."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number; give it as 06 12 34 56 78 or +33 6 12 34 56 78")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
