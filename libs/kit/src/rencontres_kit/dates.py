"""Dates for people, by Babel, with the one rule CLDR leaves out: French writes the first day
of a month as an ordinal, « 1er novembre 2027 », never « 1 novembre 2027 » (every other day
is a cardinal: « 2 novembre »). Every service formats a day-month date through here, so the
rule is written once. English keeps CLDR's form (« 1 November 2027 », « November 1, 2027 »).
"""

from datetime import date, datetime, tzinfo
from typing import Literal, get_args

from babel.core import Locale
from babel.dates import format_date, format_datetime, get_date_format, tokenize_pattern
from babel.dates import untokenize_pattern as _untokenize

Width = Literal["short", "medium", "long", "full"]


def first_of_month(pattern: str, locale: str, day: int) -> str:
    """`pattern` with « er » after its day of month (`d`) when that day is the first and the
    language is French; unchanged otherwise."""
    if day != 1 or Locale.parse(locale).language != "fr":
        return pattern
    tokens: list[tuple[str, str | tuple[str, int]]] = []
    for kind, value in tokenize_pattern(pattern):
        tokens.append((kind, value))
        if kind == "field" and value == ("d", 1):
            tokens.append(("chars", "er"))
    return str(_untokenize(tokens))


def format_day(value: date, locale: str, format: Width | str = "long") -> str:
    """« 17 novembre 2027 », « 1er novembre 2027 », "1 November 2027": `format` is a CLDR
    width (short, medium, long, full) or a pattern."""
    pattern = format
    if format in get_args(Width):
        pattern = get_date_format(format, locale=locale).pattern  # type: ignore[arg-type]
    return format_date(value, first_of_month(pattern, locale, value.day), locale=locale)


def format_moment(moment: datetime, pattern: str, locale: str, tz: tzinfo) -> str:
    """A date and time in `tz` with a pattern (« 1er novembre 2027 à 11 h 15 »)."""
    local_day = moment.astimezone(tz).day
    return format_datetime(
        moment, first_of_month(pattern, locale, local_day), tzinfo=tz, locale=locale
    )
