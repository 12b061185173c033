"""What registration knows of its invoices: billing's events, kept on each registration
they cover, for the owner's status page; and the two that change a registration's course
(paid: confirmed; lapsed: cancelled with reason `unpaid`, its place to the waiting list).

Each event is one `$set` of the fields it carries under `invoices.<invoice id>` (single
document, idempotent: a redelivery writes the same values). Billing keys its events by
invoice id, so one invoice's events arrive in order.
"""

from datetime import date
from typing import Any

from rencontres_contracts.events.billing import (
    CreditNoteIssuedV1,
    InvoiceIssuedV1,
    InvoiceLapsedV1,
    InvoicePaidV1,
    PaymentReceivedV1,
)

from rencontres_registration.domain import TransitionRefused, allows
from rencontres_registration.service import Registrations
from rencontres_registration.store import RegistrationStore

Fields = dict[str, Any]


def _day(value: date) -> str:
    return value.isoformat()  # BSON has no date without a time


def issued_fields(data: InvoiceIssuedV1) -> Fields:
    payment = data.payment.model_dump() if data.payment else None
    return {
        "number": data.invoice_number,
        "issued_on": _day(data.issued_on),
        "due_on": _day(data.due_on),
        "total_incl_vat_cents": data.total_incl_vat_cents,
        "pdf_url": data.pdf_url,
        "pdf_url_expires_at": data.pdf_url_expires_at,
        "payment": payment,
    }


def payment_fields(data: PaymentReceivedV1) -> Fields:
    return {
        "number": data.invoice_number,
        "paid_total_cents": data.paid_total_cents,
        "balance_cents": data.balance_cents,
        "paid": data.balance_cents == 0,
    }


def credit_note_fields(data: CreditNoteIssuedV1) -> Fields:
    return {
        f"credit_notes.{data.credit_note_id}": {
            "number": data.credit_note_number,
            "reason": data.reason,
            "issued_on": _day(data.issued_on),
            "total_incl_vat_cents": data.total_incl_vat_cents,
            "refund_cents": data.refund_cents,
            "pdf_url": data.pdf_url,
        }
    }


class Invoices:
    def __init__(self, registrations: Registrations, store: RegistrationStore) -> None:
        self.registrations = registrations
        self.store = store

    async def _record(self, invoice_id: str, registration_ids: list[str], fields: Fields) -> None:
        for registration_id in registration_ids:
            await self.store.registrations.record_invoice(registration_id, invoice_id, fields)

    async def issued(self, data: InvoiceIssuedV1) -> None:
        await self._record(data.invoice_id, data.registration_ids, issued_fields(data))

    async def payment_received(self, data: PaymentReceivedV1) -> None:
        await self._record(data.invoice_id, data.registration_ids, payment_fields(data))

    async def paid(self, data: InvoicePaidV1) -> None:
        fields = {"number": data.invoice_number, "paid": True, "balance_cents": 0}
        await self._record(data.invoice_id, data.registration_ids, fields)
        await self.registrations.mark_paid(data.registration_ids)

    async def lapsed(self, data: InvoiceLapsedV1) -> None:
        """Unpaid past its last reminder: each reserved registration it covers is cancelled
        (reason `unpaid`) and its place offered to the first in line."""
        fields = {"number": data.invoice_number, "lapsed_on": _day(data.lapsed_on)}
        await self._record(data.invoice_id, data.registration_ids, fields)
        for registration_id in data.registration_ids:
            doc = await self.store.registrations.get(registration_id)
            if doc is None or not allows("lapse", doc.status):
                continue  # paid meanwhile, cancelled already, or a redelivery
            try:
                await self.registrations.cancel_unpaid(doc)
            except TransitionRefused:
                continue  # it moved on between the read and the write

    async def credit_note_issued(self, data: CreditNoteIssuedV1) -> None:
        await self._record(data.invoice_id, data.registration_ids, credit_note_fields(data))
