"""Turn a message's context into the text a person reads, per template, channel and language.

A message's templates are `subject.txt`, `body.txt` and `body.html` for email, `sms.txt` for
SMS. Written once, in `templates/<template>/`, their words are `{% trans %}` blocks (Jinja2's
i18n extension) translated from `locale/<language>/LC_MESSAGES/messages.po` (read with Babel;
English is the source). A per-language copy in `templates/<template>/<language>/` is taken
when there is no language-free one (none is needed today). Dates, times
and amounts go through Babel for the reader's language and Europe/Paris (`| when`, `| day`,
`| euros`), the same way everywhere. A missing template or translation is a deployment error:
rendering fails loudly, and a test checks every `trans` text has its French.
"""

import gettext
import io
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from rencontres_kit.dates import format_day, format_moment

from rencontres_notify.senders import Email
from rencontres_notify.sms import PARIS

TEMPLATES = Path(__file__).parent / "templates"
LOCALE = Path(__file__).parent / "locale"
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
WHEN = {"fr": "d MMMM y 'à' H 'h' mm", "en": "d MMMM y 'at' HH:mm '(Paris time)'"}


def _locale(ctx: Context) -> str:
    return LOCALES.get(str(ctx.get("lang", "fr")), "fr_FR")


def euros(cents: int, language: str) -> str:
    """600,00 € in French, €600.00 in English."""
    return format_currency(cents / 100, "EUR", locale=LOCALES.get(language, "fr_FR"))


def when(moment: datetime, language: str) -> str:
    """« 4 octobre 2027 à 11 h 15 », « 1er novembre… » / "4 October 2027 at 11:15 (Paris time)"."""
    pattern = WHEN.get(language, WHEN["fr"])
    return format_moment(moment, pattern, LOCALES.get(language, "fr_FR"), PARIS)


def day(value: date | datetime, language: str) -> str:
    """« 17 novembre 2027 », « 1er novembre 2027 » / "17 November 2027"."""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    return format_day(value, LOCALES.get(language, "fr_FR"))


def translations(language: str) -> gettext.NullTranslations:
    """The language's catalog, compiled in memory from its `.po` (nothing generated is kept)."""
    po = LOCALE / language / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return gettext.NullTranslations()  # English: the source texts
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def _environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        auto_reload=False,  # templates ship with the code: no stat of the file per render
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["euros"] = pass_context(lambda ctx, cents: euros(cents, str(ctx.get("lang"))))
    env.filters["when"] = pass_context(lambda ctx, moment: when(moment, str(ctx.get("lang"))))
    env.filters["day"] = pass_context(lambda ctx, value: day(value, str(ctx.get("lang"))))
    return env


_ENVS = {language: _environment(language) for language in LOCALES}


@cache
def _path(template: str, language: str, name: str) -> str:
    shared = f"{template}/{name}"
    return shared if (TEMPLATES / shared).is_file() else f"{template}/{language}/{name}"


def has_template(template: str, language: str, name: str) -> bool:
    return (TEMPLATES / _path(template, language, name)).is_file()


def _render(template: str, language: str, name: str, context: dict[str, Any]) -> str:
    env = _ENVS[language]
    return env.get_template(_path(template, language, name)).render({**context, "lang": language})


def render_email(template: str, language: str, context: dict[str, Any]) -> Email:
    subject = _render(template, language, "subject.txt", context).strip()
    return Email(
        subject=" ".join(subject.split()),
        text=_render(template, language, "body.txt", context),
        html=_render(template, language, "body.html", context),
    )


def render_sms(template: str, language: str, context: dict[str, Any]) -> str:
    return " ".join(_render(template, language, "sms.txt", context).split())
