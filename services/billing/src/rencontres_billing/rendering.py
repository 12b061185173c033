"""Invoices and credit notes as HTML (Jinja2), CII XML (Factur-X BASIC) and Factur-X PDF.

Rendering is on demand and pure in its inputs: the same stored document renders to the same
text, XML and PDF bytes (the PDF's dates are the document's issue date, not the clock), so a
PDF fetched twice, or by the accountant years later, is the document that was issued.
Issuing never waits for it: the invoice event carries a link, the PDF is made when fetched.
"""

import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import facturx
import facturx.facturx as facturx_module
from babel.numbers import format_currency, format_percent
from jinja2 import Environment, FileSystemLoader, select_autoescape
from rencontres_kit.dates import format_day
from weasyprint import HTML

from rencontres_billing.settings import Seller

Doc = dict[str, Any]
TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "xml"])
)
_LOCALES = {"fr": "fr_FR", "en": "en_GB"}

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title_invoice": "FACTURE",
        "title_credit_note": "AVOIR",
        "vat_number": "N° TVA",
        "issued_on": "Date d'émission",
        "due_on": "Date d'échéance",
        "reference": "Référence d'inscription",
        "corrects": "Avoir sur la facture",
        "buyer": "Client",
        "description": "Désignation",
        "quantity": "Qté",
        "unit_price": "Prix unitaire HT",
        "vat_rate": "TVA",
        "line_total": "Total HT",
        "total_excl": "Total HT",
        "vat": "TVA",
        "on": "sur",
        "total_incl": "Total TTC",
        "refund": "À rembourser",
        "how_to_pay": "Règlement",
        "transfer_to": "Par virement à l'ordre de",
        "quote": "Merci d'indiquer en référence le numéro de facture",
        "penalties": "En cas de retard de paiement, pénalités au taux de",
        "indemnity": "Indemnité forfaitaire pour frais de recouvrement : 40 €"
        " (art. L441-10 et D441-5 du Code de commerce).",
        "no_discount": "Pas d'escompte pour paiement anticipé.",
        "credit_mention": "Cet avoir annule ou réduit la facture indiquée ci-dessus.",
        "credit_line": "Avoir sur facture {number}, TVA {rate}",
        "penalty_rate": "trois fois le taux d'intérêt légal",
    },
    "en": {
        "title_invoice": "INVOICE",
        "title_credit_note": "CREDIT NOTE",
        "vat_number": "VAT no.",
        "issued_on": "Issue date",
        "due_on": "Due date",
        "reference": "Registration reference",
        "corrects": "Credit note for invoice",
        "buyer": "Bill to",
        "description": "Description",
        "quantity": "Qty",
        "unit_price": "Unit price excl. VAT",
        "vat_rate": "VAT",
        "line_total": "Total excl. VAT",
        "total_excl": "Total excl. VAT",
        "vat": "VAT",
        "on": "on",
        "total_incl": "Total incl. VAT",
        "refund": "To be refunded",
        "how_to_pay": "Payment",
        "transfer_to": "By bank transfer to",
        "quote": "Please quote the invoice number",
        "penalties": "Late payment penalties at",
        "indemnity": "Fixed indemnity for recovery costs: EUR 40"
        " (French Commercial Code, art. L441-10 and D441-5).",
        "no_discount": "No discount for early payment.",
        "credit_mention": "This credit note cancels or reduces the invoice above.",
        "credit_line": "Credit on invoice {number}, VAT {rate}",
        "penalty_rate": "three times the French legal interest rate",
    },
}


def _euros(cents: int) -> Decimal:
    return Decimal(cents) / 100


def _money(cents: int, lang: str) -> str:
    return format_currency(_euros(cents), "EUR", locale=_LOCALES[lang])


def _rate(percent: int, lang: str) -> str:
    return format_percent(Decimal(percent) / 100, "#,##0.##%", locale=_LOCALES[lang])


def _lines(doc: Doc, lang: str) -> list[Doc]:
    """Invoice lines as stored; a credit note has one line per VAT rate it credits."""
    if doc["kind"] == "invoice":
        return [
            {
                "description": line["description"],
                "quantity": line["quantity"],
                "unit_cents": line["unit_price_excl_vat_cents"],
                "total_cents": line["quantity"] * line["unit_price_excl_vat_cents"],
                "rate": line["vat_rate_percent"],
            }
            for line in doc["lines"]
        ]
    template = TEXTS[lang]["credit_line"]
    return [
        {
            "description": template.format(
                number=doc["invoice_number"], rate=_rate(v["rate_percent"], lang)
            ),
            "quantity": 1,
            "unit_cents": v["base_cents"],
            "total_cents": v["base_cents"],
            "rate": v["rate_percent"],
        }
        for v in doc["totals"]["vat"]
    ]


def _language(doc: Doc) -> str:
    return doc.get("language") if doc.get("language") in TEXTS else "fr"  # type: ignore[return-value]


