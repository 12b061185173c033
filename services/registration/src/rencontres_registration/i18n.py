"""Every text a person reads on the public pages, in French (the default) and English.

The texts live in gettext catalogs, `locale/<language>/LC_MESSAGES/messages.po`, keyed by
symbolic msgids ("form.stand.title", "refused.pool_closed") that the templates (`t('key')`)
and the code name; their `{placeholders}` are filled by `str.format`. Babel reads each
catalog once, at import: a missing or unreadable catalog stops the service from starting
instead of showing keys to people. As gettext does, a fuzzy or empty entry counts as not
translated (the tests allow neither); an unknown key falls back to French, then to the key
itself, which the tests catch for every key the templates and the code name.
"""

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from babel.messages.pofile import read_po
from rencontres_contracts.events.common import Language

LANGUAGES: tuple[Language, ...] = ("fr", "en")
DEFAULT: Language = "fr"
LOCALE = Path(__file__).parent / "locale"


def catalog_path(language: Language) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "messages.po"


def load(language: Language) -> dict[str, str]:
    """The language's texts by key, as its catalog holds them (no typography applied)."""
    with catalog_path(language).open("rb") as fh:
        catalog = read_po(fh, locale=language, domain="messages")
    return {
        message.id: message.string
        for message in catalog
        if isinstance(message.id, str)
        and message.id
        and isinstance(message.string, str)
        and message.string
        and not message.fuzzy
    }


def _french_spacing(text: str) -> str:
    """A narrow no-break space before ? ! ; : so they never start a line on their own."""
    return re.sub(r" ([?!;:])(?=\s|$)", "\u202f\\1", text)


TYPOGRAPHY: Mapping[Language, Callable[[str], str]] = {"fr": _french_spacing}


def _texts(language: Language) -> dict[str, str]:
    fix = TYPOGRAPHY.get(language)
    return {key: fix(text) if fix else text for key, text in load(language).items()}


MESSAGES: Mapping[Language, Mapping[str, str]] = {lang: _texts(lang) for lang in LANGUAGES}
FR = MESSAGES["fr"]
EN = MESSAGES["en"]


def language_of(*candidates: str | None) -> Language:
    """The first candidate that is a language we speak (query, form, cookie...), else French."""
    for candidate in candidates:
        for language in LANGUAGES:
            if candidate == language:
                return language
    return DEFAULT


def translate(language: Language, key: str, **values: object) -> str:
    """The text for `key`; a missing key shows itself rather than failing the page."""
    text = MESSAGES[language].get(key) or MESSAGES[DEFAULT].get(key) or key
    return text.format(**values) if values else text


def has(language: Language, key: str) -> bool:
    return key in MESSAGES[language]


def format_euros(cents: int, language: Language) -> str:
    units, rest = divmod(cents, 100)
    if language == "fr":
        whole = f"{units:,}".replace(",", "\u202f")
        return f"{whole} €" if rest == 0 else f"{whole},{rest:02d} €"
    return f"€{units:,}" if rest == 0 else f"€{units:,}.{rest:02d}"
