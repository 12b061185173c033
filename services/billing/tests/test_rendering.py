"""The invoice's words, without I/O: its dates in each language (the French first is « 1er »)."""

import pytest
from rencontres_billing.rendering import html
from rencontres_billing.settings import Seller

INVOICE = {
    "kind": "invoice",
    "number": "FAC-2027-000001",
    "issued_on": "2027-10-01",
    "due_on": "2027-11-01",
    "registration_reference": "RC-1",
    "buyer": {
        "legal_name": "Céramiques du Gard SAS",
        "siret": "73282932000074",
        "vat_number": None,
        "billing_address": {
            "line1": "6 avenue de Clavières",
            "postal_code": "30100",
            "city": "Alès",
        },
    },
    "lines": [
        {
            "description": "Stand",
            "quantity": 1,
            "unit_price_excl_vat_cents": 60000,
            "vat_rate_percent": 20,
        }
    ],
    "totals": {
        "excl_vat_cents": 60000,
        "incl_vat_cents": 72000,
        "vat": [{"rate_percent": 20, "base_cents": 60000, "vat_cents": 12000}],
    },
}


@pytest.mark.parametrize(
    ("language", "issued", "due"),
    [("fr", "1er octobre 2027", "1er novembre 2027"), ("en", "1 October 2027", "1 November 2027")],
)
def test_invoice_dates_in_words(language: str, issued: str, due: str) -> None:
    page = html({**INVOICE, "language": language}, Seller())
    assert issued in page and due in page
    assert "1 octobre" not in page and "1 novembre" not in page
