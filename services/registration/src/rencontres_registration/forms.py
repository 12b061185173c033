"""The public HTML forms, without a framework: which fields each form has, how its flat
`application/x-www-form-urlencoded` fields become the nested input of a pydantic model, and
how validation errors become one message per field in the reader's language.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError
from rencontres_contracts.events.common import Language

from rencontres_registration.domain import RefusalCode
from rencontres_registration.i18n import translate

Kind = Literal[
    "text", "email", "tel", "url", "number", "textarea", "lines", "select", "radio", "checkbox"
]
FormName = Literal["stand", "pool_open", "pool_join", "student", "incubator"]
CHOICE_KINDS = frozenset({"select", "radio"})
CONSENT = "data_consent"


@dataclass(frozen=True)
class Field:
    """One input; its label is `field.<name>` in the message catalog, its hint `….hint`."""

    name: str
    kind: Kind = "text"
    required: bool = False
    autocomplete: str | None = None
    hint: bool = False
    options: tuple[str, ...] = ()
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    default: str | None = None

    @property
    def id(self) -> str:
        return field_id(self.name)


@dataclass(frozen=True)
class Fieldset:
    legend: str
    fields: tuple[Field, ...]
    note: str | None = None


@dataclass(frozen=True)
class FormSpec:
    name: FormName
    fieldsets: tuple[Fieldset, ...]
    hidden: tuple[str, ...] = field(default=())

    def fields(self) -> Iterator[Field]:
        for fieldset in self.fieldsets:
            yield from fieldset.fields

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields() if f.name == name), None)


def field_id(name: str) -> str:
    """The HTML id of a field: `contact.name` → `f-contact-name`."""
    return "f-" + name.replace(".", "-").replace("_", "-")


_CONTACT = Fieldset(
    "legend.contact",
    (
        Field("contact.name", required=True, autocomplete="name", max_length=120),
        Field("contact.email", "email", required=True, autocomplete="email", hint=True),
        Field("contact.phone", "tel", autocomplete="tel", hint=True, max_length=32),
    ),
)
_ORGANISATION = Fieldset(
    "legend.organisation",
    (
        Field("organisation.legal_name", required=True, autocomplete="organization"),
        Field("organisation.siret", required=True, hint=True, max_length=20),
        Field("organisation.vat_number", hint=True, max_length=20),
    ),
)
_ADDRESS = Fieldset(
    "legend.address",
    (
        Field("organisation.billing_address.line1", required=True, autocomplete="address-line1"),
        Field("organisation.billing_address.line2", autocomplete="address-line2"),
        Field(
            "organisation.billing_address.postal_code",
            required=True,
            autocomplete="postal-code",
            max_length=10,
        ),
        Field(
            "organisation.billing_address.city",
            required=True,
            autocomplete="address-level2",
            max_length=120,
        ),
        Field(
            "organisation.billing_address.country",
            required=True,
            autocomplete="country",
            hint=True,
            max_length=2,
            default="FR",
        ),
    ),
)
_CONSENT = Fieldset(
    "legend.consent",
    (
        Field(CONSENT, "checkbox", required=True),
        Field("contact.sms_consent", "checkbox"),
    ),
    note="consent.text",
)
_EDITION = Fieldset(
    "legend.edition",
    (
        Field("edition_id", "radio", required=True),
        Field("join_waiting_list", "checkbox", default="on"),
    ),
)

FORMS: dict[FormName, FormSpec] = {
    "stand": FormSpec("stand", (_EDITION, _CONTACT, _ORGANISATION, _ADDRESS, _CONSENT)),
    "pool_open": FormSpec(
        "pool_open",
        (
            Fieldset(
                "legend.pool",
                (
                    Field("pool_name", required=True, hint=True, max_length=120),
                    Field("edition_id", "radio", required=True),
                ),
            ),
            _CONTACT,
            _ORGANISATION,
            _ADDRESS,
            _CONSENT,
        ),
    ),
    "pool_join": FormSpec(
        "pool_join", (_CONTACT, _ORGANISATION, _ADDRESS, _CONSENT), hidden=("invitation_key",)
    ),
    "student": FormSpec(
        "student",
        (
            _EDITION,
            _CONTACT,
            Fieldset(
                "legend.student",
                (
                    Field(
                        "student.school",
                        "select",
                        required=True,
                        options=("imt_mines_ales", "enscm", "other"),
                    ),
                    Field("student.school_other", max_length=120),
                    Field("student.programme", required=True, hint=True, max_length=120),
                    Field("student.year", "number", required=True, hint=True, minimum=1, maximum=8),
                ),
            ),
            _CONSENT,
        ),
    ),
    "incubator": FormSpec(
        "incubator",
        (
            _CONTACT,
            Fieldset(
                "legend.startup",
                (
                    Field("startup.project_name", required=True, max_length=120),
                    Field("startup.founders", "lines", required=True, hint=True),
                    Field("startup.description", "textarea", required=True, hint=True),
                    Field(
                        "startup.stage",
                        "select",
                        required=True,
                        options=("idea", "prototype", "first_customers", "revenue"),
                    ),
                    Field("startup.website", "url", hint=True, autocomplete="url"),
                ),
            ),
            _CONSENT,
        ),
    ),
}


# ---------------------------------------------------------------------- form → model input


def to_nested(spec: FormSpec, form: Mapping[str, str]) -> dict[str, Any]:
    """The model input for the fields `spec` knows; everything else in `form` is ignored.

    Empty text is left out (so a required field reports "missing" and an optional one takes
    its default), an unticked checkbox is False except the data consent, which is then left
    out so the model refuses it, and a `lines` field becomes a list of its non-empty lines.
    """
    nested: dict[str, Any] = {}
    for name in (*(f.name for f in spec.fields()), *spec.hidden):
        known = spec.field(name)
        kind = known.kind if known else "text"
        raw = form.get(name, "")
        *parents, last = name.split(".")
        target = nested
        for part in parents:  # made even when empty, so each missing field is named
            target = target.setdefault(part, {})
        if kind == "checkbox":
            if name != CONSENT or raw:
                target[last] = bool(raw)
        elif kind == "lines":
            lines = [line.strip() for line in raw.splitlines() if line.strip()]
            if lines:
                target[last] = lines
        elif raw.strip():
            target[last] = raw.strip()
    return nested


# ---------------------------------------------------------------------- errors → messages

_BY_FIELD: dict[tuple[str, str], str] = {
    ("value_error", "email"): "error.email",
    ("value_error", "siret"): "error.siret",
    ("value_error", "phone"): "error.phone",
    ("value_error", "vat_number"): "error.vat",
    ("string_pattern_mismatch", "postal_code"): "error.postal_code",
    ("string_pattern_mismatch", "country"): "error.country",
    ("string_pattern_mismatch", "website"): "error.website",
    ("string_pattern_mismatch", "invitation_key"): "refused.invitation_unknown",
}


def field_errors(spec: FormSpec, exc: ValidationError, language: Language) -> dict[str, str]:
    """One message per field (the first pydantic gives), keyed by the dotted field name."""
    messages: dict[str, str] = {}
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
        if name not in messages:
            messages[name] = _message(spec, name, error, language)
    return messages


def _message(spec: FormSpec, name: str, error: Any, language: Language) -> str:
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    last = name.rsplit(".", 1)[-1]
    known = spec.field(name)
    if name == CONSENT:
        return translate(language, "error.consent")
    if name == "startup.founders":
        return translate(language, "error.founders")
    if (kind, last) in _BY_FIELD:
        return translate(language, _BY_FIELD[kind, last])
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        choice = known is not None and known.kind in CHOICE_KINDS
        return translate(language, "error.missing.choice" if choice else "error.missing")
    if kind in ("literal_error", "enum"):
        return translate(language, "error.missing.choice")
    if kind in ("string_too_long", "too_long"):
        return translate(language, "error.too_long", max=ctx.get("max_length", "?"))
    if kind in ("string_too_short", "too_short"):
        return translate(language, "error.too_short", min=ctx.get("min_length", "?"))
    if kind == "string_pattern_mismatch":
        return translate(language, "error.characters")
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return translate(language, "error.number")
    if kind in ("greater_than_equal", "less_than_equal") and known is not None:
        return translate(language, "error.range", min=known.minimum, max=known.maximum)
    return translate(language, "error.invalid")


REFUSAL_TEXT: dict[RefusalCode, str] = {
    "unknown_edition": "refused.edition_closed",
    "edition_closed": "refused.edition_closed",
    "edition_full": "refused.edition_full",
    "call_closed": "refused.call_closed",
    "no_stand_to_share": "refused.no_stand_to_share",
    "try_again": "refused.try_again",
    "invitation_unknown": "refused.invitation_unknown",
    "pool_closed": "refused.pool_closed",
    "pool_full": "refused.pool_closed",
}
"""The translated sentence for each refusal code; any other reads as `refused.generic`."""


def refusal_message(code: RefusalCode, language: Language) -> str:
    """A business refusal from the service (full, closed, bad invitation) in the reader's words."""
    return translate(language, REFUSAL_TEXT.get(code, "refused.generic"))
