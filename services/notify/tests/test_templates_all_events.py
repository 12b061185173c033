"""Every event type that speaks to a person renders completely, in French and English, with
escaped HTML and a distinct wording per reason or decision. Pure: no I/O."""

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, get_args

import pytest
from rencontres_contracts.events.billing import (
    CreditNoteIssuedV1,
    InvoiceIssuedV1,
    InvoiceLapsedV1,
    InvoiceOverdueV1,
    PaymentInstructions,
    PaymentReceivedV1,
)
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
    RegistrationLinkRequestedV1,
    RegistrationPromotedV1,
    RegistrationReservedV1,
    RegistrationSubmittedV1,
)
from rencontres_notify import sms
from rencontres_notify.handlers import router
from rencontres_notify.messages import MESSAGES
from rencontres_notify.rendering import day, has_template, render_email, render_sms, when

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
EMAIL_ONLY = {RegistrationReservedV1.event_type, PoolClosedV1.event_type, PoolOpenedV1.event_type}
WITH_SMS |= {InvoiceOverdueV1.event_type, InvoiceLapsedV1.event_type}
EMAIL_ONLY |= {
    RegistrationLinkRequestedV1.event_type,
    InvoiceIssuedV1.event_type,
    PaymentReceivedV1.event_type,
    CreditNoteIssuedV1.event_type,
}


def ctx(data: Any) -> dict[str, Any]:
    """The context the message table gives the (first) recipient's templates."""
    context: dict[str, Any] = MESSAGES[data.event_type].recipients(data)[0].context
    return context


def contact(language: str, name: str = "Claire Martin") -> Contact:
    return Contact(name=name, email="claire@example.fr", phone="+33612345678", language=language)


def organisation(name: str = "Céramiques du Gard SAS") -> Organisation:
    return Organisation(
        legal_name=name,
        siret="73282932000074",
        billing_address=Address(line1="6 avenue de Clavières", postal_code="30100", city="Alès"),
    )


