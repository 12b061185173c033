"""When to try a failed send again, and whether to: pure rules, no I/O.

A failure is *transient* when trying later may work (SMTP 4xx, a timeout, a refused or dropped
connection, a provider's 5xx or 429) and *permanent* otherwise (SMTP 5xx, a number the provider
refuses). Transient failures are retried on an exponential schedule with full jitter until a
retry window (hours) has passed; permanent ones, and transient ones past the window, end the
delivery as `failed` and go to the dead-letter topic with the reason.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Kind = Literal["transient", "permanent"]


class SendError(Exception):
    """What a sender raises: the reason, already classified."""

    def __init__(self, kind: Kind, reason: str, *, maybe_delivered: bool = False) -> None:
        super().__init__(reason)
        self.kind: Kind = kind
        self.reason = reason[:500]
        self.maybe_delivered = maybe_delivered
        """No clear answer (a timeout, a dropped connection): the server may have taken the
        message, so the next attempt may be a second copy."""


def transient(reason: str, *, maybe_delivered: bool = False) -> SendError:
    return SendError("transient", reason, maybe_delivered=maybe_delivered)


def permanent(reason: str) -> SendError:
    return SendError("permanent", reason)


def smtp_kind(code: int) -> Kind:
    """RFC 5321: 4yz is a transient negative reply, 5yz a permanent one."""
    return "transient" if 400 <= code < 500 or code < 0 else "permanent"


def http_kind(status: int) -> Kind:
    """A provider's 5xx, 429 (rate limited) and 408 are worth retrying; other 4xx are not."""
    return "transient" if status >= 500 or status in (408, 425, 429) else "permanent"


@dataclass(frozen=True)
class Backoff:
    """`base * 2**(attempt-1)`, capped at `cap`, times a random factor in [0.5, 1] (jitter keeps
    many deliveries failed by one outage from coming back in one burst), within `window` from
    the delivery's creation."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(minutes=30)
    window: timedelta = timedelta(hours=24)

    def delay(self, attempt: int, rng: random.Random | None = None) -> timedelta:
        raw = min(self.cap, self.base * (2 ** max(0, attempt - 1)))
        factor = 0.5 + 0.5 * (rng or random).random()
        return raw * factor

    def next_attempt(
        self, attempt: int, created_at: datetime, now: datetime, rng: random.Random | None = None
    ) -> datetime | None:
        """When attempt `attempt + 1` should run, or None when the window is spent."""
        at = now + self.delay(attempt, rng)
        return at if at <= created_at + self.window else None
