"""Signatures and production settings, without I/O."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from rencontres_billing.errors import BillingRefused
from rencontres_billing.settings import DEV_STAFF_TOKEN, Settings
from rencontres_billing.signing import (
    check_link,
    check_webhook,
    link_signature,
    signed_pdf_url,
    webhook_signature,
)

NOW = datetime(2027, 10, 1, 12, 0, tzinfo=UTC)


def _code(call: object) -> str:
    with pytest.raises(BillingRefused) as refused:
        call()  # type: ignore[operator]
    return refused.value.code


def test_a_pdf_link_opens_its_document_until_it_expires() -> None:
    url = signed_pdf_url("http://b", "s3cret", "FAC-2027-000001", NOW + timedelta(days=1))
    assert url.startswith("http://b/invoices/FAC-2027-000001.pdf?expires=")
    expires = int((NOW + timedelta(days=1)).timestamp())
    good = link_signature("s3cret", "FAC-2027-000001", expires)
    assert good in url
    check_link("s3cret", "FAC-2027-000001", expires, good, NOW)
    later = NOW + timedelta(days=2)
    assert _code(lambda: check_link("s3cret", "FAC-2027-000001", expires, good, later)) == (
        "link_expired"
    )
    # the signature is for one number and one expiry
    assert _code(lambda: check_link("s3cret", "FAC-2027-000002", expires, good, NOW)) == (
        "bad_signature"
    )
    assert _code(lambda: check_link("s3cret", "FAC-2027-000001", expires + 1, good, NOW)) == (
        "bad_signature"
    )


def test_the_webhook_wants_the_right_signature_and_a_fresh_timestamp() -> None:
    body = b'{"id": "evt_1"}'
    ts = str(int(NOW.timestamp()))
    sig = webhook_signature("whsec", ts, body)
    check_webhook("whsec", ts, sig, body, NOW, 300)
    assert _code(lambda: check_webhook("whsec", ts, sig, body + b" ", NOW, 300)) == "bad_signature"
    assert _code(lambda: check_webhook("other", ts, sig, body, NOW, 300)) == "bad_signature"
    late = NOW + timedelta(seconds=301)
    assert _code(lambda: check_webhook("whsec", ts, sig, body, late, 300)) == "stale_signature"


def _production(**overrides: object) -> Settings:
    real = {
        "BILLING_ENV": "production",
        "staff_token": "s" * 40,
        "link_secret": "l" * 40,
        "webhook_secret": "w" * 40,
        "seller": {
            "legal_name": "Association Rencontres Alès–Montpellier",
            "legal_form": "Association loi 1901",
            "siret": "12345678900017",
            "vat_number": "FR12123456789",
            "iban": "FR1420041010050500013M02606",
            "bank_holder": "Association Rencontres Alès–Montpellier",
        },
    }
    return Settings(**{**real, **overrides})  # type: ignore[arg-type]


def test_production_starts_with_real_values_only() -> None:
    assert _production().seller.placeholders() == []
    for bad in (
        {"staff_token": DEV_STAFF_TOKEN},
        {"link_secret": "dev-link-secret-change-me"},
        {"webhook_secret": "dev-webhook-secret-change-me"},
        {"seller": {}},  # every seller field a development placeholder
    ):
        with pytest.raises(ValidationError):
            _production(**bad)


def test_development_defaults_to_the_shared_staff_token() -> None:
    assert Settings().staff_token == "dev-staff-token-change-me"
