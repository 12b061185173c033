"""The topic catalog: every Kafka topic, who writes it, who reads which event type on it.

It is executable: local infrastructure creates the topics from it, the AsyncAPI document is
generated from it, each service subscribes to the topics it lists that service as a consumer
on (`subscriptions`), and the contract tests fail when a service is listed for an event type
its handlers do not handle, handles a type nobody produces, or is named as the producer of a
type it has no publishing path for. Keys are aggregate ids so all events of one aggregate stay
in order on one partition.
"""

from dataclasses import dataclass, field

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Route:
    """One event type on a topic and the services that consume it."""

    event_type: str
    consumers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    key: str
    retention_ms: int
    producers: tuple[str, ...]
    description: str
    routes: tuple[Route, ...] = field(default=())

    @property
    def event_types(self) -> tuple[str, ...]:
        return tuple(route.event_type for route in self.routes)

    @property
    def consumers(self) -> tuple[str, ...]:
        """Every service that consumes at least one type here, in order of first mention."""
        seen: dict[str, None] = {}
        for route in self.routes:
            seen.update(dict.fromkeys(route.consumers))
        return tuple(seen)

    @property
    def dead_letter(self) -> str:
        """Where a consumer parks a message it cannot parse or keeps failing on."""
        return f"{self.name}.dlt"


TOPICS: tuple[Topic, ...] = (
    Topic(
        name="registration.events",
        partitions=6,
        key="registration id (pool id for pool events)",
        retention_ms=90 * DAY_MS,
        producers=("registration",),
        description="State changes of registrations and shared stands, in order per aggregate.",
        routes=(
            Route("registration.submitted.v1", ("billing", "notify")),
            Route("registration.promoted.v1", ("notify",)),
            Route("registration.reserved.v1", ("billing", "notify")),
            Route("registration.confirmed.v1", ("notify",)),
            Route("registration.cancelled.v1", ("billing", "notify")),
            Route("registration.erased.v1", ("billing", "notify")),
            Route("registration.link_requested.v1", ("notify",)),
            Route("application.reviewed.v1", ("notify",)),
            Route("pool.opened.v1", ("notify",)),
            Route("pool.joined.v1", ()),
            Route("pool.closed.v1", ("billing", "notify")),
        ),
    ),
    Topic(
        name="billing.events",
        partitions=3,
        key="invoice id",
        retention_ms=400 * DAY_MS,
        producers=("billing",),
        description="Invoices issued, payments, reminders, lapses, credit notes; keyed by invoice.",
        routes=(
            Route("invoice.issued.v1", ("registration", "notify")),
            Route("payment.received.v1", ("registration", "notify")),
            Route("invoice.paid.v1", ("registration",)),
            Route("invoice.overdue.v1", ("notify",)),
            Route("invoice.lapsed.v1", ("registration", "notify")),
            Route("credit_note.issued.v1", ("registration", "notify")),
        ),
    ),
    Topic(
        name="notify.events",
        partitions=3,
        key="registration id",
        retention_ms=30 * DAY_MS,
        producers=("notify",),
        description="Messages sent and failed, for the ops dashboard; recipients masked.",
        routes=(
            Route("delivery.sent.v1", ()),
            Route("delivery.failed.v1", ()),
        ),
    ),
    Topic(
        name="ops.audit",
        partitions=1,
        key="dead-letter topic",
        retention_ms=400 * DAY_MS,
        producers=("ops",),
        description="The ops dashboard's audit trail: every dead-letter replay, who and when. "
        "Ops reads it back (no consumer group) to show what was replayed.",
        routes=(Route("deadletter.replayed.v1", ()),),
    ),
)


def topic_for(event_type: str) -> Topic:
    topic = _TOPIC_OF.get(event_type)
    if topic is None:
        raise KeyError(f"no topic carries {event_type!r}; add it to rencontres_contracts.topics")
    return topic


_TOPIC_OF: dict[str, Topic] = {}
"""Each event type's topic (the first that carries it): looked up for every event published."""
for _topic in TOPICS:
    for _event_type in _topic.event_types:
        _TOPIC_OF.setdefault(_event_type, _topic)


def consumers_of(event_type: str) -> tuple[str, ...]:
    """The services the catalog says consume `event_type`."""
    topic = topic_for(event_type)
    return next(r.consumers for r in topic.routes if r.event_type == event_type)


def producers_of(event_type: str) -> tuple[str, ...]:
    return topic_for(event_type).producers


def subscriptions(service: str) -> list[str]:
    """The topics `service` reads: those with at least one event type it consumes."""
    return [t.name for t in TOPICS if service in t.consumers]


def consumed_by(service: str) -> frozenset[str]:
    """Every event type the catalog routes to `service`."""
    return frozenset(r.event_type for t in TOPICS for r in t.routes if service in r.consumers)


def all_topic_names() -> list[str]:
    """Every topic to create, dead-letter topics included."""
    return [name for t in TOPICS for name in (t.name, t.dead_letter)]
