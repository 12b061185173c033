"""Notify figures on `/metrics`: read from the delivery log, named in `rencontres_kit.business`.

`messages{channel, outcome}`: `sent`, `failed`, `deferred` (waiting for the morning, or for a
retry after a transient failure) and `resent` (sent after an attempt that may have got through:
a second copy may have left, with the same Message-ID). Suppressed SMS (opt-out, daily cap) and
erased deliveries are not messages.
"""

from collections import Counter
from collections.abc import Iterable
from typing import Any

from rencontres_kit import business

from rencontres_notify.store import DeliveryStore

OUTCOMES = ("sent", "failed", "deferred", "resent")


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


async def sample(store: DeliveryStore) -> None:
    for (channel, outcome), count in tally(await store.delivery_summaries()).items():
        business.MESSAGES.labels(channel, outcome).set(count)
