"""Every event type that speaks to a person renders completely, in French and English, with
escaped HTML and a distinct wording per reason or decision. Pure: no I/O."""

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, get_args
from zoneinfo import ZoneInfoNotFoundError

import pytest
from rencontres_contracts.events.common import (
    Address,
    BillableLine,
    Contact,
    Language,
    Organisation,
)
from rencontres_contracts.events.pools import (
    PoolClosedV1,
    PoolJoinedV1,
    PoolMember,
    PoolOpenedV1,
)
from rencontres_contracts.events.registration import (
    ApplicationReviewedV1,
    RegistrationCancelledV1,
    RegistrationConfirmedV1,
    RegistrationErasedV1,
    RegistrationPromotedV1,
    RegistrationReservedV1,
    RegistrationSubmittedV1,
)
from rencontres_notify import handlers as handlers_module
from rencontres_notify.handlers import (
    format_deadline,
    member_context,
    paris_time,
    promoted_context,
    router,
)
from rencontres_notify.rendering import has_template, render_email, render_sms

LANGUAGES: tuple[str, ...] = get_args(Language)
RID = "0193a1c2-7f00-7abc-8def-0123456789ab"
REF = "RC-7KX4-Q2M9"
URL = "https://forum.example/r/0193a1c2?t=Zk3&u=1"
HREF = 'href="https://forum.example/r/0193a1c2?t=Zk3&amp;u=1"'
NASTY = '<b>&"Zoé"</b>'
NASTY_HTML = "&lt;b&gt;&amp;&#34;Zoé&#34;&lt;/b&gt;"
EXPIRES = datetime(2027, 10, 4, 9, 15, tzinfo=UTC)  # 11 h 15 in Paris (summer time)
CANCEL_REASONS = ("by_owner", "by_staff", "offer_expired", "pool_unfilled")
DECISIONS = ("under_review", "accepted", "rejected")
GREETING = {"fr": "Bonjour", "en": "Hello"}
WITH_SMS = {
    RegistrationSubmittedV1.event_type,
    RegistrationPromotedV1.event_type,
    RegistrationConfirmedV1.event_type,
    RegistrationCancelledV1.event_type,
    ApplicationReviewedV1.event_type,
}
EMAIL_ONLY = {RegistrationReservedV1.event_type, PoolClosedV1.event_type}


def contact(language: str, name: str = "Claire Martin") -> Contact:
    return Contact(name=name, email="claire@example.fr", phone="+33612345678", language=language)


def organisation(name: str = "Céramiques du Gard SAS") -> Organisation:
    return Organisation(
        legal_name=name,
        siret="73282932000074",
        billing_address=Address(line1="6 avenue de Clavières", postal_code="30100", city="Alès"),
    )


def promoted(language: str, name: str = "Claire Martin", offer: str = "stand") -> dict[str, Any]:
    return promoted_context(
        RegistrationPromotedV1(
            registration_id=RID,
            reference=REF,
            offer=offer,
            edition_ids=["ales-2027-11-17"],
            expires_at=EXPIRES,
            contact=contact(language, name),
            status_url=URL,
        )
    )


def reserved(language: str, name: str = "Claire Martin") -> dict[str, Any]:
    return RegistrationReservedV1(
        registration_id=RID,
        reference=REF,
        offer="stand",
        edition_ids=["ales-2027-11-17"],
        contact=contact(language, name),
        organisation=organisation(),
        lines=[
            BillableLine(
                description="Stand — Forum Alès", quantity=1, unit_price_excl_vat_cents=60000
            )
        ],
        status_url=URL,
        reserved_at=EXPIRES,
    ).model_dump(mode="json")


def confirmed(language: str, name: str = "Claire Martin", reason: str = "paid") -> dict[str, Any]:
    return RegistrationConfirmedV1(
        registration_id=RID,
        reference=REF,
        offer="stand" if reason == "paid" else "student_pass",
        edition_ids=["ales-2027-11-17"],
        reason=reason,
        contact=contact(language, name),
        status_url=URL,
    ).model_dump(mode="json")


