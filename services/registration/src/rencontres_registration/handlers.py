"""Event handlers: what registration does with other services' events."""

from rencontres_contracts import CloudEvent
from rencontres_contracts.events.billing import InvoicePaidV1
from rencontres_kit.handlers import EventRouter

from rencontres_registration.service import Registrations

router: EventRouter[Registrations] = EventRouter("registration")


@router.on(InvoicePaidV1)
async def on_invoice_paid(event: CloudEvent[InvoicePaidV1], registrations: Registrations) -> None:
    await registrations.mark_paid(event.data.registration_ids)
