"""The transactional outbox, embedded in the aggregate's own document.

Without multi-document transactions, the only atomic write is one document. So a state change
and the events it owes are written together: the document carries an `outbox` array of events
not yet published, and a flag `outbox_owed` that the periodic sweep looks for. The relay
publishes them in order (idempotent producer, acks=all) and then takes the published entries
out in one write. A crash between the two re-publishes; consumers dedupe by id.

A writer that records many new documents at once (billing's batches) may instead keep their
events in an *entry collection*: one small document per event (`_id` = the event id, the fields
of `outbox_entry`), inserted in one `insert_many` beside the documents, and deleted once
published. An update per document costs FerretDB 1.24 about 17 times an insert of it in bulk;
deleting what a batch published is one `delete_many` on a collection that only ever holds what
is not published yet. Such a writer must make the entries' ids (the event ids) deterministic,
so that writing them twice, after a crash, publishes one event twice at worst, never two.
"""

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Gauge
from pymongo.asynchronous.collection import AsyncCollection
from rencontres_contracts import CloudEvent, topic_for

from rencontres_kit.observability import continued, current_traceparent

log = logging.getLogger(__name__)

OUTBOX_FIELD = "outbox"
OWED_FIELD = "outbox_owed"
"""True while `outbox` may hold entries: a top-level flag FerretDB lets PostgreSQL filter on,
where `{"outbox.0": {"$exists": true}}` makes it read and parse every document in Go."""

PUBLISHED = Counter("outbox_published_total", "Events published by the outbox relay", ["topic"])
FAILURES = Counter("outbox_publish_failures_total", "Publish attempts that failed")
PENDING = Gauge("outbox_pending", "Documents holding events not yet published")
OLDEST_AGE = Gauge(
    "outbox_oldest_entry_age_seconds", "Age of the oldest entry the last sweep found unpublished"
)
PRODUCED = Counter("events_produced_total", "Events published, by type", ["topic", "type"])

Publish = Callable[[str, bytes, bytes, dict[str, str]], Awaitable[Any]]
"""publish(topic, key, value, headers): resolves once the broker acknowledged the record."""


Entries = list[dict[str, Any]]
Wake = Callable[[str, str, Entries | None], None]
"""wake(collection, document id, its outbox as committed, or None to have it read)."""


