"""Event handlers: a contract event in, one call to the billing service.

Registrations that hold a place also have batch handlers: a backlog of them is invoiced with
one draft insert, one numbering claim, one invoice insert and one event insert per batch
(`Billing.invoice_many`). They dedupe by themselves (`idempotent=True`): a repeated event finds
its draft, keyed by the registration, and its invoice numbered already.
"""

from collections.abc import Sequence

from rencontres_contracts import CloudEvent
from rencontres_contracts.events.pools import PoolClosedV1
from rencontres_contracts.events.registration import (
    RegistrationCancelledV1,
    RegistrationErasedV1,
    RegistrationReservedV1,
    RegistrationSubmittedV1,
)
from rencontres_kit.handlers import EventRouter

from rencontres_billing.billables import from_pool, from_registration
from rencontres_billing.service import Billing

router: EventRouter[Billing] = EventRouter("billing")


@router.on(RegistrationSubmittedV1)
async def on_submitted(event: CloudEvent[RegistrationSubmittedV1], billing: Billing) -> None:
    """Only a registration that holds a place is invoiced; waiting costs nothing."""
    if event.data.status == "reserved":
        await billing.invoice(from_registration(event.data))


@router.on_batch(RegistrationSubmittedV1, idempotent=True)
async def on_submitted_batch(
    events: Sequence[CloudEvent[RegistrationSubmittedV1]], billing: Billing
) -> None:
    reserved = [e for e in events if e.data.status == "reserved"]
    await billing.invoice_many([(from_registration(e.data), e.traceparent) for e in reserved])


@router.on(RegistrationReservedV1)
async def on_reserved(event: CloudEvent[RegistrationReservedV1], billing: Billing) -> None:
    await billing.invoice(from_registration(event.data))


@router.on_batch(RegistrationReservedV1, idempotent=True)
async def on_reserved_batch(
    events: Sequence[CloudEvent[RegistrationReservedV1]], billing: Billing
) -> None:
    await billing.invoice_many([(from_registration(e.data), e.traceparent) for e in events])


@router.on(PoolClosedV1)
async def on_pool_closed(event: CloudEvent[PoolClosedV1], billing: Billing) -> None:
    """Each member of a closed shared stand owes its share; an unfilled pool owes nothing."""
    for billable in from_pool(event.data):
        await billing.invoice(billable)


@router.on(RegistrationCancelledV1)
async def on_cancelled(event: CloudEvent[RegistrationCancelledV1], billing: Billing) -> None:
    await billing.cancel(event.data.registration_id)


@router.on(RegistrationErasedV1)
async def on_erased(event: CloudEvent[RegistrationErasedV1], billing: Billing) -> None:
    await billing.erase(event.data.registration_id)
