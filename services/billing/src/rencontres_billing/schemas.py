"""The HTTP side's request and response models (not stored documents, not contract events)."""

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Doc = dict[str, Any]
_TEXT = r"^[^\x00-\x1f\x7f]*$"
"""No control characters (a NUL reaches PostgreSQL through FerretDB and fails)."""


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_cents: int = Field(gt=0, le=100_000_000)
    paid_on: date
    reference: str = Field(min_length=1, max_length=140, pattern=_TEXT)


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_cents: int = Field(gt=0, le=100_000_000)
    refunded_on: date
    reference: str = Field(min_length=1, max_length=140, pattern=_TEXT)


class CardPaymentIn(BaseModel):
    """What the card provider posts (its event id makes the webhook idempotent)."""

    id: str = Field(min_length=1, max_length=58, pattern=r"^[A-Za-z0-9_.:-]+$")
    type: Literal["payment.succeeded"]
    invoice_number: str = Field(pattern=r"^FAC-[0-9]{4}-[0-9]{6}$")
    amount_cents: int = Field(gt=0, le=100_000_000)
    paid_on: date


class InvoiceOut(BaseModel):
    number: str
    registration_id: str
    registration_ids: list[str]
    status: str
    issued_on: date
    due_on: date
    total_excl_vat_cents: int
    total_vat_cents: int
    total_incl_vat_cents: int
    paid_cents: int
    balance_cents: int
    overpaid_cents: int
    reminders_sent: int
    buyer: Doc | None
    contact: Doc | None
    lines: list[Doc]
    vat: list[Doc]
    payments: list[Doc]
    credit_note_number: str | None = None
    pdf_url: str
    html_url: str

    @classmethod
    def of(cls, doc: Doc, credit_note_number: str | None = None) -> "InvoiceOut":
        t = doc["totals"]
        return cls(
            number=doc["number"],
            registration_id=doc["registration_ids"][0],
            registration_ids=doc["registration_ids"],
            status=doc["status"],
            issued_on=doc["issued_on"],
            due_on=doc["due_on"],
            total_excl_vat_cents=t["excl_vat_cents"],
            total_vat_cents=t["incl_vat_cents"] - t["excl_vat_cents"],
            total_incl_vat_cents=t["incl_vat_cents"],
            paid_cents=doc["paid_cents"],
            balance_cents=max(t["incl_vat_cents"] - doc["paid_cents"], 0),
            overpaid_cents=doc["overpaid_cents"],
            reminders_sent=doc["reminders_sent"],
            buyer=doc.get("buyer"),
            contact=doc.get("contact"),
            lines=doc["lines"],
            vat=t["vat"],
            payments=[{k: v for k, v in p.items() if k != "recorded_at"} for p in doc["payments"]],
            credit_note_number=credit_note_number,
            pdf_url=f"/api/staff/invoices/{doc['number']}.pdf",
            html_url=f"/api/staff/invoices/{doc['number']}.html",
        )


class CreditNoteOut(BaseModel):
    number: str
    invoice_number: str
    registration_ids: list[str]
    reason: str
    issued_on: date
    total_excl_vat_cents: int
    total_incl_vat_cents: int
    refund_cents: int
    refunded_cents: int
    pdf_url: str

    @classmethod
    def of(cls, doc: Doc) -> "CreditNoteOut":
        return cls(
            number=doc["number"],
            invoice_number=doc["invoice_number"],
            registration_ids=doc["registration_ids"],
            reason=doc["reason"],
            issued_on=doc["issued_on"],
            total_excl_vat_cents=doc["totals"]["excl_vat_cents"],
            total_incl_vat_cents=doc["totals"]["incl_vat_cents"],
            refund_cents=doc["refund_cents"],
            refunded_cents=doc["refunded_cents"],
            pdf_url=f"/api/staff/credit-notes/{doc['number']}.pdf",
        )