def cancelled(
    language: str,
    name: str = "Claire Martin",
    reason: str = "by_owner",
    previous_status: str = "reserved",
) -> dict[str, Any]:
    return RegistrationCancelledV1(
        registration_id=RID,
        reference=REF,
        offer="pool_seat" if reason == "pool_unfilled" else "stand",
        edition_ids=["ales-2027-11-17"],
        previous_status=previous_status,
        reason=reason,
        contact=contact(language, name),
        cancelled_at=EXPIRES,
    ).model_dump(mode="json")


def reviewed(
    language: str,
    name: str = "Claire Martin",
    decision: str = "accepted",
    message: str | None = "Bienvenue dans la promotion 2027 !",
) -> dict[str, Any]:
    return ApplicationReviewedV1(
        registration_id=RID,
        reference=REF,
        project_name="Biochar <du> Gard",
        decision=decision,
        message=message,
        contact=contact(language, name),
        status_url=URL,
    ).model_dump(mode="json")


def pool_closed(language: str, reason: str = "full", name: str = "Claire Martin") -> PoolClosedV1:
    members = [
        PoolMember(
            registration_id=f"{RID[:-1]}{i}",
            reference=REF if i == 0 else f"RC-0000-000{i}",
            organisation=organisation(f"Entreprise {i} <SARL>"),
            contact=contact(language if i == 0 else "fr", name),
            share_excl_vat_cents=share,
        )
        for i, share in enumerate((20000, 20000, 20000))
    ]
    return PoolClosedV1(
        pool_id="0193a1c2-8000-7abc-8def-00000000beef",
        edition_id="ales-2027-11-17",
        reason=reason,
        stand_price_excl_vat_cents=60000,
        vat_rate_percent=20,
        members=members,
        closed_at=EXPIRES,
    )


def closed_member(language: str, name: str = "Claire Martin", reason: str = "full") -> Any:
    data = pool_closed(language, reason, name)
    return member_context(data, data.members[0])


Variant = tuple[str, str, Callable[..., dict[str, Any]], dict[str, Any]]
VARIANTS: list[Variant] = [
    ("promoted", RegistrationPromotedV1.event_type, promoted, {}),
    ("promoted-pass", RegistrationPromotedV1.event_type, promoted, {"offer": "student_pass"}),
    ("reserved", RegistrationReservedV1.event_type, reserved, {}),
    ("confirmed-paid", RegistrationConfirmedV1.event_type, confirmed, {"reason": "paid"}),
    ("confirmed-free", RegistrationConfirmedV1.event_type, confirmed, {"reason": "free"}),
    *[
        (f"cancelled-{r}", RegistrationCancelledV1.event_type, cancelled, {"reason": r})
        for r in CANCEL_REASONS
    ],
    (
        "cancelled-waitlisted",
        RegistrationCancelledV1.event_type,
        cancelled,
        {"previous_status": "waitlisted"},
    ),
    *[
        (f"reviewed-{d}", ApplicationReviewedV1.event_type, reviewed, {"decision": d})
        for d in DECISIONS
    ],
    ("reviewed-no-message", ApplicationReviewedV1.event_type, reviewed, {"message": None}),
    ("pool-full", PoolClosedV1.event_type, closed_member, {"reason": "full"}),
    ("pool-deadline", PoolClosedV1.event_type, closed_member, {"reason": "deadline"}),
]


def test_every_event_type_has_its_templates_in_both_languages() -> None:
    for event_type, language in itertools.product(WITH_SMS | EMAIL_ONLY, LANGUAGES):
        for name in ("subject.txt", "body.txt", "body.html"):
            assert has_template(event_type, language, name), (event_type, language, name)
        assert has_template(event_type, language, "sms.txt") is (event_type in WITH_SMS)


def test_the_handler_map_covers_every_person_facing_event_and_skips_pool_progress() -> None:
    mapped = set(router.event_types)
    assert mapped == WITH_SMS | EMAIL_ONLY | {RegistrationErasedV1.event_type}
    assert PoolOpenedV1.event_type not in mapped and PoolJoinedV1.event_type not in mapped


