"""The message catalogs: every key in both languages, every text the pages and the code name."""

import ast
import re
import shutil
import string
from pathlib import Path
from typing import get_args

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from rencontres_contracts.events.common import Language
from rencontres_contracts.events.registration import RegistrationStatus
from rencontres_registration import i18n
from rencontres_registration.forms import FORMS
from rencontres_registration.i18n import (
    EN,
    FR,
    LANGUAGES,
    catalog_path,
    format_euros,
    language_of,
    load,
    translate,
)

PACKAGE = Path(i18n.__file__).parent
TEMPLATES = PACKAGE / "templates"


def _catalog(language: Language) -> Catalog:
    with catalog_path(language).open("rb") as fh:
        return read_po(fh, locale=language)


def _entries(language: Language) -> dict[str, str]:
    """Every entry as the file holds it, fuzzy and empty ones included."""
    return {m.id: m.string for m in _catalog(language) if m.id}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_catalogs_are_in_the_package_and_every_language_has_one() -> None:
    for language in LANGUAGES:
        assert catalog_path(language).is_relative_to(PACKAGE)
        assert len(_entries(language)) > 150, language


def test_both_catalogs_hold_exactly_the_same_msgids() -> None:
    french, english = _entries("fr"), _entries("en")
    assert sorted(set(french) - set(english)) == [], "in French only"
    assert sorted(set(english) - set(french)) == [], "in English only"


def test_no_msgid_is_written_twice_in_a_catalog() -> None:
    for language in LANGUAGES:
        ids = re.findall(r'^msgid "(.+)"$', catalog_path(language).read_text(), re.MULTILINE)
        assert sorted({i for i in ids if ids.count(i) > 1}) == [], language


def test_each_msgid_has_the_same_placeholders_in_both_languages() -> None:
    french, english = _entries("fr"), _entries("en")
    differ = {k for k in french if _placeholders(french[k]) != _placeholders(english.get(k, ""))}
    assert sorted(differ) == []


def test_no_entry_is_empty_fuzzy_or_obsolete() -> None:
    for language in LANGUAGES:
        catalog = _catalog(language)
        assert not catalog.fuzzy, f"{language}: the header is marked fuzzy"
        assert [m.id for m in catalog if m.id and not str(m.string).strip()] == [], language
        assert [m.id for m in catalog if m.id and m.fuzzy] == [], language
        assert list(catalog.obsolete) == [], language


def test_the_pages_read_every_entry_and_french_gets_narrow_spaces_before_punctuation() -> None:
    assert set(FR) == set(EN) == set(_entries("fr"))
    assert _entries("fr")["landing.intro"] == "Que souhaitez-vous faire ?"
    assert translate("fr", "landing.intro") == "Que souhaitez-vous faire\u202f?"
    assert translate("en", "landing.intro") == "What would you like to do?"


def test_a_fuzzy_or_empty_entry_is_not_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "fr" / "LC_MESSAGES" / "messages.po"
    target.parent.mkdir(parents=True)
    shutil.copy(catalog_path("fr"), target)
    text = target.read_text()
    text = text.replace('msgid "site.skip"', '#, fuzzy\nmsgid "site.skip"')
    text = text.replace('msgid "site.home"\nmsgstr "Accueil"', 'msgid "site.home"\nmsgstr ""')
    target.write_text(text)
    monkeypatch.setattr(i18n, "LOCALE", tmp_path)
    loaded = load("fr")
    assert "site.skip" not in loaded and "site.home" not in loaded
    assert loaded["site.switch"] == "English"


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


def _keys_the_code_names() -> set[str]:
    """Key-shaped strings in the package's Python (with a prefix the catalogs use), and the
    `<kind>.title` / `<kind>.text` of every message page."""
    prefixes = "|".join(sorted({key.split(".")[0] for key in FR}))
    shape = re.compile(rf"^(?:{prefixes})(?:\.[a-z_]+)+$")
    keys = set()
    for module in PACKAGE.rglob("*.py"):
        if module.name == "i18n.py":
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and shape.match(text) and not text.endswith(".html"):
                keys.add(text)
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "message_page":
                kind = node.args[2]
                assert isinstance(kind, ast.Constant), f"{module.name}: a message page's kind"
                keys.add(f"{kind.value}.title")
                if not any(k.arg == "text" for k in node.keywords):
                    keys.add(f"{kind.value}.text")
    return keys


def test_every_key_named_in_the_code_exists() -> None:
    named = _keys_the_code_names()
    assert {"refused.generic", "error.missing.choice", "status.cancelled.done"} <= named
    assert {"notfound.title", "notfound.text", "csrf.text", "thanks.title"} <= named
    assert sorted(named - set(FR)) == []


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
