"""Event handlers registered by the contract model they take, so the pairing is typed.

A service declares one module-level router and decorates plain async functions with the model
they handle; each receives the typed event and the service's dependencies:

    router: EventRouter[Registrations] = EventRouter("registration")

    @router.on(InvoicePaidV1)
    async def on_invoice_paid(event: CloudEvent[InvoicePaidV1], app: Registrations) -> None:
        await app.mark_paid(event.data.registration_ids)

The composition root binds the router to those dependencies (`router.bind(registrations)`) and
hands the result to the `EventConsumer`. The router also says which types it handles, which
the contract tests compare with the topic catalog.

A type whose effects are much cheaper in bulk may also have a *batch* handler, which receives
consecutive events of that type at once (in their order), when the consumer reads in batches:

    @router.on_batch(RegistrationSubmittedV1)
    async def on_submitted_batch(
        events: Sequence[CloudEvent[RegistrationSubmittedV1]], billing: Billing
    ) -> None: ...

It must have the same effects as the one-at-a-time handler applied to each event in turn, and
be as idempotent: when it raises, the consumer applies the batch's events again one by one with
that handler (so one bad event is dead-lettered alone), and `router.bind_batches(deps)` refuses
a batch handler without one.

`on_batch(Model, idempotent=True)` says more: the handler's own writes make a repeated event a
no-op (it inserts under a unique key derived from the event, and a repeat finds it there), so
the consumer neither looks the batch's ids of that type up in `processed_events` nor records
them. On FerretDB that lookup (`_id $in [...]`) is filtered in Go over the whole collection:
0.6 s for 500 ids among 20,000 processed events, growing with every event ever applied.
"""

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

from rencontres_contracts import CloudEvent, EventData

Deps = TypeVar("Deps")
E = TypeVar("E", bound=EventData)

Handler = Callable[[CloudEvent[Any]], Awaitable[None]]
"""What the consumer calls: a parsed event in, its effects done (or an exception)."""
BatchHandler = Callable[[Sequence[CloudEvent[Any]]], Awaitable[None]]
"""What the consumer calls with consecutive events of one type: all their effects done."""


class EventRouter(Generic[Deps]):
    def __init__(self, service: str) -> None:
        self.service = service
        self._routes: dict[str, Callable[[CloudEvent[Any], Deps], Awaitable[None]]] = {}
        self._batches: dict[str, Callable[[Sequence[CloudEvent[Any]], Deps], Awaitable[None]]] = {}
        self._idempotent: set[str] = set()

    def on(
        self, model: type[E]
    ) -> Callable[
        [Callable[[CloudEvent[E], Deps], Awaitable[None]]],
        Callable[[CloudEvent[E], Deps], Awaitable[None]],
    ]:
        """Register the decorated function as the handler of `model`'s event type."""

        def register(
            handler: Callable[[CloudEvent[E], Deps], Awaitable[None]],
        ) -> Callable[[CloudEvent[E], Deps], Awaitable[None]]:
            if model.event_type in self._routes:
                raise ValueError(f"{self.service} handles {model.event_type} twice")
            self._routes[model.event_type] = handler
            return handler

        return register

    def on_batch(
        self, model: type[E], *, idempotent: bool = False
    ) -> Callable[
        [Callable[[Sequence[CloudEvent[E]], Deps], Awaitable[None]]],
        Callable[[Sequence[CloudEvent[E]], Deps], Awaitable[None]],
    ]:
        """Register the decorated function as the batch handler of `model`'s event type."""

        def register(
            handler: Callable[[Sequence[CloudEvent[E]], Deps], Awaitable[None]],
        ) -> Callable[[Sequence[CloudEvent[E]], Deps], Awaitable[None]]:
            if model.event_type in self._batches:
                raise ValueError(f"{self.service} batches {model.event_type} twice")
            self._batches[model.event_type] = handler
            if idempotent:
                self._idempotent.add(model.event_type)
            return handler

        return register

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._routes)

    @property
    def idempotent_batch_types(self) -> frozenset[str]:
        """Types whose batch handler dedupes by itself (`on_batch(..., idempotent=True)`)."""
        return frozenset(self._idempotent)

    def bind(self, deps: Deps) -> Mapping[str, Handler]:
        """The handlers with their dependencies, keyed by event type, for the consumer."""
        return _Bound(self._routes, deps)

    def bind_batches(self, deps: Deps) -> Mapping[str, BatchHandler]:
        """The batch handlers with their dependencies, keyed by event type."""
        if alone := set(self._batches) - set(self._routes):
            raise ValueError(f"{self.service} batches {sorted(alone)} without a handler")

        def bound(
            route: Callable[[Sequence[CloudEvent[Any]], Deps], Awaitable[None]],
        ) -> BatchHandler:
            async def handle(events: Sequence[CloudEvent[Any]]) -> None:
                await route(events, deps)

            return handle

        return {event_type: bound(route) for event_type, route in self._batches.items()}


class _Bound(Mapping[str, Handler], Generic[Deps]):
    def __init__(
        self, routes: Mapping[str, Callable[[CloudEvent[Any], Deps], Awaitable[None]]], deps: Deps
    ) -> None:
        self._routes, self._deps = routes, deps

    def __getitem__(self, event_type: str) -> Handler:
        route = self._routes[event_type]

        async def handle(event: CloudEvent[Any]) -> None:
            await route(event, self._deps)

        return handle

    def __iter__(self) -> Iterator[str]:
        return iter(self._routes)

    def __len__(self) -> int:
        return len(self._routes)
