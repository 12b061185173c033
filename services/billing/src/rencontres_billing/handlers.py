"""Event handlers: a contract event in, one call to the domain and the store."""

from typing import Any

from rencontres_contracts import CloudEvent
from rencontres_contracts.events.registration import (
    RegistrationReservedV1,
    RegistrationSubmittedV1,
)
from rencontres_kit.consumer import Handler

from rencontres_billing.totals import totals
from rencontres_billing.store import InvoiceStore


def handlers(store: InvoiceStore) -> dict[str, Handler]:
    async def on_submitted(event: CloudEvent[Any]) -> None:
        """Only a registration that holds a paid place is invoiced; waiting costs nothing."""
        data: RegistrationSubmittedV1 = event.data
        if data.status == "reserved" and data.lines:
            await store.draft(event.id, data, totals(data.lines))

    async def on_reserved(event: CloudEvent[Any]) -> None:
        data: RegistrationReservedV1 = event.data
        if data.lines:
            await store.draft(event.id, data, totals(data.lines))

    return {
        RegistrationSubmittedV1.event_type: on_submitted,
        RegistrationReservedV1.event_type: on_reserved,
    }
