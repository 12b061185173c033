"""HTTP faces: the staff API, the card webhook, and the signed PDF links.

Each route parses, makes one call, and answers; refusals carry a code that `app.py` maps to a
status. Amounts are integer cents; dates ISO 8601.
"""

import asyncio
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response

from rencontres_billing import export, rendering
from rencontres_billing.deps import BillingDep, StaffDep
from rencontres_billing.errors import BillingRefused
from rencontres_billing.schemas import (
    CardPaymentIn,
    CreditNoteOut,
    InvoiceOut,
    PaymentIn,
    RefundIn,
)
from rencontres_billing.signing import check_link, check_webhook

staff = APIRouter(prefix="/api/staff", tags=["staff"])
public = APIRouter(tags=["public"])
Status = Literal["issued", "paid", "cancelled", "lapsed"]
InvoiceNumber = Annotated[
    str, Path(pattern=r"^FAC-[0-9]{4}-[0-9]{6}$", examples=["FAC-2026-000042"])
]
CreditNoteNumber = Annotated[
    str, Path(pattern=r"^AV-[0-9]{4}-[0-9]{6}$", examples=["AV-2026-000007"])
]
KEY = r"^[A-Za-z0-9_.:-]{1,54}$"
ID = r"^[A-Za-z0-9_-]+$"
AnyNumber = Annotated[str, Path(pattern=r"^(FAC|AV)-[0-9]{4}-[0-9]{6}$")]


async def _pdf(billing: Any, doc: dict[str, Any]) -> Response:
    s = billing.settings
    body = await asyncio.to_thread(rendering.pdf, doc, s.seller, s.late_penalty_rate)
    headers = {"Content-Disposition": f'inline; filename="{doc["number"]}.pdf"'}
    return Response(body, media_type="application/pdf", headers=headers)


@staff.get("/invoices", response_model=list[InvoiceOut])
async def list_invoices(
    _: StaffDep,
    billing: BillingDep,
    registration_id: Annotated[
        str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    ] = None,
    status: Status | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> list[InvoiceOut]:
    docs = await billing.list_invoices(registration_id, status, year)
    return [InvoiceOut.of(d) for d in docs]


@staff.get("/invoices/{number}.pdf", response_class=Response)
async def invoice_pdf(number: InvoiceNumber, _: StaffDep, billing: BillingDep) -> Response:
    return await _pdf(billing, await billing.invoice_by_number(number))


@staff.get("/invoices/{number}.html", response_class=Response)
async def invoice_html(number: InvoiceNumber, _: StaffDep, billing: BillingDep) -> Response:
    doc = await billing.invoice_by_number(number)
    s = billing.settings
    return Response(rendering.html(doc, s.seller, s.late_penalty_rate), media_type="text/html")


@staff.get("/invoices/{number}", response_model=InvoiceOut)
async def get_invoice(number: InvoiceNumber, _: StaffDep, billing: BillingDep) -> InvoiceOut:
    return InvoiceOut.of(await billing.invoice_by_number(number))


@staff.post("/invoices/{number}/payments", response_model=InvoiceOut, status_code=201)
async def record_payment(
    number: InvoiceNumber,
    body: PaymentIn,
    _: StaffDep,
    billing: BillingDep,
    key: Annotated[str | None, Header(alias="Idempotency-Key", pattern=KEY)] = None,
) -> InvoiceOut:
    """A bank transfer, as read on the statement; a repeat with the same `Idempotency-Key`,
    or without one the same reference, amount and date, records it once."""
    payment_id = f"transfer:{key}" if key else None
    doc = await billing.record_payment(
        number, body.amount_cents, body.paid_on, body.reference, "transfer", payment_id
    )
    return InvoiceOut.of(doc)


@staff.get("/credit-notes", response_model=list[CreditNoteOut])
async def list_credit_notes(
    _: StaffDep,
    billing: BillingDep,
    registration_id: Annotated[str | None, Query(max_length=64, pattern=ID)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> list[CreditNoteOut]:
    return [CreditNoteOut.of(d) for d in await billing.list_credit_notes(registration_id, year)]


@staff.get("/credit-notes/{number}.html", response_class=Response)
async def credit_note_html(number: CreditNoteNumber, _: StaffDep, billing: BillingDep) -> Response:
    doc = await billing.credit_note_by_number(number)
    return Response(rendering.html(doc, billing.settings.seller), media_type="text/html")


@staff.get("/credit-notes/{number}.pdf", response_class=Response)
async def credit_note_pdf(number: CreditNoteNumber, _: StaffDep, billing: BillingDep) -> Response:
    return await _pdf(billing, await billing.credit_note_by_number(number))


@staff.get("/credit-notes/{number}", response_model=CreditNoteOut)
async def get_credit_note(
    number: CreditNoteNumber, _: StaffDep, billing: BillingDep
) -> CreditNoteOut:
    return CreditNoteOut.of(await billing.credit_note_by_number(number))


@staff.post("/credit-notes/{number}/refunds", response_model=CreditNoteOut, status_code=201)
async def record_refund(
    number: CreditNoteNumber, body: RefundIn, _: StaffDep, billing: BillingDep
) -> CreditNoteOut:
    doc = await billing.record_refund(number, body.amount_cents, body.refunded_on, body.reference)
    return CreditNoteOut.of(doc)


@staff.post("/reminders/run")
async def run_reminders(_: StaffDep, billing: BillingDep) -> dict[str, int]:
    """Run today's reminders and lapses now (the scheduler does it daily)."""
    return await billing.run_reminders()


@staff.get("/export.csv", response_class=Response)
async def export_csv(
    _: StaffDep,
    billing: BillingDep,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
) -> Response:
    """Invoices, credit notes and payments of a period, one row per document."""
    invoices, notes = await billing.documents_for_export()
    body = export.to_csv(export.rows(invoices, notes, start, end))
    name = f"billing-{start.isoformat()}-{end.isoformat()}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@public.post("/api/webhooks/payments", status_code=200)
async def card_webhook(
    request: Request,
    billing: BillingDep,
    timestamp: Annotated[str, Header(alias="Payment-Timestamp", max_length=20)],
    signature: Annotated[str, Header(alias="Payment-Signature", max_length=128)],
) -> dict[str, str]:
    """The card provider's notice: signed, fresh, applied once per provider event id."""
    raw = await request.body()
    s = billing.settings
    check_webhook(
        s.webhook_secret, timestamp, signature, raw, billing.clock(), s.webhook_tolerance_seconds
    )
    body = CardPaymentIn.model_validate_json(raw)
    try:
        await billing.record_payment(
            body.invoice_number, body.amount_cents, body.paid_on, body.id, "card", f"card:{body.id}"
        )
    except BillingRefused as refused:  # the number comes in the body here, not in the path
        field = "invoice_number" if refused.field == "number" else refused.field
        raise BillingRefused(refused.code, field) from None
    return {"status": "applied"}


@public.get("/invoices/{number}.pdf", response_class=Response)
async def signed_pdf(
    number: AnyNumber,
    billing: BillingDep,
    expires: Annotated[int, Query()],
    signature: Annotated[str, Query(max_length=128)],
) -> Response:
    """The PDF behind an emailed link: signed for this number, until it expires."""
    check_link(billing.settings.link_secret, number, expires, signature, billing.clock())
    return await _pdf(billing, await billing.document_by_number(number))
