"""Notify figures on `/metrics`: read from the delivery log, named in `rencontres_kit.business`.

`messages{channel, outcome}`: `sent`, `failed`, `deferred` (waiting for the morning, or for a
retry after a transient failure) and `resent` (sent after an attempt that may have got through:
a second copy may have left, with the same Message-ID). Suppressed SMS (opt-out, daily cap) and
erased deliveries are not messages.

Emails a send group recorded sent are counted from the groups (`groups.py`). The log is read
by status, an equality FerretDB hands PostgreSQL: the few deliveries failed or
still open at every sample, the `sent` ones, nearly the whole log, only for a bounded share of
the time (`Figures`): FerretDB reads and parses every one of them (2.3 s for 10,000 on the
shared two-core machine, longer as the log grows), which a sample every 10 s made a fifth of a
core taken from sending.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from time import monotonic
from typing import Any

from rencontres_kit import business

from rencontres_notify.store import DeliveryStore

OUTCOMES = ("sent", "failed", "deferred", "resent")
SENT: tuple[str, ...] = ("sent",)
"""Statuses read under the share: the bulk of the log, and final (their count only grows)."""
OPEN: tuple[str, ...] = ("failed", "retrying", "pending")
"""Statuses read at every sample: few, and what ops watch change."""


def tally(deliveries: Iterable[dict[str, Any]]) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter(
        {(channel, outcome): 0 for channel in ("email", "sms") for outcome in OUTCOMES}
    )
    for delivery in deliveries:
        channel, status = delivery.get("channel", ""), delivery.get("status", "")
        if status == "sent":
            counts[(channel, "sent")] += 1
            if delivery.get("maybe_sent"):
                counts[(channel, "resent")] += 1
        elif status == "failed":
            counts[(channel, "failed")] += 1
        elif status == "retrying" or (status == "pending" and delivery.get("deferred")):
            counts[(channel, "deferred")] += 1
    return counts


class Figures:
    """Samples the figures; the `sent` deliveries are read at most `share` of the time: after
    a read that took `t` seconds, not again before `t * (1 / share - 1)` seconds (5 %: a 2.3 s
    read at most every 44 s; a small log is read at every sample). Their figures lag by that
    much; the others are fresh at every sample."""

    def __init__(
        self, store: DeliveryStore, share: float = 0.05, clock: Callable[[], float] = monotonic
    ) -> None:
        self._store, self._share, self._clock = store, share, clock
        self._sent: Counter[tuple[str, str]] | None = None
        self._next_sent_read = 0.0

    async def counts(self) -> Counter[tuple[str, str]]:
        if self._sent is None or self._clock() >= self._next_sent_read:
            started = self._clock()
            self._sent = tally(await self._store.delivery_summaries(SENT))
            took = self._clock() - started
            self._next_sent_read = self._clock() + took * (1 / self._share - 1)
        counts = tally(await self._store.delivery_summaries(OPEN))
        counts.update(self._sent)
        return counts

    async def sample(self) -> None:
        for (channel, outcome), count in (await self.counts()).items():
            business.MESSAGES.labels(channel, outcome).set(count)