def outbox_entry(event: CloudEvent[Any]) -> dict[str, Any]:
    """What a store pushes into a document's outbox in the same write as the state change.

    The event carries the trace it was caused in (the HTTP request's, or the consumed event's
    span): the relay publishes it in that trace, and its consumers continue it.
    """
    now = datetime.now(UTC)
    traceparent = current_traceparent() or event.traceparent
    if traceparent != event.traceparent:
        event = event.model_copy(update={"traceparent": traceparent})
    return {
        "id": event.id,
        "topic": topic_for(event.type).name,
        "key": event.subject,
        "type": event.type,
        "value": event.to_bytes().decode(),
        # as stored (BSON keeps milliseconds), so the entry equals what the database holds
        "recorded_at": now.replace(microsecond=now.microsecond // 1000 * 1000),
        "traceparent": traceparent,
    }


def entry_document(event: CloudEvent[Any]) -> dict[str, Any]:
    """An event as a document of an entry collection: its outbox entry, keyed by its id."""
    return {"_id": event.id, **outbox_entry(event)}


async def publish_entry(publish: Publish, entry: dict[str, Any]) -> None:
    """Publish one outbox entry the way the relay does (CloudEvents headers, in its trace);
    returns once the broker acknowledged it. A writer that publishes an entry itself before
    recording the state it describes (notify's `delivery.sent.v1`) uses this too."""
    headers = {"content-type": "application/cloudevents+json", "ce_type": entry["type"]}
    with continued(entry.get("traceparent")):  # the producer span joins the event's trace
        await publish(entry["topic"], entry["key"].encode(), entry["value"].encode(), headers)
    PRODUCED.labels(entry["topic"], entry["type"]).inc()


class OutboxRelay:
    """Publishes what the stores recorded and retries forever.

    A writer calls `wake(collection, id, outbox)` after recording events (and setting
    `OWED_FIELD`), with the outbox its write committed (a `find_one_and_update` returns it; an
    insert knows it): the relay publishes it without reading the document again. Without the
    outbox the relay reads the document by id. Every `sweep_interval` it also looks for
    documents still owing events, which catches what another replica or a crashed process left
    behind. Those sweeps look for the flag; the first after a start, and one every
    `full_sweep_interval`, read every document, so entries written without the flag (by a
    version before it, still running during a rolling update) are found too.
    """

    def __init__(
        self,
        collections: Sequence[AsyncCollection[dict[str, Any]]],
        publish: Publish,
        *,
        poll_interval: float = 0.5,
        sweep_interval: float = 5.0,
        full_sweep_interval: float = 600.0,
        batch_size: int = 100,
        entry_collections: Sequence[AsyncCollection[dict[str, Any]]] = (),
    ) -> None:
        self._collections = {c.name: c for c in collections}
        self._entry_collections = {c.name: c for c in entry_collections}
        self._entry_hints: dict[str, dict[str, dict[str, Any]]] = {}
        """Entries writers handed over, by entry collection, then by id (in insertion order)."""
        self._publish = publish
        self._poll_interval = poll_interval
        self._sweep_interval = sweep_interval
        self._batch_size = batch_size
        self._wakeup = asyncio.Event()
        self._hints: dict[tuple[str, str], Entries | None] = {}
        self._full_sweep_interval = full_sweep_interval
        self._last_full_sweep: float | None = None
        self._task: asyncio.Task[None] | None = None

    def wake(
        self,
        collection: str | None = None,
        doc_id: str | None = None,
        outbox: Entries | None = None,
    ) -> None:
        """Publish what this document owes soon: the later write's outbox holds the earlier's."""
        if collection is not None and doc_id is not None:
            self._hints[(collection, doc_id)] = outbox
        self._wakeup.set()

    def wake_entries(self, collection: str, entries: Entries) -> None:
        """Publish these entries of an entry collection soon (as inserted, with their `_id`)."""
        self._entry_hints.setdefault(collection, {}).update({e["_id"]: e for e in entries})
        self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        last_sweep = 0.0
        while True:
            busy = False
            try:
                # entries first: a batch's entries are older than what its documents owe since
                await self.drain_entry_hints()
                await self.drain_hints()
                if time.monotonic() - last_sweep >= self._sweep_interval:
                    busy = await self.drain_once()
                    if not busy:  # a full batch means more: sweep again at once
                        last_sweep = time.monotonic()
            except Exception:
                FAILURES.inc()
                log.exception("outbox relay: publishing failed; will retry")
                await asyncio.sleep(self._poll_interval)  # the broker may be down: no hot loop
                continue
            if not busy and not self._hints and not self._entry_hints:
                self._wakeup.clear()
                try:
                    await asyncio.wait_for(self._wakeup.wait(), self._poll_interval)
                except TimeoutError:
                    pass

    async def drain_hints(self) -> None:
        """Publish the documents writers pointed at, each read by its id: up to `batch_size`
        side by side (each document's entries stay in order), so the relay keeps up with
        many writers instead of waiting for one round trip after another."""
        while self._hints:
            keys = list(itertools.islice(self._hints, self._batch_size))
            # taken out first: a writer's new wake-up during the batch stays for the next one
            batch = {key: self._hints.pop(key) for key in keys}
            # every document finishes before the next batch, even when one fails: two passes
            # over one document at once would interleave its events
            results = await asyncio.gather(
                *(self._drain_hint(*k, v) for k, v in batch.items()), return_exceptions=True
            )
            failed = {
                key: batch[key]
                for key, result in zip(batch, results, strict=True)
                if isinstance(result, BaseException)
            }
            if failed:  # kept for the next pass, unless a writer has woken it since
                self._hints = {**failed, **self._hints}
                raise next(r for r in results if isinstance(r, BaseException))

    async def drain_entry_hints(self) -> None:
        """Publish the entries writers handed over, then delete them (one write per batch)."""
        for name in list(self._entry_hints):
            while pending := self._entry_hints.get(name):
                ids = list(itertools.islice(pending, self._batch_size * 10))
                batch = [pending[i] for i in ids]
                await self._publish_entries(self._entry_collections[name], batch)
                for entry_id in ids:  # taken out once published: a failure keeps them
                    pending.pop(entry_id, None)
            self._entry_hints.pop(name, None)

    async def _publish_entries(
        self, collection: AsyncCollection[dict[str, Any]], entries: Entries
    ) -> None:
        """Publish entries side by side (those of one key in their order), then delete them."""
        by_key: dict[str, Entries] = {}
        for entry in entries:
            by_key.setdefault(entry["key"], []).append(entry)

        async def in_order(run: Entries) -> None:
            for entry in run:
                await publish_entry(self._publish, entry)
                PUBLISHED.labels(entry["topic"]).inc()

        await asyncio.gather(*(in_order(run) for run in by_key.values()))
        # the collection only holds what is not yet published: `$in` reads a small one
        await collection.delete_many({"_id": {"$in": [e["_id"] for e in entries]}})

    async def _drain_hint(self, collection_name: str, doc_id: str, outbox: Entries | None) -> None:
        collection = self._collections[collection_name]
        doc: dict[str, Any] | None = {"_id": doc_id, OUTBOX_FIELD: outbox}
        if outbox is None:
            doc = await collection.find_one({"_id": doc_id}, {OUTBOX_FIELD: 1})
        if doc and doc.get(OUTBOX_FIELD):
            await self._publish_document(collection, doc)

    async def drain_once(self) -> bool:
        """Publish one batch from every collection; True when there may be more."""
        more = False
        pending = 0
        full = (
            self._last_full_sweep is None
            or time.monotonic() - self._last_full_sweep >= self._full_sweep_interval
        )
        query: dict[str, Any] = {OWED_FIELD: True}
        if full:
            query = {f"{OUTBOX_FIELD}.0": {"$exists": True}}
        oldest: datetime | None = None
        for entries in self._entry_collections.values():
            pending += await entries.count_documents({})
            found = await entries.find({}).sort("recorded_at", 1).limit(self._batch_size).to_list()
            more |= len(found) == self._batch_size
            for entry in found:
                oldest = _oldest([entry], oldest)
            if found:
                await self._publish_entries(entries, found)
        for collection in self._collections.values():
            pending += await collection.count_documents(query)
            cursor = collection.find(query, {OUTBOX_FIELD: 1}).limit(self._batch_size)
            docs = await cursor.to_list()
            more |= len(docs) == self._batch_size
            for doc in docs:
                oldest = _oldest(doc.get(OUTBOX_FIELD) or [], oldest)
                await self._publish_document(collection, doc)
        PENDING.set(pending)
        OLDEST_AGE.set((datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0)
        if full and not more:
            self._last_full_sweep = time.monotonic()
        return more

    async def _publish_document(
        self, collection: AsyncCollection[dict[str, Any]], doc: dict[str, Any]
    ) -> None:
        entries = doc[OUTBOX_FIELD]
        for entry in entries:
            await publish_entry(self._publish, entry)
            PUBLISHED.labels(entry["topic"]).inc()
        # One write: if the outbox still holds exactly what was published, empty it and lower
        # the flag; if a writer added entries meanwhile, take out only the published ones (by
        # their whole value, as read: `$pull` by a field of the entry is a no-op on FerretDB).
        emptied = await collection.update_one(
            {"_id": doc["_id"], OUTBOX_FIELD: entries},
            {"$set": {OUTBOX_FIELD: [], OWED_FIELD: False}},
        )
        if emptied.matched_count == 0:
            await collection.update_one({"_id": doc["_id"]}, {"$pullAll": {OUTBOX_FIELD: entries}})


def _oldest(entries: Entries, oldest: datetime | None) -> datetime | None:
    for entry in entries:
        at = entry.get("recorded_at")
        if isinstance(at, datetime):
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            oldest = at if oldest is None or at < oldest else oldest
    return oldest
