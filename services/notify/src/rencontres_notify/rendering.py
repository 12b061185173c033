"""Turn an event into the text a person reads, per event type, channel and language.

Templates live in `templates/<event type>/<language>/`: `subject.txt`, `body.txt` and
`body.html` for email, `sms.txt` for SMS. A missing template is a deployment error, so
rendering fails loudly and the event is retried, then dead-lettered.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )
    env.filters["euros"] = lambda cents: f"{cents / 100:,.2f} €".replace(",", " ").replace(".", ",")
    return env


_ENV = _environment()


def has_template(event_type: str, language: str, name: str) -> bool:
    return (TEMPLATES / event_type / language / name).is_file()


def render_email(event_type: str, language: str, context: dict[str, Any]) -> Email:
    base = f"{event_type}/{language}"
    subject = _ENV.get_template(f"{base}/subject.txt").render(context).strip()
    return Email(
        subject=" ".join(subject.split()),
        text=_ENV.get_template(f"{base}/body.txt").render(context),
        html=_ENV.get_template(f"{base}/body.html").render(context),
    )


def render_sms(event_type: str, language: str, context: dict[str, Any]) -> str:
    return " ".join(_ENV.get_template(f"{event_type}/{language}/sms.txt").render(context).split())
