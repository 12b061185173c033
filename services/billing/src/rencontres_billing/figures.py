"""Billing figures on `/metrics`: read from the store, named in `rencontres_kit.business`."""

from collections import Counter
from collections.abc import Iterable
from typing import Any

from rencontres_kit import business

from rencontres_billing.store.documents import BillingStore

STATES = ("issued", "overdue", "paid", "lapsed", "cancelled")


def tally(invoices: Iterable[dict[str, Any]]) -> tuple[Counter[str], int, int]:
    """Invoices per state (an issued one with a reminder sent counts as overdue), the amount
    invoiced (every numbered invoice, incl. VAT) and the amount received, in cents."""
    states: Counter[str] = Counter(dict.fromkeys(STATES, 0))
    invoiced = received = 0
    for invoice in invoices:
        status = invoice.get("status", "")
        overdue = status == "issued" and invoice.get("reminders_sent", 0) > 0
        states["overdue" if overdue else status] += 1
        invoiced += invoice.get("totals", {}).get("incl_vat_cents", 0)
        received += invoice.get("paid_cents", 0)
    return states, invoiced, received


async def sample(store: BillingStore) -> None:
    states, invoiced, received = tally(await store.invoice_summaries())
    for state, count in states.items():
        business.INVOICES.labels(state).set(count)
    business.INVOICED_CENTS.labels("EUR").set(invoiced)
    business.RECEIVED_CENTS.labels("EUR").set(received)
