"""Building the stored documents of invoices and credit notes, without I/O.

What a billable registration becomes (`Billable` → an invoice draft), and the fields a number
adds. The documents keep the buyer's identity and the amounts for ten years; the contact person
is kept apart (`contact`) so erasure can drop it alone.
"""

import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from rencontres_contracts.events.common import BillableLine, Contact, Organisation

from rencontres_billing.invoices import due_date
from rencontres_billing.numbering import Series, format_number
from rencontres_billing.policy import Credit
from rencontres_billing.totals import Totals, VatLine, totals

Doc = dict[str, Any]
_NAMESPACE = uuid.UUID("5d9b2c1e-6a57-4c55-9a0e-0c8f3f3b6a11")


def invoice_id(registration_id: str) -> str:
    """One invoice per billable registration: its id is derived from the registration's, so a
    redelivered or re-published event finds the invoice it already made."""
    return str(uuid.uuid5(_NAMESPACE, f"invoice:{registration_id}"))


def credit_note_id(invoice_id: str) -> str:
    """One credit note cancels an invoice (cancellation or lapse), whichever comes first."""
    return str(uuid.uuid5(_NAMESPACE, f"credit-note:{invoice_id}"))


@dataclass(frozen=True)
class Billable:
    """A registration that owes money, from whichever event revealed it."""

    registration_id: str
    reference: str
    organisation: Organisation | None
    contact: Contact
    lines: tuple[BillableLine, ...]
    pool_id: str | None = None


def totals_doc(sums: Totals) -> Doc:
    return asdict(sums)


def totals_of(doc: Doc) -> Totals:
    t = doc["totals"]
    vat = tuple(VatLine(**v) for v in t["vat"])
    return Totals(t["excl_vat_cents"], vat, t["incl_vat_cents"])


def invoice_draft(billable: Billable, now: datetime) -> Doc:
    sums = totals(list(billable.lines))
    return {
        "_id": invoice_id(billable.registration_id),
        "kind": "invoice",
        "registration_ids": [billable.registration_id],
        "registration_reference": billable.reference,
        "pool_id": billable.pool_id,
        "status": "draft",
        "language": billable.contact.language,
        "buyer": billable.organisation.model_dump() if billable.organisation else None,
        "contact": billable.contact.model_dump(),
        "lines": [line.model_dump() for line in billable.lines],
        "totals": totals_doc(sums),
        "currency": "EUR",
        "paid_cents": 0,
        "overpaid_cents": 0,
        "payments": [],
        "payment_ids": [],
        "reminders_sent": 0,
        "credit_note_id": None,
        "created_at": now,
    }


def credit_note_draft(invoice: Doc, credit: Credit, reason: str, now: datetime) -> Doc:
    return {
        "_id": credit_note_id(invoice["_id"]),
        "kind": "credit_note",
        "invoice_id": invoice["_id"],
        "invoice_number": invoice["number"],
        "registration_ids": invoice["registration_ids"],
        "registration_reference": invoice["registration_reference"],
        "status": "draft",
        "reason": reason,
        "language": invoice["language"],
        "buyer": invoice["buyer"],
        "contact": invoice["contact"],
        "lines": invoice["lines"],
        "totals": totals_doc(credit.totals),
        "currency": "EUR",
        "refund_cents": credit.refund_cents,
        "refunded_cents": 0,
        "refunds": [],
        "refund_ids": [],
        "created_at": now,
    }


def issue_date(today: date, year: int) -> date:
    """The date printed with a number of `year`: today, or the year's last day when a claim
    taken before midnight on 31 December is finished after it."""
    return today if today.year == year else min(today, date(year, 12, 31))


def number_fields(
    series: Series, counter: str, sequence: int, today: date, payment_terms_days: int
) -> Doc:
    year = int(counter.rsplit("-", 1)[1])
    issued_on = issue_date(today, year)
    fields: Doc = {
        "number": format_number(series, year, sequence),
        "numbering": {"counter": counter, "sequence": sequence},
        "status": "issued",
        "issued_on": issued_on.isoformat(),
        "issued_at": datetime.now(UTC),
    }
    if series == "FAC":
        fields["due_on"] = due_date(issued_on, payment_terms_days).isoformat()
    return fields
