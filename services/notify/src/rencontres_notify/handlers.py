"""Event handlers, registered by the contract model they take: each one hands its event to the
notifier, which finds its messages in the message table (`messages.py`) and records them; an
erasure blanks the delivery log. Pool joined carries no contact and is not routed here. With the
consumer reading in batches, consecutive events of one type are recorded together (one insert
for all their deliveries). Those batch handlers are registered `idempotent`: a delivery's `_id`
derives from its event's id (`deliveries.delivery_id`), so a redelivered event finds its
deliveries recorded and records and sends nothing; the consumer then neither looks the batch's
event ids up in `processed_events` nor records them (on FerretDB, a lookup that reads the whole
collection)."""

from collections.abc import Sequence
from typing import Any

from rencontres_contracts import CloudEvent
from rencontres_contracts.events.billing import (
    CreditNoteIssuedV1,
    InvoiceIssuedV1,
    InvoiceLapsedV1,
    InvoiceOverdueV1,
    PaymentReceivedV1,
)
from rencontres_contracts.events.pools import PoolClosedV1, PoolOpenedV1
from rencontres_contracts.events.registration import (
    ApplicationReviewedV1,
    RegistrationCancelledV1,
    RegistrationConfirmedV1,
    RegistrationErasedV1,
    RegistrationLinkRequestedV1,
    RegistrationPromotedV1,
    RegistrationReservedV1,
    RegistrationSubmittedV1,
)
from rencontres_kit.handlers import EventRouter

from rencontres_notify.notifier import Notifier

router: EventRouter[Notifier] = EventRouter("notify")


async def _record(event: CloudEvent[Any], notifier: Notifier) -> None:
    await notifier.handle(event)


async def _record_many(events: Sequence[CloudEvent[Any]], notifier: Notifier) -> None:
    await notifier.handle_many(events)


for _model in (
    RegistrationSubmittedV1,
    RegistrationPromotedV1,
    RegistrationReservedV1,
    RegistrationConfirmedV1,
    RegistrationCancelledV1,
    RegistrationLinkRequestedV1,
    ApplicationReviewedV1,
    PoolOpenedV1,
    PoolClosedV1,
    InvoiceIssuedV1,
    PaymentReceivedV1,
    InvoiceOverdueV1,
    InvoiceLapsedV1,
    CreditNoteIssuedV1,
):
    router.on(_model)(_record)
    router.on_batch(_model, idempotent=True)(_record_many)


@router.on(RegistrationErasedV1)
async def on_erased(event: CloudEvent[RegistrationErasedV1], notifier: Notifier) -> None:
    await notifier.erase(event.data.registration_id)
