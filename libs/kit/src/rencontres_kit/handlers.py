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
"""

from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from rencontres_contracts import CloudEvent, EventData

Deps = TypeVar("Deps")
E = TypeVar("E", bound=EventData)

Handler = Callable[[CloudEvent[Any]], Awaitable[None]]
"""What the consumer calls: a parsed event in, its effects done (or an exception)."""


class EventRouter(Generic[Deps]):
    def __init__(self, service: str) -> None:
        self.service = service
        self._routes: dict[str, Callable[[CloudEvent[Any], Deps], Awaitable[None]]] = {}

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

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._routes)

    def bind(self, deps: Deps) -> Mapping[str, Handler]:
        """The handlers with their dependencies, keyed by event type, for the consumer."""
        return _Bound(self._routes, deps)


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