def promoted(language: str, name: str = "Claire Martin", offer: str = "stand") -> dict[str, Any]:
    return ctx(
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
    return ctx(
        RegistrationReservedV1(
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
        )
    )


def confirmed(language: str, name: str = "Claire Martin", reason: str = "paid") -> dict[str, Any]:
    return ctx(
        RegistrationConfirmedV1(
            registration_id=RID,
            reference=REF,
            offer="stand" if reason == "paid" else "student_pass",
            edition_ids=["ales-2027-11-17"],
            reason=reason,
            contact=contact(language, name),
            status_url=URL,
        )
    )


def cancelled(
    language: str,
    name: str = "Claire Martin",
    reason: str = "by_owner",
    previous_status: str = "reserved",
) -> dict[str, Any]:
    return ctx(
        RegistrationCancelledV1(
            registration_id=RID,
            reference=REF,
            offer="pool_seat" if reason == "pool_unfilled" else "stand",
            edition_ids=["ales-2027-11-17"],
            previous_status=previous_status,
            reason=reason,
            contact=contact(language, name),
            cancelled_at=EXPIRES,
        )
    )


def reviewed(
    language: str,
    name: str = "Claire Martin",
    decision: str = "accepted",
    message: str | None = "Bienvenue dans la promotion 2027 !",
) -> dict[str, Any]:
    return ctx(
        ApplicationReviewedV1(
            registration_id=RID,
            reference=REF,
            project_name="Biochar <du> Gard",
            decision=decision,
            message=message,
            contact=contact(language, name),
            status_url=URL,
        )
    )


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


POOL_ID = "0193a1c2-8000-7abc-8def-00000000beef"
INVITATION = f"https://forum.example/pools/{POOL_ID}/join?k=Qm7x&u=1"


def pool_opened_event(language: str, name: str = "Claire Martin", **fields: Any) -> PoolOpenedV1:
    return PoolOpenedV1(
        **{
            "pool_id": POOL_ID,
            "name": "PME <du> Gard",
            "edition_id": "ales-2027-11-17",
            "edition_name": "IMT Mines Alès, 17 novembre 2027",
            "opened_by": RID,
            "opener_reference": REF,
            "contact": contact(language, name),
            "min_members": 2,
            "max_members": 4,
            "deadline": EXPIRES,
            "invitation_url": INVITATION,
            **fields,
        }
    )


def pool_opener(language: str, name: str = "Claire Martin") -> Any:
    return ctx(pool_opened_event(language, name))


def closed_member(language: str, name: str = "Claire Martin", reason: str = "full") -> Any:
    return ctx(pool_closed(language, reason, name))


def link_requested(language: str, name: str = "Claire Martin") -> dict[str, Any]:
    return ctx(
        RegistrationLinkRequestedV1(
            registration_id=RID,
            reference=REF,
            offer="stand",
            edition_ids=["ales-2027-11-17"],
            contact=contact(language, name),
            status_url=URL,
            requested_at=EXPIRES,
        )
    )


INVOICE: dict[str, Any] = {"invoice_id": "inv-1", "invoice_number": REF, "registration_ids": [RID]}
PDF = "https://billing.example/invoices/F.pdf?exp=1&sig=ab"
DAY = EXPIRES.date()


def invoice_issued(language: str, name: str = "Claire Martin", payment: bool = True) -> Any:
    return ctx(
        InvoiceIssuedV1(
            **INVOICE,
            contact=contact(language, name),
            buyer_name=name,
            issued_on=DAY,
            due_on=DAY,
            total_excl_vat_cents=60000,
            total_vat_cents=12000,
            total_incl_vat_cents=72000,
            pdf_url=PDF,
            pdf_url_expires_at=EXPIRES,
            payment=PaymentInstructions(
                holder="Association Rencontres",
                iban="FR7630006000011234567890189",
                bic="AGRIFRPP",
                reference=REF,
            )
            if payment
            else None,
        )
    )


def payment_received(language: str, name: str = "Claire Martin", balance: int = 0) -> Any:
    return ctx(
        PaymentReceivedV1(
            **INVOICE,
            contact=contact(language, name),
            payment_id="p1",
            amount_cents=72000 - balance,
            method="transfer",
            paid_on=DAY,
            paid_total_cents=72000 - balance,
            balance_cents=balance,
        )
    )


def overdue(language: str, name: str = "Claire Martin", reminder: int = 1) -> Any:
    return ctx(
        InvoiceOverdueV1(
            **INVOICE,
            contact=contact(language, name),
            reminder=reminder,
            due_on=DAY,
            balance_cents=72000,
            lapses_on=DAY,
            pdf_url=PDF,
        )
    )


def lapsed(language: str, name: str = "Claire Martin") -> Any:
    return ctx(
        InvoiceLapsedV1(
            **INVOICE, contact=contact(language, name), lapsed_on=DAY, balance_cents=72000
        )
    )


def credit_note(language: str, name: str = "Claire Martin", reason: str = "cancelled") -> Any:
    return ctx(
        CreditNoteIssuedV1(
            **INVOICE,
            contact=contact(language, name),
            credit_note_id="cn1",
            credit_note_number="AV-2027-000001",
            reason=reason,
            issued_on=DAY,
            total_incl_vat_cents=72000,
            refund_cents=72000,
            pdf_url=PDF,
        )
    )


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
    ("pool-opened", PoolOpenedV1.event_type, pool_opener, {}),
    ("pool-full", PoolClosedV1.event_type, closed_member, {"reason": "full"}),
    ("pool-deadline", PoolClosedV1.event_type, closed_member, {"reason": "deadline"}),
    ("link-requested", RegistrationLinkRequestedV1.event_type, link_requested, {}),
    ("invoice-issued", InvoiceIssuedV1.event_type, invoice_issued, {}),
    ("invoice-issued-no-pay", InvoiceIssuedV1.event_type, invoice_issued, {"payment": False}),
    ("payment-full", PaymentReceivedV1.event_type, payment_received, {}),
    ("payment-part", PaymentReceivedV1.event_type, payment_received, {"balance": 100}),
    ("reminder-1", InvoiceOverdueV1.event_type, overdue, {"reminder": 1}),
    ("reminder-2", InvoiceOverdueV1.event_type, overdue, {"reminder": 2}),
    ("lapsed", InvoiceLapsedV1.event_type, lapsed, {}),
    *[
        (f"credit-{r}", CreditNoteIssuedV1.event_type, credit_note, {"reason": r})
        for r in ("cancelled", "lapsed", "correction")
    ],
]


