"""How `subscribe` lays out Kafka consumers, without a broker: one subscriber for every topic by
default; with workers, one per topic with at most one consumer per partition of the catalog."""

from typing import Any

from rencontres_kit.kafka import make_broker, subscribe


def _layout(workers: int) -> list[tuple[str, tuple[str, ...], Any]]:
    broker = make_broker("127.0.0.1:1", "test")  # never started: nothing connects
    topics = ["registration.events", "billing.events", "ops.audit"]
    subscribe(broker, None, topics, "g", workers=workers)  # type: ignore[arg-type]
    return sorted(
        (type(s).__name__, tuple(t.name for t in s.topics), getattr(s, "max_workers", 1))
        for s in broker.subscribers
    )


def test_one_consumer_for_every_topic_by_default() -> None:
    assert _layout(1) == [
        ("DefaultSubscriber", ("registration.events", "billing.events", "ops.audit"), 1)
    ]


def test_workers_give_each_topic_consumers_up_to_its_partitions() -> None:
    assert _layout(6) == [
        ("ConcurrentBetweenPartitionsSubscriber", ("billing.events",), 3),
        ("ConcurrentBetweenPartitionsSubscriber", ("registration.events",), 6),
        ("DefaultSubscriber", ("ops.audit",), 1),
    ]
