"""Contract events built from stored invoices and credit notes: the mapping lives here only."""

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from rencontres_contracts import CloudEvent, EventData, new_event
from rencontres_contracts.events.billing import (
    CreditNoteIssuedV1,
    InvoiceIssuedV1,
    InvoiceLapsedV1,
    InvoiceOverdueV1,
    InvoicePaidV1,
    PaymentInstructions,
    PaymentReceivedV1,
)
from rencontres_contracts.events.common import Contact

from rencontres_billing.invoices import Settlement
from rencontres_billing.policy import Remind
from rencontres_billing.settings import Settings
from rencontres_billing.signing import signed_pdf_url

_EVENT_IDS = uuid.UUID("0b7c3f52-3a0e-4a8e-9d55-3e1f7c2b9a40")

SOURCE = "/services/billing"
Doc = dict[str, Any]

PUBLISHES: tuple[type[EventData], ...] = (
    InvoiceIssuedV1,
    PaymentReceivedV1,
    InvoicePaidV1,
    InvoiceOverdueV1,
    InvoiceLapsedV1,
    CreditNoteIssuedV1,
)
"""Every event type billing publishes; the catalog test compares it with `topics`."""


def _facts(invoice: Doc) -> dict[str, Any]:
    contact = invoice.get("contact")
    return {
        "invoice_id": invoice["_id"],
        "invoice_number": invoice["number"],
        "registration_ids": invoice["registration_ids"],
        "contact": Contact.model_validate(contact) if contact else None,
    }


class EventMapper:
    """Builds billing's events; links are signed with the settings' secret."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime]) -> None:
        self._settings = settings
        self._clock = clock

    def _wrap(
        self, data: EventData, invoice_id: str, once_for: str | None = None
    ) -> CloudEvent[Any]:
        """The event, keyed by invoice. `once_for`: what makes it happen once (a document's
        number): its id is derived from it, so a copy written again after a crash (a claim's
        helper) is the same event, which consumers drop."""
        event_id = (
            str(uuid.uuid5(_EVENT_IDS, f"{data.event_type}:{once_for}")) if once_for else None
        )
        return new_event(data, source=SOURCE, subject=invoice_id, event_id=event_id)

    def pdf_link(self, number: str) -> tuple[str, datetime]:
        expires_at = self._clock() + timedelta(days=self._settings.link_ttl_days)
        expires_at = expires_at.replace(microsecond=0)
        s = self._settings
        return signed_pdf_url(s.public_base_url, s.link_secret, number, expires_at), expires_at

    def invoice_issued(self, invoice: Doc) -> CloudEvent[Any]:
        url, expires_at = self.pdf_link(invoice["number"])
        seller = self._settings.seller
        totals = invoice["totals"]
        data = InvoiceIssuedV1(
            **_facts(invoice),
            buyer_name=(invoice.get("buyer") or {}).get("legal_name") or "—",
            language=invoice["language"],
            issued_on=date.fromisoformat(invoice["issued_on"]),
            due_on=date.fromisoformat(invoice["due_on"]),
            total_excl_vat_cents=totals["excl_vat_cents"],
            total_vat_cents=totals["incl_vat_cents"] - totals["excl_vat_cents"],
            total_incl_vat_cents=totals["incl_vat_cents"],
            pdf_url=url,
            pdf_url_expires_at=expires_at,
            payment=PaymentInstructions(
                holder=seller.bank_holder,
                iban=seller.iban,
                bic=seller.bic,
                reference=invoice["number"],
            ),
        )
        return self._wrap(data, invoice["_id"], once_for=invoice["number"])

    def payment_received(self, invoice: Doc, payment: Doc, settled: Settlement) -> CloudEvent[Any]:
        data = PaymentReceivedV1(
            **_facts(invoice),
            payment_id=payment["payment_id"][:64],
            amount_cents=payment["amount_cents"],
            method=payment["method"],
            paid_on=date.fromisoformat(payment["paid_on"]),
            paid_total_cents=settled.paid_cents,
            balance_cents=settled.balance_cents,
            overpaid_cents=settled.overpaid_cents,
        )
        return self._wrap(data, invoice["_id"])

    def invoice_paid(self, invoice: Doc, at: datetime) -> CloudEvent[Any]:
        data = InvoicePaidV1(
            invoice_id=invoice["_id"],
            invoice_number=invoice["number"],
            registration_ids=invoice["registration_ids"],
            amount_paid_cents=invoice["paid_cents"],
            paid_at=at,
        )
        return self._wrap(data, invoice["_id"])

    def invoice_overdue(self, invoice: Doc, step: Remind) -> CloudEvent[Any]:
        data = InvoiceOverdueV1(
            **_facts(invoice),
            reminder=step.reminder,
            due_on=date.fromisoformat(invoice["due_on"]),
            balance_cents=max(invoice["totals"]["incl_vat_cents"] - invoice["paid_cents"], 0),
            lapses_on=step.lapses_on,
            pdf_url=self.pdf_link(invoice["number"])[0],
        )
        return self._wrap(data, invoice["_id"])

    def invoice_lapsed(self, invoice: Doc, on: date) -> CloudEvent[Any]:
        data = InvoiceLapsedV1(
            **_facts(invoice),
            lapsed_on=on,
            balance_cents=max(invoice["totals"]["incl_vat_cents"] - invoice["paid_cents"], 0),
        )
        return self._wrap(data, invoice["_id"])

    def credit_note_issued(self, note: Doc) -> CloudEvent[Any]:
        data = CreditNoteIssuedV1(
            invoice_id=note["invoice_id"],
            invoice_number=note["invoice_number"],
            registration_ids=note["registration_ids"],
            contact=Contact.model_validate(note["contact"]) if note.get("contact") else None,
            credit_note_id=note["_id"],
            credit_note_number=note["number"],
            reason=note["reason"],
            issued_on=date.fromisoformat(note["issued_on"]),
            total_incl_vat_cents=note["totals"]["incl_vat_cents"],
            refund_cents=note["refund_cents"],
            pdf_url=self.pdf_link(note["number"])[0],
        )
        return self._wrap(data, note["invoice_id"], once_for=note["number"])  # keyed by the invoice
