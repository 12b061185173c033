"""Event handlers: what registration does with other services' events."""

from typing import Any

from rencontres_contracts import CloudEvent
from rencontres_contracts.events.billing import InvoicePaidV1
from rencontres_kit.consumer import Handler

from rencontres_registration.service import Registrations


def handlers(registrations: Registrations) -> dict[str, Handler]:
    async def on_invoice_paid(event: CloudEvent[Any]) -> None:
        data: InvoicePaidV1 = event.data
        await registrations.mark_paid(data.registration_ids)

    return {InvoicePaidV1.event_type: on_invoice_paid}