@pytest.mark.parametrize(
    ("event_type", "build", "kwargs", "language"),
    [
        pytest.param(t, b, k, lang, id=f"{name}-{lang}")
        for (name, t, b, k), lang in itertools.product(VARIANTS, LANGUAGES)
    ],
)
def test_renders_completely_in_the_contacts_language(
    event_type: str, build: Callable[..., dict[str, Any]], kwargs: dict[str, Any], language: str
) -> None:
    ctx = build(language, **kwargs)
    email = render_email(event_type, language, ctx)
    parts = [email.subject, email.text, email.html]
    if event_type in WITH_SMS:
        sms = render_sms(event_type, language, ctx)
        assert REF in sms and "\n" not in sms
        assert len(sms) <= 160, (len(sms), sms)
        parts.append(sms)
    for part in parts:
        assert part.strip()
        assert "{{" not in part and "}}" not in part and "{%" not in part and "%}" not in part
    assert REF in email.subject and REF in email.text and REF in email.html
    assert "\n" not in email.subject and "  " not in email.subject
    assert f"{GREETING[language]} Claire Martin" in email.text
    assert f'<html lang="{language}">' in email.html
    other = {"fr": "Hello", "en": "Bonjour"}[language]
    assert other not in email.text
    if "status_url" in ctx:
        assert URL in email.text and HREF in email.html


@pytest.mark.parametrize(("name", "event_type", "build", "kwargs"), VARIANTS)
def test_html_escapes_what_people_typed_and_text_keeps_it(
    name: str, event_type: str, build: Callable[..., dict[str, Any]], kwargs: dict[str, Any]
) -> None:
    email = render_email(event_type, "fr", build("fr", NASTY, **kwargs))
    assert NASTY_HTML in email.html and "<b>" not in email.html
    assert NASTY in email.text


def test_promoted_gives_the_deadline_in_paris_time_and_the_link() -> None:
    fr = render_email(RegistrationPromotedV1.event_type, "fr", promoted("fr"))
    assert "jusqu'au 4 octobre 2027 à 11 h 15" in fr.text
    assert "jusqu'au 4 octobre 2027 à 11 h 15</strong>" in fr.html
    assert URL in fr.text and HREF in fr.html
    sms = render_sms(RegistrationPromotedV1.event_type, "fr", promoted("fr"))
    assert "4 octobre 2027 à 11 h 15" in sms
    en = render_email(RegistrationPromotedV1.event_type, "en", promoted("en"))
    assert "until 4 October 2027 at 11:15 (Paris time)" in en.text


@pytest.mark.parametrize(
    ("moment", "fr", "en"),
    [
        (EXPIRES, "4 octobre 2027 à 11 h 15", "4 October 2027 at 11:15 (Paris time)"),
        (datetime(2027, 11, 17, 8, 5, tzinfo=UTC), "17 novembre 2027 à 9 h 05", None),
        (datetime(2027, 9, 30, 22, 30, tzinfo=UTC), "1er octobre 2027 à 0 h 30", None),
        (datetime(2027, 12, 31, 23, 0, tzinfo=UTC), "1er janvier 2028 à 0 h 00", None),
    ],
)
def test_deadline_formats(moment: datetime, fr: str, en: str | None) -> None:
    assert format_deadline(moment, "fr") == fr
    if en:
        assert format_deadline(moment, "en") == en


