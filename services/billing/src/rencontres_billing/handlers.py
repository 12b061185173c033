"""Event handlers: a contract event in, one call to the domain and the store."""

from rencontres_contracts import CloudEvent
from rencontres_contracts.events.registration import (
    RegistrationReservedV1,
    RegistrationSubmittedV1,
)
from rencontres_kit.handlers import EventRouter

from rencontres_billing.domain import totals
from rencontres_billing.store import InvoiceStore

router: EventRouter[InvoiceStore] = EventRouter("billing")


@router.on(RegistrationSubmittedV1)
async def on_submitted(event: CloudEvent[RegistrationSubmittedV1], store: InvoiceStore) -> None:
    """Only a registration that holds a paid place is invoiced; waiting costs nothing."""
    if event.data.status == "reserved" and event.data.lines:
        await store.draft(event.id, event.data, totals(event.data.lines))


@router.on(RegistrationReservedV1)
async def on_reserved(event: CloudEvent[RegistrationReservedV1], store: InvoiceStore) -> None:
    if event.data.lines:
        await store.draft(event.id, event.data, totals(event.data.lines))
