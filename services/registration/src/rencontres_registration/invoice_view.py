"""The owner's invoices as the status page shows them: amounts and dates formatted by Babel
for the reader's language, whether each is paid, and how to pay what is still owed."""

from datetime import date
from typing import Any

from rencontres_registration.formatting import format_day, format_money

money = format_money


def day(iso: str | None, language: str) -> str | None:
    """The page's one way to write a day (`formatting.format_day`), from its ISO form."""
    return format_day(date.fromisoformat(iso), language) if iso else None


def invoice_rows(invoices: dict[str, dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """One row per invoice known (issued first: a payment may name an invoice not seen yet)."""
    rows = []
    for invoice in invoices.values():
        if "total_incl_vat_cents" not in invoice:
            continue  # its issue event has not arrived yet
        balance = invoice.get("balance_cents", invoice["total_incl_vat_cents"])
        paid = bool(invoice.get("paid")) or balance == 0
        credit_notes = [
            {**note, "amount": money(note["total_incl_vat_cents"], language)}
            for note in invoice.get("credit_notes", {}).values()
        ]
        rows.append(
            {
                "number": invoice["number"],
                "amount": money(invoice["total_incl_vat_cents"], language),
                "balance": money(balance, language),
                "issued_on": day(invoice.get("issued_on"), language),
                "due_on": day(invoice.get("due_on"), language),
                "paid": paid,
                "lapsed": bool(invoice.get("lapsed_on")),
                "pdf_url": invoice.get("pdf_url"),
                # a credited or lapsed invoice is settled by its credit note: nothing to transfer
                "payment": None
                if paid or credit_notes or invoice.get("lapsed_on")
                else invoice.get("payment"),
                "credit_notes": credit_notes,
            }
        )
    return sorted(rows, key=lambda r: r["number"])
