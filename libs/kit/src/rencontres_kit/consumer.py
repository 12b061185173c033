"""Idempotent consumption of contract events, with a dead-letter topic for poison.

At-least-once delivery becomes effectively-once effects here: an event id already applied is
skipped (a unique `_id` in the `processed_events` collection), a record that is not a valid
event, or whose handler keeps failing, is parked on the topic's dead-letter topic with the
reason and the original bytes, and the partition keeps flowing.
"""

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from prometheus_client import Counter, Histogram
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError
from rencontres_contracts import CloudEvent, InvalidEvent, parse_event

from rencontres_kit.handlers import Handler
from rencontres_kit.masking import mask
from rencontres_kit.observability import consuming
from rencontres_kit.outbox import Publish

log = logging.getLogger(__name__)

Outcome = Literal["applied", "duplicate", "ignored", "dead_lettered"]

CONSUMED = Counter(
    "events_consumed_total",
    "Records consumed, by event type and outcome",
    ["topic", "type", "outcome"],
)
HANDLE_SECONDS = Histogram("event_handle_seconds", "Time to apply one event", ["type"])
HANDLER_FAILURES = Counter(
    "event_handler_failures_total", "Handler attempts that raised, retried or not", ["type"]
)
DEAD_LETTERS = Counter(
    "dead_letters_total", "Records parked on a dead-letter topic, by original topic", ["topic"]
)


@dataclass(frozen=True)
class Record:
    """The parts of a Kafka record a consumer needs, whatever client read it."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = field(default=())
    key: bytes | None = None


class EventConsumer:
    """Dispatches each record to the handler registered for its event type."""

    def __init__(
        self,
        group: str,
        processed: AsyncCollection[dict[str, Any]],
        publish: Publish,
        handlers: Mapping[str, Handler],
        *,
        attempts: int = 3,
        backoff: float = 0.2,
    ) -> None:
        self._group = group
        self._processed = processed
        self._publish = publish
        self._handlers = handlers
        self._attempts = attempts
        self._backoff = backoff

    async def consume(self, record: Record) -> Outcome:
        try:
            event = parse_event(record.value, record.headers, record.key)
        except InvalidEvent as exc:
            await self._dead_letter(record, f"unparseable: {exc}")
            CONSUMED.labels(record.topic, "unknown", "dead_lettered").inc()
            return "dead_lettered"
        with consuming(
            self._group, event.type, event.id, event.correlationid, event.traceparent
        ) as span:
            outcome = await self._consume(record, event)
            span.set_attribute("rencontres.outcome", outcome)
        CONSUMED.labels(record.topic, event.type, outcome).inc()
        return outcome

    async def _consume(self, record: Record, event: CloudEvent[Any]) -> Outcome:
        handler = self._handlers.get(event.type)
        if handler is None:
            return "ignored"
        if await self._processed.find_one({"_id": event.id}, {"_id": 1}):
            return "duplicate"
        error = await self._apply(handler, event)
        if error is not None:
            await self._dead_letter(record, f"handler failed {self._attempts} times: {error}")
            return "dead_lettered"
        await self._remember(event)
        return "applied"

    async def _apply(self, handler: Handler, event: CloudEvent[Any]) -> str | None:
        """Run the handler with retries; the last error's text, or None on success."""
        error = None
        for attempt in range(1, self._attempts + 1):
            started = time.perf_counter()
            try:
                await handler(event)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                HANDLER_FAILURES.labels(event.type).inc()
                log.warning("%s attempt %d on %s failed: %s", self._group, attempt, event.id, error)
                await asyncio.sleep(self._backoff * attempt)
                continue
            HANDLE_SECONDS.labels(event.type).observe(time.perf_counter() - started)
            return None
        return error

    async def _remember(self, event: CloudEvent[Any]) -> None:
        doc = {"_id": event.id, "type": event.type, "applied_at": datetime.now(UTC)}
        try:
            await self._processed.insert_one(doc)
        except DuplicateKeyError:
            pass  # a concurrent replica applied it too; the handler's own write is idempotent

    async def _dead_letter(self, record: Record, reason: str) -> None:
        reason = mask(reason)  # a validation error quotes the input: no personal data in headers
        log.error("%s dead-letters %s[%d]@%d: %s", self._group, *_where(record), reason)
        DEAD_LETTERS.labels(record.topic).inc()
        headers = {
            "x-dead-letter-reason": reason[:1000],
            "x-consumer-group": self._group,
            "x-original-topic": record.topic,
            "x-original-partition": str(record.partition),
            "x-original-offset": str(record.offset),
        }
        if record.key is not None:  # a replay goes back to the partition its aggregate uses
            headers["x-original-key"] = record.key.decode(errors="replace")
        # Binary-mode events keep their `ce_*` headers, so a replay is the same event again.
        original = {name: value.decode(errors="replace") for name, value in record.headers}
        key = f"{record.topic}-{record.partition}-{record.offset}".encode()
        value = record.value if record.value is not None else b""
        await self._publish(f"{record.topic}.dlt", key, value, {**original, **headers})


def _where(record: Record) -> tuple[str, int, int]:
    return record.topic, record.partition, record.offset