def test_paris_time_without_tzdata_follows_the_eu_summer_time_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moments = [
        datetime(2027, 3, 28, 0, 59, tzinfo=UTC),  # last Sunday of March, just before 01:00 UTC
        datetime(2027, 3, 28, 1, 0, tzinfo=UTC),
        datetime(2027, 10, 31, 0, 59, tzinfo=UTC),  # last Sunday of October
        datetime(2027, 10, 31, 1, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2028, 7, 14, 12, 0, tzinfo=UTC),
        datetime(2028, 1, 1, 0, 0, tzinfo=UTC),
    ]
    expected = [paris_time(m) for m in moments]

    def missing(key: str) -> Any:
        raise ZoneInfoNotFoundError(key)

    monkeypatch.setattr(handlers_module, "ZoneInfo", missing)
    got = [paris_time(m) for m in moments]
    assert [g.replace(tzinfo=None) for g in got] == [e.replace(tzinfo=None) for e in expected]
    assert [g.utcoffset() for g in got] == [e.utcoffset() for e in expected]


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_cancel_reason_has_its_own_wording(language: str) -> None:
    event_type = RegistrationCancelledV1.event_type
    emails = {
        r: render_email(event_type, language, cancelled(language, reason=r)) for r in CANCEL_REASONS
    }
    sms = {
        r: render_sms(event_type, language, cancelled(language, reason=r)) for r in CANCEL_REASONS
    }
    assert len({e.subject for e in emails.values()}) == len(CANCEL_REASONS)
    assert len({e.text for e in emails.values()}) == len(CANCEL_REASONS)
    assert len(set(sms.values())) == len(CANCEL_REASONS)
    own_stand = {"fr": "réserver un stand à votre nom", "en": "book a stand of your own"}[language]
    not_enough = {"fr": "pas réuni assez d'entreprises", "en": "did not gather enough companies"}
    assert own_stand in emails["pool_unfilled"].text
    assert not_enough[language] in emails["pool_unfilled"].text
    assert all(own_stand not in emails[r].text for r in CANCEL_REASONS if r != "pool_unfilled")
    credit = {"fr": "avoir", "en": "credit note"}[language]
    assert credit in emails["by_owner"].text and credit in emails["by_staff"].text
    assert credit not in emails["pool_unfilled"].text


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_review_decision_has_its_own_wording_and_the_staff_message(language: str) -> None:
    event_type = ApplicationReviewedV1.event_type
    emails = {
        d: render_email(event_type, language, reviewed(language, decision=d)) for d in DECISIONS
    }
    assert len({e.subject for e in emails.values()}) == len(DECISIONS)
    assert len({e.text for e in emails.values()}) == len(DECISIONS)
    assert all("Bienvenue dans la promotion 2027 !" in e.text for e in emails.values())
    assert "Biochar &lt;du&gt; Gard" in emails["accepted"].html

    staff = 'Merci <b>!</b>\nÀ "bientôt"'
    email = render_email(event_type, language, reviewed(language, message=staff))
    assert staff in email.text
    assert "Merci &lt;b&gt;!&lt;/b&gt;\nÀ &#34;bientôt&#34;" in email.html
    bare = render_email(event_type, language, reviewed(language, message=None))
    team = {"fr": "Message de l'équipe", "en": "A message from the team"}[language]
    assert team in email.text and team not in bare.text and "None" not in bare.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_confirmed_paid_and_free_differ(language: str) -> None:
    event_type = RegistrationConfirmedV1.event_type
    paid = render_email(event_type, language, confirmed(language, reason="paid"))
    free = render_email(event_type, language, confirmed(language, reason="free"))
    payment = {"fr": "paiement", "en": "payment"}[language]
    assert payment in paid.text and payment not in free.text


@pytest.mark.parametrize(
    ("language", "reason"), list(itertools.product(LANGUAGES, ("full", "deadline")))
)
def test_pool_closed_tells_each_member_its_share(language: str, reason: str) -> None:
    email = render_email(PoolClosedV1.event_type, language, closed_member(language, reason=reason))
    share, between = {
        "fr": ("200,00 € HT", "partagé entre 3 entreprises"),
        "en": ("200,00 € excl. VAT", "shared between 3 companies"),
    }[language]
    assert share in email.text and share in email.html
    assert between in email.text and between in email.html
    assert "Entreprise 0 &lt;SARL&gt;" in email.html and "Entreprise 0 <SARL>" in email.text
    invoice = {"fr": "facture", "en": "invoice"}[language]
    assert invoice in email.text
