"""Billing's business figures, from invoice summaries (pure)."""

from rencontres_billing.figures import tally


def test_invoices_per_state_and_amounts() -> None:
    invoices = [
        {"status": "issued", "totals": {"incl_vat_cents": 72000}, "paid_cents": 0},
        {
            "status": "issued",
            "totals": {"incl_vat_cents": 24000},
            "paid_cents": 10000,
            "reminders_sent": 1,
        },
        {"status": "paid", "totals": {"incl_vat_cents": 72000}, "paid_cents": 72000},
        {"status": "lapsed", "totals": {"incl_vat_cents": 72000}, "paid_cents": 0},
    ]
    states, invoiced, received = tally(invoices)
    assert dict(states) == {"issued": 1, "overdue": 1, "paid": 1, "lapsed": 1, "cancelled": 0}
    assert (invoiced, received) == (240000, 82000)
