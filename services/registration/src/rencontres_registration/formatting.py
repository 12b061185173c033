"""Dates and money as a reader of each language expects them, by Babel (CLDR data): one way
everywhere — pages, emails' edition names, invoice lines. Days go through the kit's
`format_day`, which writes the French first of a month « 1er »."""

from datetime import date
from decimal import Decimal

from babel.numbers import format_currency
from rencontres_kit import dates

LOCALES = {"fr": "fr_FR", "en": "en_US"}


def format_day(day: date, language: str) -> str:
    """`17 novembre 2027`, `1er novembre 2027`, `November 17, 2027`."""
    return dates.format_day(day, LOCALES.get(language, "fr_FR"))


def format_money(cents: int, language: str) -> str:
    """`720,00 €`, `€720.00`."""
    return format_currency(Decimal(cents) / 100, "EUR", locale=LOCALES.get(language, "fr_FR"))
