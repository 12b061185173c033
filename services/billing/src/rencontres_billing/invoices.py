"""The life of an invoice, without I/O: its states, what it owes, when it is due.

An issued invoice's legal content (number, date, parties, lines, totals) never changes; what
moves is its settlement state below. Corrections and cancellations are credit notes.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

InvoiceStatus = Literal["draft", "issued", "paid", "cancelled", "lapsed"]

TRANSITIONS: dict[InvoiceStatus, tuple[InvoiceStatus, ...]] = {
    "draft": ("issued",),  # a number is written into it (see numbering)
    "issued": ("paid", "cancelled", "lapsed"),
    "paid": ("cancelled",),  # cancelled after paying: a credit note and a refund
    "cancelled": (),
    "lapsed": (),
}
"""The one lifecycle table: which settlement state may follow which."""

LIVE: tuple[InvoiceStatus, ...] = ("issued", "paid")
"""An invoice that still stands (not credited away)."""

PAYABLE: tuple[InvoiceStatus, ...] = ("issued", "paid")
"""Where a payment may be recorded (an overpayment of a paid invoice is recorded and flagged)."""


def can_move(current: InvoiceStatus, to: InvoiceStatus) -> bool:
    return to in TRANSITIONS[current]


def due_date(issued_on: date, payment_terms_days: int) -> date:
    return issued_on + timedelta(days=payment_terms_days)


@dataclass(frozen=True)
class Settlement:
    """What the payments recorded so far mean for an invoice of `total_cents`."""

    total_cents: int
    paid_cents: int

    @property
    def balance_cents(self) -> int:
        """Still owed (never negative)."""
        return max(self.total_cents - self.paid_cents, 0)

    @property
    def overpaid_cents(self) -> int:
        """Paid beyond the total: flagged for staff, who refund or allocate it."""
        return max(self.paid_cents - self.total_cents, 0)

    @property
    def covered(self) -> bool:
        return self.paid_cents >= self.total_cents


def after_payment(total_cents: int, paid_before: int, amount_cents: int) -> Settlement:
    """Partial payments add up; the invoice is paid once they cover it."""
    return Settlement(total_cents, paid_before + amount_cents)
