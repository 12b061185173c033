"""Invoices and credit notes: one document each, state and the events it owes in one write."""

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError
from rencontres_contracts import CloudEvent
from rencontres_kit.observability import continued
from rencontres_kit.outbox import OUTBOX_FIELD, OWED_FIELD, Wake, outbox_entry

Doc = dict[str, Any]
HIDDEN = {OUTBOX_FIELD: 0, OWED_FIELD: 0}
DUPLICATE_KEY = 11000
STAMPS_IN_FLIGHT = 16


def _no_relay(collection: str, doc_id: str, outbox: list[Doc] | None) -> None:
    """Without a relay (unit tests), events stay owed in the documents."""


class Documents:
    """One collection of numbered money documents (invoices or credit notes)."""

    def __init__(self, collection: AsyncCollection[Doc], wake: Wake = _no_relay) -> None:
        self.collection = collection
        self._wake = wake

    async def create_indexes(self) -> None:
        # drafts carry a placeholder number ("draft:<id>"): a unique index without a partial
        # filter (which FerretDB lacks) still refuses two documents with one real number
        await self.collection.create_index([("number", ASCENDING)], unique=True)
        await self.collection.create_index([("registration_ids", ASCENDING)])
        await self.collection.create_index([("status", ASCENDING)])
        await self.collection.create_index([("numbering.counter", ASCENDING)])

    async def insert_draft(self, document: Doc) -> bool:
        """Insert the draft unless a document with its id exists; True when inserted."""
        try:
            await self.collection.insert_one(
                {**document, "number": f"draft:{document['_id']}", "numbering": None}
            )
        except DuplicateKeyError:
            return False
        return True

    async def insert_drafts(self, documents: Sequence[Doc]) -> set[str]:
        """`insert_draft` for many in one round trip; the ids inserted (the others existed)."""
        drafts = [{**d, "number": f"draft:{d['_id']}", "numbering": None} for d in documents]
        if not drafts:
            return set()
        try:
            await self.collection.insert_many(drafts, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details["writeErrors"]
            if any(e["code"] != DUPLICATE_KEY for e in errors):
                raise
            refused = {drafts[e["index"]]["_id"] for e in errors}
            return {d["_id"] for d in drafts} - refused
        return {d["_id"] for d in drafts}

    async def get_many(self, doc_ids: Sequence[str]) -> list[Doc]:
        return await self.collection.find({"_id": {"$in": list(doc_ids)}}, HIDDEN).to_list()

    async def get(self, doc_id: str) -> Doc | None:
        return await self.collection.find_one({"_id": doc_id}, HIDDEN)

    async def by_number(self, number: str) -> Doc | None:
        return await self.collection.find_one(
            {"number": number, "numbering": {"$ne": None}}, HIDDEN
        )

    async def unnumbered(self, limit: int = 100) -> list[Doc]:
        return await self.collection.find({"status": "draft"}, {"_id": 1}).limit(limit).to_list()

    async def find(self, query: Doc, limit: int = 1000) -> list[Doc]:
        return (
            await self.collection.find({**query, "numbering": {"$ne": None}}, HIDDEN)
            .sort("number", ASCENDING)
            .limit(limit)
            .to_list()
        )

    async def change(
        self, query: Doc, update: Doc, events: Sequence[CloudEvent[Any]] = ()
    ) -> Doc | None:
        """One conditional write of a state change and the events it owes; the document after
        it (without its outbox), or None when `query` no longer matched."""
        update = {**update}
        if events:
            update["$push"] = {
                **update.get("$push", {}),
                OUTBOX_FIELD: {"$each": [outbox_entry(e) for e in events]},
            }
            update["$set"] = {**update.get("$set", {}), OWED_FIELD: True}
        doc = await self.collection.find_one_and_update(
            query, update, return_document=ReturnDocument.AFTER
        )
        if doc is None:
            return None
        outbox = doc.pop(OUTBOX_FIELD, None)
        if doc.pop(OWED_FIELD, False) and outbox:
            self._wake(self.collection.name, doc["_id"], outbox)
        return doc

    async def stamp(
        self, doc_id: str, fields: Doc, events: Sequence[CloudEvent[Any]]
    ) -> Doc | None:
        """Write a number (in `fields`) into a draft that has none, with its events."""
        return await self.change({"_id": doc_id, "numbering": None}, {"$set": fields}, events)

    async def stamp_many(
        self, stamps: Sequence[tuple[str, Doc, Sequence[CloudEvent[Any]]]]
    ) -> bool:
        """`stamp` for many drafts, each only if it has no number yet; True when every one was
        stamped by this call.

        One conditional `update_one` per draft, sent side by side: FerretDB 1.24 never answers
        an `update` command carrying about a hundred updates (measured on this machine: 20 take
        0.2 s, 100 hung for minutes, and its other writers with it), and its reply to one that
        matched nothing lacks the `nModified` pymongo's `bulk_write` expects. It runs
        updates of one collection one at a time anyway (deploy/local/ferretdb/serialize.go)."""
        limit = asyncio.Semaphore(STAMPS_IN_FLIGHT)

        async def one(doc_id: str, fields: Doc, events: Sequence[CloudEvent[Any]]) -> bool:
            entries = []
            for event in events:
                with continued(event.traceparent):  # a batch's events each keep their own trace
                    entries.append(outbox_entry(event))
            update: Doc = {"$set": {**fields}}
            if entries:
                update["$set"][OWED_FIELD] = True
                update["$push"] = {OUTBOX_FIELD: {"$each": entries}}
            async with limit:
                result = await self.collection.update_one(
                    {"_id": doc_id, "numbering": None}, update
                )
            if result.modified_count and entries:
                self._wake(self.collection.name, doc_id, entries)
            return bool(result.modified_count)

        written = await asyncio.gather(*(one(*stamp) for stamp in stamps))
        return all(written)

    async def erase_contact(self, registration_id: str, at: datetime) -> int:
        result = await self.collection.update_many(
            {"registration_ids": registration_id, "contact": {"$ne": None}},
            {"$set": {"contact": None, "erased_at": at}},
        )
        return result.modified_count


class BillingStore:
    """The billing database: invoices, credit notes, counters, processed event ids."""

    def __init__(self, db: AsyncDatabase[Doc], wake: Wake = _no_relay) -> None:
        self.db = db
        self.invoices = Documents(db["invoices"], wake)
        self.credit_notes = Documents(db["credit_notes"], wake)
        self.counters = db["counters"]
        self.processed = db["processed_events"]
        self.cancelled = db["cancelled_registrations"]

    async def create_indexes(self) -> None:
        await self.invoices.create_indexes()
        await self.credit_notes.create_indexes()

    async def remember_cancelled(self, registration_id: str, at: datetime) -> None:
        """A cancellation that found no invoice (`cancelled`: one small document each)."""
        await self.cancelled.update_one(
            {"_id": registration_id}, {"$setOnInsert": {"at": at}}, upsert=True
        )

    async def invoice_summaries(self) -> list[Doc]:
        """Status, total, paid and reminders of every numbered invoice, for the figures."""
        fields = {"_id": 0, "status": 1, "totals.incl_vat_cents": 1, "paid_cents": 1}
        fields |= {"reminders_sent": 1, "currency": 1}
        query = {"status": {"$ne": "draft"}}
        return await self.invoices.collection.find(query, fields, batch_size=5000).to_list()

    async def was_cancelled(self, registration_id: str) -> bool:
        return await self.cancelled.find_one({"_id": registration_id}, {"_id": 1}) is not None
