"""Events the billing service publishes on `billing.events`, keyed by invoice id.

Every one names the invoice (`invoice_id`, `invoice_number`), the registrations it covers, and
the contact to tell (`None` once the person was erased: billing keeps the invoice, not them).
"""

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from rencontres_contracts.envelope import EventData
from rencontres_contracts.events.common import Cents, Contact, Frozen, Language, examples

_INVOICE_ID = "0193a1c2-9000-7abc-8def-000000000001"
_REGISTRATION_ID = "0193a1c2-7f00-7abc-8def-0123456789ab"
_CONTACT: Any = {
    "name": "Claire Martin",
    "email": "claire.martin@example.fr",
    "phone": "+33612345678",
    "sms_consent": True,
    "language": "fr",
}
_PDF = "http://127.0.0.1:8002/invoices/FAC-2027-000042.pdf?exp=1830000000&sig=3f9a"
_FACTS: Any = {
    "invoice_id": _INVOICE_ID,
    "invoice_number": "FAC-2027-000042",
    "registration_ids": [_REGISTRATION_ID],
    "contact": _CONTACT,
}


class InvoiceFacts(EventData):
    """What every invoice event carries, so a consumer acts without asking back."""

    invoice_id: str = Field(min_length=1, max_length=64)
    invoice_number: str = Field(min_length=1, max_length=32, description="FAC-YYYY-NNNNNN")
    registration_ids: list[str] = Field(min_length=1, max_length=10)
    contact: Contact | None = Field(default=None, description="None once the person was erased")


class PaymentInstructions(Frozen):
    """How to pay by bank transfer: the schools' account and the reference to quote."""

    holder: str = Field(min_length=1, max_length=200)
    iban: str = Field(min_length=15, max_length=34)
    bic: str = Field(min_length=8, max_length=11)
    reference: str = Field(min_length=1, max_length=64, description="quote it on the transfer")


class InvoiceIssuedV1(InvoiceFacts):
    """An invoice was issued (numbered, immutable); notify sends it with its PDF link."""

    event_type: ClassVar[str] = "invoice.issued.v1"
    topic: ClassVar[str] = "billing.events"
    model_config = examples(
        {
            **_FACTS,
            "buyer_name": "Céramiques du Gard SAS",
            "language": "fr",
            "issued_on": "2027-10-02",
            "due_on": "2027-11-01",
            "total_excl_vat_cents": 60000,
            "total_vat_cents": 12000,
            "total_incl_vat_cents": 72000,
            "pdf_url": _PDF,
            "pdf_url_expires_at": "2028-01-01T00:00:00Z",
            "payment": {
                "holder": "Rencontres Entreprises IMT Mines Alès — ENSCM",
                "iban": "FR7630001007941234567890185",
                "bic": "BDFEFRPPCCT",
                "reference": "FAC-2027-000042",
            },
        }
    )

    buyer_name: str = Field(min_length=1, max_length=200)
    language: Language = "fr"
    issued_on: date
    due_on: date
    total_excl_vat_cents: Cents
    total_vat_cents: Cents
    total_incl_vat_cents: Cents
    pdf_url: str = Field(max_length=1000, description="signed link to the PDF; expires")
    pdf_url_expires_at: datetime
    payment: PaymentInstructions | None = None


class PaymentReceivedV1(InvoiceFacts):
    """A payment was recorded against an invoice (a transfer by staff, or a card payment)."""

    event_type: ClassVar[str] = "payment.received.v1"
    topic: ClassVar[str] = "billing.events"
    model_config = examples(
        {
            **_FACTS,
            "payment_id": "0193a1c2-9100-7abc-8def-000000000007",
            "amount_cents": 72000,
            "method": "transfer",
            "paid_on": "2027-10-10",
            "paid_total_cents": 72000,
            "balance_cents": 0,
            "overpaid_cents": 0,
        }
    )

    payment_id: str = Field(min_length=1, max_length=64)
    amount_cents: Cents
    method: Literal["transfer", "card"]
    paid_on: date
    paid_total_cents: Cents = Field(description="all payments of the invoice so far")
    balance_cents: Cents = Field(description="what is still owed")
    overpaid_cents: Cents = Field(default=0, description="paid beyond the total; staff refund it")


class InvoicePaidV1(EventData):
    """An invoice is fully paid; registration confirms the registrations it covers."""

    event_type: ClassVar[str] = "invoice.paid.v1"
    topic: ClassVar[str] = "billing.events"
    model_config = examples(
        {
            "invoice_id": _INVOICE_ID,
            "invoice_number": "F-2027-000042",
            "registration_ids": [_REGISTRATION_ID],
            "amount_paid_cents": 72000,
            "paid_at": "2027-10-10T14:00:00Z",
        }
    )

    invoice_id: str = Field(min_length=1, max_length=64)
    invoice_number: str = Field(min_length=1, max_length=32)
    registration_ids: list[str] = Field(min_length=1, max_length=10)
    amount_paid_cents: int = Field(ge=0)
    paid_at: datetime


class InvoiceOverdueV1(InvoiceFacts):
    """An invoice is unpaid past its due date: reminder 1 at the due date, 2 some days later."""

    event_type: ClassVar[str] = "invoice.overdue.v1"
    topic: ClassVar[str] = "billing.events"
    model_config = examples(
        {
            **_FACTS,
            "reminder": 1,
            "due_on": "2027-11-01",
            "balance_cents": 72000,
            "lapses_on": "2027-11-23",
            "pdf_url": _PDF,
        }
    )

    reminder: Literal[1, 2]
    due_on: date
    balance_cents: Cents
    lapses_on: date = Field(description="unpaid by then, the reservation is cancelled")
    pdf_url: str = Field(max_length=1000)


class InvoiceLapsedV1(InvoiceFacts):
    """An invoice stayed unpaid past the grace period: registration cancels the reservation
    (reason `unpaid`) and its place goes to the waiting list; a credit note follows."""

    event_type: ClassVar[str] = "invoice.lapsed.v1"
    topic: ClassVar[str] = "billing.events"
    model_config = examples({**_FACTS, "lapsed_on": "2027-11-23", "balance_cents": 72000})

    lapsed_on: date
    balance_cents: Cents


class CreditNoteIssuedV1(InvoiceFacts):
    """A credit note (AV-YYYY-NNNNNN) cancels or corrects an invoice, which is never edited."""

    event_type: ClassVar[str] = "credit_note.issued.v1"
    topic: ClassVar[str] = "billing.events"
    model_config = examples(
        {
            **_FACTS,
            "credit_note_id": "0193a1c2-9200-7abc-8def-000000000003",
            "credit_note_number": "AV-2027-000003",
            "reason": "cancelled",
            "issued_on": "2027-10-20",
            "total_incl_vat_cents": 72000,
            "refund_cents": 36000,
            "pdf_url": _PDF.replace("invoices/FAC-2027-000042", "credit-notes/AV-2027-000003"),
        }
    )

    credit_note_id: str = Field(min_length=1, max_length=64)
    credit_note_number: str = Field(min_length=1, max_length=32, description="AV-YYYY-NNNNNN")
    reason: Literal["cancelled", "lapsed", "correction"]
    issued_on: date
    total_incl_vat_cents: Cents = Field(description="the amount credited, incl. VAT")
    refund_cents: Cents = Field(description="what the buyer gets back under the refund policy")
    pdf_url: str = Field(max_length=1000)
