"""Notify's business figures, from the delivery log (pure), and how often the bulk is read."""

from typing import Any, cast

from rencontres_notify.figures import Figures, tally
from rencontres_notify.store import DeliveryStore


def test_messages_per_channel_and_outcome() -> None:
    deliveries = [
        {"channel": "email", "status": "sent"},
        {"channel": "email", "status": "sent", "maybe_sent": True},
        {"channel": "email", "status": "retrying"},
        {"channel": "sms", "status": "pending", "deferred": "quiet hours"},
        {"channel": "sms", "status": "pending"},  # due now: not deferred
        {"channel": "sms", "status": "failed"},
        {"channel": "sms", "status": "suppressed"},
    ]
    counts = tally(deliveries)
    assert counts[("email", "sent")] == 2 and counts[("email", "resent")] == 1
    assert counts[("email", "deferred")] == 1 and counts[("email", "failed")] == 0
    assert counts[("sms", "deferred")] == 1 and counts[("sms", "failed")] == 1
    assert counts[("sms", "sent")] == 0


class LogStub:
    """A delivery log in memory whose reads take `read_seconds` of the test's clock."""

    def __init__(self, clock: list[float], deliveries: list[dict[str, Any]]) -> None:
        self.clock, self.deliveries = clock, deliveries
        self.reads: list[str] = []
        self.read_seconds = {"sent": 2.0}

    async def delivery_summaries(self, statuses: tuple[str, ...]) -> list[dict[str, Any]]:
        self.reads += statuses
        self.clock[0] += sum(self.read_seconds.get(s, 0.01) for s in statuses)
        return [d for d in self.deliveries if d["status"] in statuses]


async def test_the_sent_bulk_is_read_for_a_bounded_share_of_the_time_the_rest_every_time() -> None:
    clock = [0.0]
    log = LogStub(clock, [{"channel": "email", "status": "sent"}])
    figures = Figures(cast(DeliveryStore, log), share=0.1, clock=lambda: clock[0])

    counts = await figures.counts()  # the first sample reads everything
    assert log.reads == ["sent", "failed", "retrying", "pending"]
    assert counts[("email", "sent")] == 1
    log.deliveries += [
        {"channel": "email", "status": "sent"},
        {"channel": "sms", "status": "failed"},
    ]
    clock[0] += 10  # a sample 10 s later: 2 s of reading allows the next one after 18 s
    counts = await figures.counts()
    assert log.reads[4:] == ["failed", "retrying", "pending"]
    assert counts[("email", "sent")] == 1 and counts[("sms", "failed")] == 1
    clock[0] += 10
    counts = await figures.counts()
    assert log.reads[7:] == ["sent", "failed", "retrying", "pending"]
    assert counts[("email", "sent")] == 2 and counts[("sms", "failed")] == 1
