"""Reminders, lapse and refunds: the configurable policy, as pure decisions.

- Reminder 1 on the due date, reminder 2 `second_reminder_days` later.
- `grace_days` after reminder 2, an invoice still not covered *lapses*: billing publishes it,
  registration cancels the reservation (reason `unpaid`) and frees the stand for the waiting
  list, and billing issues a credit note for what was not paid.
- A cancellation credits the invoice; of what was paid, `refund_percent` is refunded (by
  staff, recorded on the credit note) and the rest is kept as a cancellation fee, which stays
  invoiced: the credit note is for the total minus the fee.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from rencontres_billing.totals import Totals, scaled


@dataclass(frozen=True)
class ReminderPolicy:
    second_reminder_days: int = 15
    grace_days: int = 15


@dataclass(frozen=True)
class Remind:
    reminder: Literal[1, 2]
    lapses_on: date


@dataclass(frozen=True)
class Lapse:
    pass


Chase = Remind | Lapse | None


def lapse_date(due_on: date, policy: ReminderPolicy) -> date:
    return due_on + timedelta(days=policy.second_reminder_days + policy.grace_days)


def chase(today: date, due_on: date, reminders_sent: int, policy: ReminderPolicy) -> Chase:
    """What today's run owes an unpaid invoice that has had `reminders_sent` reminders.

    Safe to run twice (the store moves `reminders_sent` conditionally) and to skip days: a run
    after a missed one sends the reminder still owed, one step per run.
    """
    lapses_on = lapse_date(due_on, policy)
    if reminders_sent == 0 and today >= due_on:
        return Remind(1, lapses_on)
    second_on = due_on + timedelta(days=policy.second_reminder_days)
    if reminders_sent == 1 and today >= second_on:
        return Remind(2, lapses_on)
    if reminders_sent >= 2 and today >= lapses_on:
        return Lapse()
    return None


@dataclass(frozen=True)
class Credit:
    """A credit note's amount and the refund it promises."""

    totals: Totals
    refund_cents: int


def credit_for(invoice: Totals, paid_cents: int, refund_percent: int) -> Credit:
    """Credit the invoice down to the fee kept from what was paid (`100 - refund_percent` %).

    With the default 100 %, the whole invoice is credited and everything paid is refunded.
    The credit's VAT lines are the invoice's scaled per rate, so the kept fee keeps its VAT.
    """
    paid = min(paid_cents, invoice.incl_vat_cents)
    kept = paid - paid * refund_percent // 100
    credited = scaled(invoice, invoice.incl_vat_cents - kept, invoice.incl_vat_cents)
    # what stays invoiced after the credit note, to the cent: the refund settles the rest
    still_invoiced = invoice.incl_vat_cents - credited.incl_vat_cents
    return Credit(credited, max(paid_cents - still_invoiced, 0))