def test_every_event_type_has_its_templates_in_both_languages() -> None:
    for event_type, language in itertools.product(WITH_SMS | EMAIL_ONLY, LANGUAGES):
        for name in ("subject.txt", "body.txt", "body.html"):
            assert has_template(event_type, language, name), (event_type, language, name)
        assert has_template(event_type, language, "sms.txt") is (event_type in WITH_SMS)


def test_the_handler_map_covers_every_person_facing_event_and_skips_pool_progress() -> None:
    mapped = set(router.event_types)
    assert set(MESSAGES) == WITH_SMS | EMAIL_ONLY
    assert mapped == WITH_SMS | EMAIL_ONLY | {RegistrationErasedV1.event_type}
    assert PoolJoinedV1.event_type not in mapped


@pytest.mark.parametrize("language", LANGUAGES)
def test_pool_opened_gives_the_opener_the_invitation_link_and_the_deadline(
    language: str,
) -> None:
    email = render_email(PoolOpenedV1.event_type, language, pool_opener(language))
    assert INVITATION in email.text
    assert f'href="{INVITATION.replace("&", "&amp;")}"' in email.html
    assert "PME &lt;du&gt; Gard" in email.html and "PME <du> Gard" in email.text
    assert "IMT Mines Alès, 17 novembre 2027" in email.text
    deadline, span = {
        "fr": ("d'ici le 4 octobre 2027 à 11 h 15", "de 2 à 4 entreprises en tout"),
        "en": ("by 4 October 2027 at 11:15 (Paris time)", "2 to 4 companies in all"),
    }[language]
    assert deadline in email.text and span in email.text
    assert deadline in email.html and span in email.html


def test_pool_opened_tells_nobody_without_a_contact_or_a_link() -> None:
    """Events from before the opener's contact and link were added to the contract."""
    rows = MESSAGES[PoolOpenedV1.event_type]
    assert rows.channels == ("email",)
    assert rows.recipients(pool_opened_event("fr", contact=None)) == []
    assert rows.recipients(pool_opened_event("fr", invitation_url=None)) == []
    (opener,) = rows.recipients(pool_opened_event("en"))
    assert opener.registration_ids == (RID,) and opener.contact.language == "en"
    bare = pool_opened_event("fr", opener_reference=None, edition_name=None)
    email = render_email(PoolOpenedV1.event_type, "fr", rows.recipients(bare)[0].context)
    assert INVITATION in email.text and "ales-2027-11-17" in email.text
    assert "Référence" not in email.text and not email.subject.endswith(" ")


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
        (
            datetime(2027, 9, 30, 22, 30, tzinfo=UTC),
            "1er octobre 2027 à 0 h 30",
            "1 October 2027 at 00:30 (Paris time)",
        ),
        (datetime(2027, 12, 31, 23, 0, tzinfo=UTC), "1er janvier 2028 à 0 h 00", None),
        (datetime(2027, 11, 1, 23, 0, tzinfo=UTC), "2 novembre 2027 à 0 h 00", None),
    ],
)
def test_deadline_formats(moment: datetime, fr: str, en: str | None) -> None:
    assert when(moment, "fr") == fr
    if en:
        assert when(moment, "en") == en


