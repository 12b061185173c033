"""EventRouter: handlers registered by the model they take, bound to their dependencies."""

import pytest
from rencontres_contracts import CloudEvent, new_event
from rencontres_contracts.events.billing import InvoicePaidV1
from rencontres_contracts.events.registration import RegistrationErasedV1
from rencontres_kit.handlers import EventRouter

from libs.kit.tests.conftest import registration_submitted


async def test_a_bound_router_calls_the_handler_of_the_type_with_its_dependencies() -> None:
    router: EventRouter[list[str]] = EventRouter("tests")

    @router.on(RegistrationErasedV1)
    async def on_erased(event: CloudEvent[RegistrationErasedV1], seen: list[str]) -> None:
        seen.append(event.data.registration_id)

    seen: list[str] = []
    handlers = router.bind(seen)
    event = registration_submitted("r-1", reference="RC-1", source="/t", who="lea")
    assert set(handlers) == {RegistrationErasedV1.event_type} == router.event_types
    assert event.type not in handlers
    erased = new_event(
        RegistrationErasedV1(registration_id="r-9", erased_at=event.time),
        source="/t",
        subject="r-9",
    )
    await handlers[RegistrationErasedV1.event_type](erased)
    assert seen == ["r-9"]


def test_one_type_cannot_have_two_handlers() -> None:
    router: EventRouter[None] = EventRouter("tests")

    @router.on(InvoicePaidV1)
    async def first(event: CloudEvent[InvoicePaidV1], _: None) -> None: ...

    with pytest.raises(ValueError, match="twice"):

        @router.on(InvoicePaidV1)
        async def second(event: CloudEvent[InvoicePaidV1], _: None) -> None: ...
