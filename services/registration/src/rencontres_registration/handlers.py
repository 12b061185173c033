"""Event handlers: what registration does with other services' events."""

from rencontres_contracts import CloudEvent
from rencontres_contracts.events.billing import (
    CreditNoteIssuedV1,
    InvoiceIssuedV1,
    InvoiceLapsedV1,
    InvoicePaidV1,
    PaymentReceivedV1,
)
from rencontres_kit.handlers import EventRouter

from rencontres_registration.invoices import Invoices

router: EventRouter[Invoices] = EventRouter("registration")


@router.on(InvoiceIssuedV1)
async def on_invoice_issued(event: CloudEvent[InvoiceIssuedV1], invoices: Invoices) -> None:
    await invoices.issued(event.data)


@router.on(PaymentReceivedV1)
async def on_payment_received(event: CloudEvent[PaymentReceivedV1], invoices: Invoices) -> None:
    await invoices.payment_received(event.data)


@router.on(InvoicePaidV1)
async def on_invoice_paid(event: CloudEvent[InvoicePaidV1], invoices: Invoices) -> None:
    await invoices.paid(event.data)


@router.on(InvoiceLapsedV1)
async def on_invoice_lapsed(event: CloudEvent[InvoiceLapsedV1], invoices: Invoices) -> None:
    await invoices.lapsed(event.data)


@router.on(CreditNoteIssuedV1)
async def on_credit_note(event: CloudEvent[CreditNoteIssuedV1], invoices: Invoices) -> None:
    await invoices.credit_note_issued(event.data)
