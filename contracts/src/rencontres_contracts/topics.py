"""The topic catalog: every Kafka topic, who writes it, who reads it, and how it is keyed.

Local infrastructure creates topics from this list; the AsyncAPI document is generated from it.
Keys are aggregate ids so all events of one aggregate stay in order on one partition.
"""

from dataclasses import dataclass, field

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    key: str
    retention_ms: int
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    description: str
    event_types: tuple[str, ...] = field(default=())

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
        consumers=("billing", "notify"),
        description="State changes of registrations and shared stands, in order per aggregate.",
        event_types=(
            "registration.submitted.v1",
            "registration.promoted.v1",
            "registration.reserved.v1",
            "registration.confirmed.v1",
            "registration.cancelled.v1",
            "registration.erased.v1",
            "application.reviewed.v1",
            "pool.opened.v1",
            "pool.joined.v1",
            "pool.closed.v1",
        ),
    ),
    Topic(
        name="billing.events",
        partitions=3,
        key="invoice id",
        retention_ms=400 * DAY_MS,
        producers=("billing",),
        consumers=("registration", "notify"),
        description="Invoices issued and paid, credit notes; keyed by invoice.",
        event_types=("invoice.paid.v1",),
    ),
    Topic(
        name="ops.audit",
        partitions=1,
        key="dead-letter topic",
        retention_ms=400 * DAY_MS,
        producers=("ops",),
        consumers=(),
        description="The ops dashboard's audit trail: every dead-letter replay, who and when. "
        "Ops reads it back (no consumer group) to show what was replayed.",
        event_types=("deadletter.replayed.v1",),
    ),
)


def topic_for(event_type: str) -> Topic:
    for topic in TOPICS:
        if event_type in topic.event_types:
            return topic
    raise KeyError(f"no topic carries {event_type!r}; add it to rencontres_contracts.topics")


def all_topic_names() -> list[str]:
    """Every topic to create, dead-letter topics included."""
    return [name for t in TOPICS for name in (t.name, t.dead_letter)]