def test_days_write_the_french_first_of_the_month_as_1er() -> None:
    assert day(date(2027, 11, 1), "fr") == "1er novembre 2027"
    assert day(date(2027, 11, 1), "en") == "1 November 2027"
    assert day(date(2027, 11, 17), "fr") == "17 novembre 2027"
    assert day(datetime(2027, 10, 31, 23, 30, tzinfo=UTC), "fr") == "1er novembre 2027"  # Paris


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
        "fr": ("200,00\xa0€ HT", "partagé entre 3 entreprises"),
        "en": ("€200.00 excl. VAT", "shared between 3 companies"),
    }[language]
    assert share in email.text and share in email.html
    assert between in email.text and between in email.html
    assert "Entreprise 0 &lt;SARL&gt;" in email.html and "Entreprise 0 <SARL>" in email.text
    invoice = {"fr": "facture", "en": "invoice"}[language]
    assert invoice in email.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_invoice_issued_gives_the_signed_pdf_link_totals_and_transfer_details(
    language: str,
) -> None:
    email = render_email(InvoiceIssuedV1.event_type, language, invoice_issued(language))
    total = {"fr": "720,00\xa0€", "en": "€720.00"}[language]
    assert total in email.text and PDF in email.text
    assert 'href="https://billing.example/invoices/F.pdf?exp=1&amp;sig=ab"' in email.html
    assert "FR7630006000011234567890189" in email.text and "AGRIFRPP" in email.html
    bare = render_email(
        InvoiceIssuedV1.event_type, language, invoice_issued(language, payment=False)
    )
    assert "IBAN" not in bare.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_reminders_one_and_two_and_the_credit_reasons_differ(language: str) -> None:
    first, second = (
        render_email(InvoiceOverdueV1.event_type, language, overdue(language, reminder=r))
        for r in (1, 2)
    )
    assert first.subject != second.subject and first.text != second.text
    notes = {
        r: render_email(CreditNoteIssuedV1.event_type, language, credit_note(language, reason=r))
        for r in ("cancelled", "lapsed", "correction")
    }
    assert len({n.text for n in notes.values()}) == 3


LONG_NAME = "Marie-Hélène de La Tour d'Auvergne-Lauraguais, directrice des ressources humaines"


@pytest.mark.parametrize(
    ("event_type", "build", "kwargs", "language"),
    [
        pytest.param(t, b, k, lang, id=f"{name}-{lang}")
        for (name, t, b, k), lang in itertools.product(VARIANTS, LANGUAGES)
        if t in WITH_SMS
    ],
)
def test_every_sms_fits_in_two_segments_with_long_realistic_values(
    event_type: str, build: Callable[..., dict[str, Any]], kwargs: dict[str, Any], language: str
) -> None:
    context = {
        **build(language, LONG_NAME, **kwargs),
        "reference": "RC-7KX4-Q2M9-W8ZT",  # longer than any reference registration makes
        "invoice_number": "FAC-2027-" + "9" * 23,
        "balance_cents": 99_999_999,
        "edition_names": ["IMT Mines Alès, mercredi 17 novembre 2027"] * 2,
    }
    text = render_sms(event_type, language, context)
    assert sms.segments(text) <= sms.MAX_SEGMENTS, (sms.encoding(text), len(text), text)


def test_every_text_to_translate_has_its_french_and_nothing_is_left_over() -> None:
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po
    from rencontres_notify.rendering import LOCALE, TEMPLATES

    method = "jinja2.ext:babel_extract"
    found = {
        msgid
        for _, _, msgid, _, _ in extract_from_dir(
            TEMPLATES,
            method_map=[("**.txt", method), ("**.html", method)],
            options_map={"**": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}},
        )
    }
    with (LOCALE / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    translated = {m.id for m in catalog if m.id and m.string}
    assert found, "no {% trans %} text found"
    assert found - translated == set(), "texts without French"
    assert translated - found == set(), "French for texts no template uses"
