"""Turn a message's context into the text a person reads, per template, channel and language.

Templates live in `templates/<template>/<language>/`: `subject.txt`, `body.txt` and
`body.html` for email, `sms.txt` for SMS. Dates, times and amounts go through Babel for the
reader's language and Europe/Paris (`| when`, `| day`, `| euros`), the same way everywhere.
A missing template is a deployment error: rendering fails loudly.
"""

from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from rencontres_notify.senders import Email
from rencontres_notify.sms import PARIS

TEMPLATES = Path(__file__).parent / "templates"
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
WHEN = {"fr": "d MMMM y 'à' H 'h' mm", "en": "d MMMM y 'at' HH:mm '(Paris time)'"}


def _locale(ctx: Context) -> str:
    return LOCALES.get(str(ctx.get("lang", "fr")), "fr_FR")


def euros(cents: int, language: str) -> str:
    """600,00 € in French, €600.00 in English."""
    return format_currency(cents / 100, "EUR", locale=LOCALES.get(language, "fr_FR"))


def when(moment: datetime, language: str) -> str:
    """« 4 octobre 2027 à 11 h 15 » / "4 October 2027 at 11:15 (Paris time)"."""
    pattern = WHEN.get(language, WHEN["fr"])
    return format_datetime(moment, pattern, tzinfo=PARIS, locale=LOCALES.get(language, "fr_FR"))


def day(value: date | datetime, language: str) -> str:
    """« 17 novembre 2027 » / "17 November 2027"."""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    return format_date(value, "long", locale=LOCALES.get(language, "fr_FR"))


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )
    env.filters["euros"] = pass_context(lambda ctx, cents: euros(cents, str(ctx.get("lang"))))
    env.filters["when"] = pass_context(lambda ctx, moment: when(moment, str(ctx.get("lang"))))
    env.filters["day"] = pass_context(lambda ctx, value: day(value, str(ctx.get("lang"))))
    return env


_ENV = _environment()


def has_template(template: str, language: str, name: str) -> bool:
    return (TEMPLATES / template / language / name).is_file()


def render_email(template: str, language: str, context: dict[str, Any]) -> Email:
    base = f"{template}/{language}"
    context = {**context, "lang": language}
    subject = _ENV.get_template(f"{base}/subject.txt").render(context).strip()
    return Email(
        subject=" ".join(subject.split()),
        text=_ENV.get_template(f"{base}/body.txt").render(context),
        html=_ENV.get_template(f"{base}/body.html").render(context),
    )


def render_sms(template: str, language: str, context: dict[str, Any]) -> str:
    context = {**context, "lang": language}
    return " ".join(_ENV.get_template(f"{template}/{language}/sms.txt").render(context).split())
