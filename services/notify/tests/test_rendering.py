"""The `registration.submitted.v1` templates render for every language, offer and status."""

import itertools
from datetime import UTC, datetime
from typing import Any, get_args

import pytest
from rencontres_contracts.events.common import BillableLine, Contact, Language
from rencontres_contracts.events.registration import (
    OfferKind,
    RegistrationStatus,
    RegistrationSubmittedV1,
)
from rencontres_notify.messages import MESSAGES
from rencontres_notify.rendering import euros, has_template, render_email, render_sms

EVENT = RegistrationSubmittedV1.event_type
LANGUAGES: tuple[str, ...] = get_args(Language)
OFFERS: tuple[str, ...] = get_args(OfferKind)
STATUSES: tuple[str, ...] = get_args(RegistrationStatus)
STATUS_URL = "https://forum.example/r/0193a1c2?t=Zk3&u=1"


def context(
    *, language: str = "fr", offer: str = "stand", status: str = "reserved", name: str = "Claire"
) -> dict[str, Any]:
    """What the message table gives the templates."""
    data = RegistrationSubmittedV1(
        registration_id="0193a1c2-7f00-7abc-8def-0123456789ab",
        reference="RC-7KX4-Q2M9",
        offer=offer,
        edition_ids=["ales-2026-11-18"],
        status=status,
        contact=Contact(name=name, email="claire@example.fr", language=language),
        lines=[
            BillableLine(
                description="Stand — Forum Alès",
                quantity=1,
                unit_price_excl_vat_cents=60000,
            )
        ],
        status_url=STATUS_URL,
        submitted_at=datetime(2026, 10, 2, 9, 15, tzinfo=UTC),
    )
    context: dict[str, Any] = MESSAGES[EVENT].recipients(data)[0].context
    return context


def test_every_language_has_the_four_templates() -> None:
    assert set(LANGUAGES) == {"fr", "en"}
    for language, name in itertools.product(
        LANGUAGES, ("subject.txt", "body.txt", "body.html", "sms.txt")
    ):
        assert has_template(EVENT, language, name), (language, name)


@pytest.mark.parametrize(
    ("language", "offer", "status"), list(itertools.product(LANGUAGES, OFFERS, STATUSES))
)
def test_renders_every_combination_completely(language: str, offer: str, status: str) -> None:
    ctx = context(language=language, offer=offer, status=status)
    email = render_email(EVENT, language, ctx)
    sms = render_sms(EVENT, language, ctx)
    for part in (email.subject, email.text, email.html, sms):
        assert part.strip()
        assert "{{" not in part and "}}" not in part and "{%" not in part and "%}" not in part
    assert "RC-7KX4-Q2M9" in email.subject
    assert "\n" not in email.subject and "  " not in email.subject
    assert "RC-7KX4-Q2M9" in sms and "\n" not in sms
    assert "Claire" in email.text and "Claire" in email.html
    assert STATUS_URL in email.text
    assert 'href="https://forum.example/r/0193a1c2?t=Zk3&amp;u=1"' in email.html
    greeting = {"fr": "Bonjour Claire", "en": "Hello Claire"}[language]
    assert greeting in email.text
    incubator = offer == "incubator_application"
    assert (("incubateur" if language == "fr" else "incubator") in email.text) is incubator
    # The price list appears exactly when the stand is reserved (payment pending).
    price = {"fr": "600,00\xa0€", "en": "€600.00"}[language]
    assert (price in email.text) is (status == "reserved")
    assert (price in email.html) is (status == "reserved")


def test_contact_name_is_escaped_in_html_only() -> None:
    name = '<script>alert("x")</script>'
    email = render_email(EVENT, "fr", context(name=name))
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in email.html
    assert "<script>" not in email.subject and "&lt;" not in email.subject
    assert name in email.text  # plain text is not HTML: no entities there


def test_amounts_are_formatted_by_babel_for_the_language() -> None:
    assert euros(60000, "fr") == "600,00\xa0€"
    assert euros(5, "fr") == "0,05\xa0€"
    assert euros(1234567, "fr") == "12\u202f345,67\xa0€"
    assert euros(60000, "en") == "€600.00"
    assert euros(1234567, "en") == "€12,345.67"


def test_english_and_french_texts_differ() -> None:
    fr = render_email(EVENT, "fr", context(language="fr"))
    en = render_email(EVENT, "en", context(language="en"))
    assert "Inscription enregistrée" in fr.subject
    assert "Registration received" in en.subject
    assert "600,00\xa0€ HT" in fr.text
    assert "€600.00 excl. VAT" in en.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_waitlisted_says_so_and_promises_an_email_when_a_place_frees_up(language: str) -> None:
    ctx = context(language=language, status="waitlisted")
    email = render_email(EVENT, language, ctx)
    sms = render_sms(EVENT, language, ctx)
    waiting, promise = {
        "fr": ("liste d'attente", "Si une place se libère, nous vous écrirons par e-mail"),
        "en": ("waiting list", "If a place frees up, we will email you"),
    }[language]
    assert waiting in email.subject and waiting in sms
    for body in (email.text, email.html.replace("&#39;", "'")):
        assert waiting in body and promise in body
    assert "reviewing" not in email.text and "étudie" not in email.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reserved_pool_seat_says_the_share_comes_when_the_pool_closes(language: str) -> None:
    email = render_email(EVENT, language, context(language=language, offer="pool_seat"))
    shared = {"fr": "stand partagé", "en": "shared stand"}[language]
    assert shared in email.text and shared in email.html
