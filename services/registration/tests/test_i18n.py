"""The message catalog: every key in both languages, and every text the pages ask for."""

import re
from pathlib import Path
from typing import get_args

import pytest
from rencontres_contracts.events.registration import RegistrationStatus
from rencontres_registration.forms import FORMS
from rencontres_registration.i18n import EN, FR, format_euros, language_of, translate

TEMPLATES = Path(__file__).parents[1] / "src" / "rencontres_registration" / "templates"


def test_every_key_exists_in_both_languages() -> None:
    assert sorted(set(FR) - set(EN)) == [], "in French only"
    assert sorted(set(EN) - set(FR)) == [], "in English only"


def test_both_languages_use_the_same_placeholders() -> None:
    for key in FR:
        assert set(re.findall(r"{(\w+)}", FR[key])) == set(re.findall(r"{(\w+)}", EN[key])), key


def test_no_text_is_empty() -> None:
    assert [k for k, v in (FR | EN).items() if not v.strip()] == []


def _keys_the_forms_need() -> set[str]:
    keys = set()
    for spec in FORMS.values():
        keys |= {f"form.{spec.name}.title", f"form.{spec.name}.intro"}
        for fieldset in spec.fieldsets:
            keys.add(fieldset.legend)
            if fieldset.note:
                keys.add(fieldset.note)
            for field in fieldset.fields:
                keys.add(f"field.{field.name}")
                if field.hint:
                    keys.add(f"field.{field.name}.hint")
                if field.kind == "select":
                    keys.add(f"field.{field.name}.choose")
                keys |= {f"field.{field.name}.{option}" for option in field.options}
    return keys


def test_every_label_hint_option_and_status_is_translated() -> None:
    statuses = {f"status.{status}" for status in get_args(RegistrationStatus)}
    missing = (_keys_the_forms_need() | statuses) - set(FR)
    assert missing == set()


def test_every_key_named_in_a_template_exists() -> None:
    named = set()
    for template in TEMPLATES.glob("*.html"):
        named |= set(re.findall(r"""\bt\(\s*["']([a-z_.]+)["']\s*[,)]""", template.read_text()))
    assert named, "the templates name their texts through t(...)"
    assert named - set(FR) == set()


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [((None, None), "fr"), (("en",), "en"), (("de", "en"), "en"), (("xx", None), "fr")],
)
def test_language_falls_back_to_french(candidates: tuple[str | None, ...], expected: str) -> None:
    assert language_of(*candidates) == expected


def test_translate_fills_values_and_shows_an_unknown_key() -> None:
    assert translate("en", "status.title", reference="RC-1") == "Your registration RC-1"
    assert translate("fr", "no.such.key") == "no.such.key"


def test_euros_are_written_the_way_each_language_writes_them() -> None:
    assert format_euros(60000, "fr") == "600 €"
    assert format_euros(123456, "fr") == "1\u202f234,56 €"
    assert format_euros(60000, "en") == "€600"