def html(doc: Doc, seller: Seller, penalty_rate: str | None = None) -> str:
    lang = _language(doc)
    texts = TEXTS[lang]
    t = {**texts, "title": texts[f"title_{doc['kind']}"]}
    locale = _LOCALES[lang]
    totals = doc["totals"]
    return _env.get_template("document.html").render(
        lang=lang,
        t=t,
        doc=doc,
        seller=seller,
        buyer=doc.get("buyer"),
        issued_on=format_day(date.fromisoformat(doc["issued_on"]), locale),
        due_on=format_day(date.fromisoformat(doc["due_on"]), locale) if doc.get("due_on") else None,
        lines=[
            {
                "description": line["description"],
                "quantity": line["quantity"],
                "unit": _money(line["unit_cents"], lang),
                "rate": _rate(line["rate"], lang),
                "total": _money(line["total_cents"], lang),
            }
            for line in _lines(doc, lang)
        ],
        vat=[
            {
                "rate": _rate(v["rate_percent"], lang),
                "base": _money(v["base_cents"], lang),
                "amount": _money(v["vat_cents"], lang),
            }
            for v in totals["vat"]
        ],
        total_excl=_money(totals["excl_vat_cents"], lang),
        total_incl=_money(totals["incl_vat_cents"], lang),
        refund=_money(doc["refund_cents"], lang) if doc.get("refund_cents") else None,
        penalty_rate=penalty_rate or texts["penalty_rate"],
    )


def cii_xml(doc: Doc, seller: Seller) -> bytes:
    """The Factur-X BASIC CII XML of a document (validated against the library's XSD)."""
    lang = _language(doc)
    totals = doc["totals"]
    vat_total = sum(v["vat_cents"] for v in totals["vat"])

    def amount(cents: int) -> str:
        return f"{_euros(cents):.2f}"

    def category(rate: int) -> str:
        return "S" if rate > 0 else "E"

    text = _env.get_template("document.xml").render(
        doc=doc,
        seller=seller,
        buyer=doc["buyer"],
        type_code="380" if doc["kind"] == "invoice" else "381",
        issued_102=doc["issued_on"].replace("-", ""),
        due_102=doc["due_on"].replace("-", "") if doc.get("due_on") else None,
        notes=[TEXTS[lang]["indemnity"], TEXTS[lang]["no_discount"]]
        if doc["kind"] == "invoice"
        else [],
        lines=[
            {
                "description": line["description"],
                "quantity": line["quantity"],
                "unit": amount(line["unit_cents"]),
                "total": amount(line["total_cents"]),
                "rate": f"{line['rate']:.2f}",
                "category": category(line["rate"]),
            }
            for line in _lines(doc, lang)
        ],
        vat=[
            {
                "amount": amount(v["vat_cents"]),
                "base": amount(v["base_cents"]),
                "rate": f"{v['rate_percent']:.2f}",
                "category": category(v["rate_percent"]),
                "exemption": "Exonération de TVA",
            }
            for v in totals["vat"]
        ],
        total_excl=amount(totals["excl_vat_cents"]),
        total_vat=amount(vat_total),
        total_incl=amount(totals["incl_vat_cents"]),
        due_payable=amount(totals["incl_vat_cents"]),
    )
    return text.encode()


_pinned_clock = threading.Lock()


class _PinnedDatetime(datetime):
    pinned: datetime = datetime(2000, 1, 1, tzinfo=UTC)

    @classmethod
    def now(cls, tz: Any = None) -> "_PinnedDatetime":
        return cls.fromtimestamp(cls.pinned.timestamp(), tz)


def pdf(doc: Doc, seller: Seller, penalty_rate: str | None = None) -> bytes:
    """A Factur-X PDF (PDF/A-3 with the CII XML embedded), the same bytes on every call."""
    issued = datetime.fromisoformat(doc["issued_on"]).replace(tzinfo=UTC)
    source = html(doc, seller, penalty_rate).replace(
        "<head>",
        f'<head><meta name="dcterms.created" content="{issued.isoformat()}">'
        f'<meta name="dcterms.modified" content="{issued.isoformat()}">',
        1,
    )
    visual = HTML(string=source).write_pdf(pdf_variant="pdf/a-3b", uncompressed_pdf=False)
    # factur-x stamps the current time into the metadata; pin it to the issue date so the
    # same document always gives the same bytes
    with _pinned_clock:
        _PinnedDatetime.pinned = issued
        original = facturx_module.datetime
        facturx_module.datetime = _PinnedDatetime
        try:
            result: bytes = facturx.generate_from_binary(
                visual,
                cii_xml(doc, seller),
                flavor="factur-x",
                level="basic",
                check_xsd=True,
                lang=_language(doc),
                pdf_metadata={
                    "author": seller.legal_name,
                    "keywords": "Factur-X",
                    "title": doc["number"],
                    "subject": doc["number"],
                },
            )
        finally:
            facturx_module.datetime = original
    return result
