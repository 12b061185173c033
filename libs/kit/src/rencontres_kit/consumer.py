"""Idempotent consumption of contract events, with a dead-letter topic for poison.

At-least-once delivery becomes effectively-once effects here: an event id already applied is
skipped (a unique `_id` in the `processed_events` collection), a record that is not a valid
event, or whose handler keeps failing, is parked on the topic's dead-letter topic with the
reason and the original bytes, and the partition keeps flowing.

Records come one at a time (`consume`) or as what one poll returned (`consume_batch`): the
batch is checked against `processed_events` with one query, runs of consecutive events of a type
that has a batch handler are applied together, and the applied ids are remembered with one
write. Every guarantee of the single path holds for each record of a batch (see
`consume_batch`).
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from prometheus_client import Counter, Histogram
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError
from rencontres_contracts import CloudEvent, InvalidEvent, parse_event

from rencontres_kit.handlers import BatchHandler, Handler
from rencontres_kit.masking import mask
from rencontres_kit.mongo import insert_new
from rencontres_kit.observability import consuming, consuming_batch
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
BATCH_SECONDS = Histogram(
    "event_batch_handle_seconds", "Time to apply one batch of events of one type", ["type"]
)
BATCH_SIZE = Histogram(
    "event_batch_size",
    "Events handed to one batch handler call",
    ["type"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
BATCH_FAILURES = Counter(
    "event_batch_failures_total",
    "Batch handler calls that raised (their events then applied one by one)",
    ["type"],
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
        batch_handlers: Mapping[str, BatchHandler] | None = None,
        idempotent_batch_types: frozenset[str] = frozenset(),
    ) -> None:
        self._group = group
        self._processed = processed
        self._publish = publish
        self._handlers = handlers
        self._batch_handlers = batch_handlers or {}
        self._self_deduped = idempotent_batch_types & set(self._batch_handlers)
        """Types whose ids a batch neither looks up nor records (see `EventRouter.on_batch`)."""
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

    async def consume_batch(self, records: Sequence[Record]) -> list[Outcome]:
        """Apply what one poll returned; each record's outcome, in the records' order.

        The guarantees of `consume`, per record: poison is dead-lettered (reason and original
        bytes) and the rest flows; an id already applied, or seen earlier in the batch, is a
        duplicate; events of one partition take effect in their order (a run of consecutive
        events of one type goes to the batch handler together; runs from different partitions
        may be combined, since order is only kept per key, hence per partition); when a batch
        handler raises, its events are applied one by one, so only a failing one is
        dead-lettered. The applied ids are remembered before this returns, even when it raises
        (a dead letter that could not be published): the caller commits offsets only after it
        returns, so a crash anywhere means the batch is read again and finds its effects done.
        """
        outcomes: list[Outcome] = ["ignored"] * len(records)
        parsed: list[tuple[int, Record, CloudEvent[Any]]] = []
        for i, record in enumerate(records):
            try:
                event = parse_event(record.value, record.headers, record.key)
            except InvalidEvent as exc:
                await self._dead_letter(record, f"unparseable: {exc}")
                outcomes[i] = "dead_lettered"
                CONSUMED.labels(record.topic, "unknown", "dead_lettered").inc()
                continue
            if event.type in self._handlers:
                parsed.append((i, record, event))
            else:
                CONSUMED.labels(record.topic, event.type, "ignored").inc()
        seen = await self._applied_among(
            [event.id for _, _, event in parsed if event.type not in self._self_deduped]
        )
        runs: dict[tuple[str, int], deque[list[tuple[int, Record, CloudEvent[Any]]]]] = {}
        for item in parsed:
            i, record, event = item
            if event.id in seen:
                outcomes[i] = "duplicate"
                CONSUMED.labels(record.topic, event.type, "duplicate").inc()
                continue
            seen.add(event.id)
            queue = runs.setdefault((record.topic, record.partition), deque())
            if queue and _batchable(queue[-1], event, self._batch_handlers):
                queue[-1].append(item)
            else:
                queue.append([item])
        applied: list[CloudEvent[Any]] = []
        try:
            while any(runs.values()):
                # the first run of each partition that has one; those of the first's type go
                # together (later runs wait: a partition's runs keep their order)
                heads = [queue for queue in runs.values() if queue]
                event_type = heads[0][0][0][2].type
                batch = []
                for queue in heads:
                    if queue[0][0][2].type == event_type:
                        batch.extend(queue.popleft())
                for i, outcome in await self._apply_run(event_type, batch, applied):
                    outcomes[i] = outcome
        finally:
            await self._remember_many(applied)
        return outcomes

    async def _apply_run(
        self,
        event_type: str,
        batch: list[tuple[int, Record, CloudEvent[Any]]],
        applied: list[CloudEvent[Any]],
    ) -> list[tuple[int, Outcome]]:
        """Apply consecutive events of one type: together when the type has a batch handler
        (one by one if it raises), else one by one; appends the applied events to `applied`."""
        batch_handler = self._batch_handlers.get(event_type)
        events = [event for _, _, event in batch]
        if batch_handler is not None and len(batch) > 1:
            started = time.perf_counter()
            try:
                with consuming_batch(self._group, event_type, events):
                    await batch_handler(events)
            except Exception as exc:
                BATCH_FAILURES.labels(event_type).inc()
                log.warning(
                    "%s batch of %d %s failed, applying one by one: %s",
                    *(self._group, len(events), event_type, f"{type(exc).__name__}: {exc}"),
                )
            else:
                BATCH_SECONDS.labels(event_type).observe(time.perf_counter() - started)
                BATCH_SIZE.labels(event_type).observe(len(events))
                applied.extend(events)
                for _, record, event in batch:
                    CONSUMED.labels(record.topic, event.type, "applied").inc()
                return [(i, "applied") for i, _, _ in batch]
        outcomes: list[tuple[int, Outcome]] = []
        for i, record, event in batch:
            with consuming(
                self._group, event.type, event.id, event.correlationid, event.traceparent
            ):
                error = await self._apply(self._handlers[event_type], event)
            if error is None:
                applied.append(event)
                outcomes.append((i, "applied"))
            else:
                await self._dead_letter(record, f"handler failed {self._attempts} times: {error}")
                outcomes.append((i, "dead_lettered"))
            CONSUMED.labels(record.topic, event.type, outcomes[-1][1]).inc()
        return outcomes

    async def _applied_among(self, event_ids: list[str]) -> set[str]:
        """Which of these ids were applied before: one query for the whole batch."""
        if not event_ids:
            return set()
        found = self._processed.find({"_id": {"$in": event_ids}}, {"_id": 1})
        return {doc["_id"] async for doc in found}

    async def _remember_many(self, events: list[CloudEvent[Any]]) -> None:
        now = datetime.now(UTC)
        docs = [
            {"_id": e.id, "type": e.type, "applied_at": now}
            for e in events
            if e.type not in self._self_deduped
        ]
        await insert_new(self._processed, docs)  # a concurrent replica's repeats: same effects

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


def _batchable(
    run: list[tuple[int, Record, CloudEvent[Any]]],
    event: CloudEvent[Any],
    batch_handlers: Mapping[str, BatchHandler],
) -> bool:
    """Whether `event` joins `run`: same type, and that type has a batch handler."""
    return event.type == run[-1][2].type and event.type in batch_handlers


def _where(record: Record) -> tuple[str, int, int]:
    return record.topic, record.partition, record.offset
