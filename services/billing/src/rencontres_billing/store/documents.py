"""Invoices and credit notes: one document each, state and the events it owes in one write;
their drafts; the entry outbox of batches."""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from rencontres_contracts import CloudEvent
from rencontres_kit.mongo import insert_new
from rencontres_kit.observability import continued
from rencontres_kit.outbox import OUTBOX_FIELD, OWED_FIELD, Wake, entry_document, outbox_entry

from rencontres_billing.numbering import BrokenNumbering

Doc = dict[str, Any]
HIDDEN = {OUTBOX_FIELD: 0, OWED_FIELD: 0}


def _no_relay(collection: str, doc_id: str, outbox: list[Doc] | None) -> None:
    """Without a relay (unit tests), events stay owed in the documents."""


def _no_entry_relay(collection: str, entries: list[Doc]) -> None:
    """Without a relay (unit tests), entries stay in the entry outbox."""


WakeEntries = Callable[[str, list[Doc]], None]


class Documents:
    """One series of money documents (invoices or credit notes): the numbered ones, and the
    drafts that wait for their number in a collection of their own.

    A number is given by *inserting* the numbered document (the draft and its number fields)
    under the draft's id, never by updating the draft: FerretDB 1.24 spends about 17 times
    more on an update of one document than on inserting it in bulk. A numbered document is
    never in `drafts`' way: drafts are kept (a repeat of the event that made one finds it
    there), and `numbered` answers which have their number; erasure is the one write a draft
    gets (`erase_contact`). Each draft carries the token of the writer that inserted it
    (`batch`), which its numbered document keeps: a batch finds its own by equality, the one
    filter FerretDB hands to PostgreSQL (an `_id $in` list reads and parses the whole
    collection in Go: 1.5 s for 500 ids among 10,000 invoices)."""

    def __init__(
        self,
        collection: AsyncCollection[Doc],
        drafts: AsyncCollection[Doc],
        wake: Wake = _no_relay,
    ) -> None:
        self.collection = collection
        self.drafts = drafts
        self._wake = wake

    async def create_indexes(self) -> None:
        await self.collection.create_index([("number", ASCENDING)], unique=True)
        await self.collection.create_index([("registration_ids", ASCENDING)])
        await self.collection.create_index([("status", ASCENDING)])
        await self.collection.create_index([("numbering.counter", ASCENDING)])
        await self.collection.create_index([("batch", ASCENDING)])
        await self.drafts.create_index([("batch", ASCENDING)])
        await self._move_old_drafts()

    async def _move_old_drafts(self) -> None:
        """Drafts that an earlier version kept among the numbered documents move to `drafts`
        (copied, then removed: a crash in between leaves a copy that the next start moves)."""
        async for old in self.collection.find({"numbering": None}):
            old.pop("number", None)
            await insert_new(self.drafts, [{**old, "batch": old.get("batch", "moved")}])
            await self.collection.delete_one({"_id": old["_id"], "numbering": None})

    async def insert_draft(self, document: Doc, batch: str) -> bool:
        """Insert the draft unless one with its id exists; True when inserted."""
        return bool(await self.insert_drafts([document], batch))

    async def insert_drafts(self, documents: Sequence[Doc], batch: str) -> list[Doc]:
        """Insert the drafts, each tagged with the writer's `batch`, in one round trip; those
        inserted, as stored (the others existed: a repeated event)."""
        return await insert_new(self.drafts, [{**d, "batch": batch} for d in documents])

    async def draft(self, doc_id: str) -> Doc | None:
        return await self.drafts.find_one({"_id": doc_id})

    async def drafts_of(self, batch: str) -> list[Doc]:
        return await self.drafts.find({"batch": batch}).to_list()

    async def of_batch(self, batch: str) -> list[Doc]:
        """The numbered documents of the drafts of `batch`."""
        return await self.collection.find({"batch": batch}, HIDDEN).to_list()

    async def draft_ids_of(self, batch: str) -> set[str]:
        return {d["_id"] async for d in self.drafts.find({"batch": batch}, {"_id": 1})}

    async def numbering_of(self, doc_id: str) -> tuple[str, int] | None:
        """(counter, sequence) once the document has its number; None while only a draft;
        LookupError when there is neither."""
        doc = await self.collection.find_one({"_id": doc_id}, {"numbering": 1})
        if doc is not None:
            return doc["numbering"]["counter"], doc["numbering"]["sequence"]
        if await self.drafts.find_one({"_id": doc_id}, {"_id": 1}) is None:
            raise LookupError(f"no draft {doc_id} to number")
        return None

    async def numbered_of(self, batch: str) -> dict[str, tuple[str, int]]:
        """The numbers already given to the drafts of `batch`, by id (by anyone: a batch's
        helper, or a writer that numbered one alone)."""
        docs = self.collection.find({"batch": batch}, {"numbering": 1})
        return {
            d["_id"]: (d["numbering"]["counter"], d["numbering"]["sequence"]) async for d in docs
        }

    async def issue(self, document: Doc, events: Sequence[CloudEvent[Any]]) -> bool:
        """Insert the numbered document with the events it owes; False when a document with
        its id is there already (a helper finished this claim first)."""
        entries = [outbox_entry(e) for e in events]
        doc = {**document, OUTBOX_FIELD: entries, OWED_FIELD: bool(entries)}
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError:
            if await self.collection.find_one({"_id": document["_id"]}, {"_id": 1}) is None:
                raise  # its number is taken: numbering broke; stop rather than guess
            return False
        if entries:
            self._wake(self.collection.name, document["_id"], entries)
        return True

    async def issue_many(self, documents: Sequence[Doc]) -> list[Doc]:
        """Insert numbered documents in one round trip, without events (their writer records
        those in the entry collection); those inserted (the others were there already)."""
        inserted = await insert_new(self.collection, documents)
        if len(inserted) < len(documents):
            ids = {d["_id"] for d in inserted}
            for doc in documents:  # rare: a helper wrote some; each must be the very same
                if doc["_id"] not in ids:
                    there = await self.collection.find_one({"_id": doc["_id"]}, {"number": 1})
                    if there is None or there["number"] != doc["number"]:
                        raise BrokenNumbering(f"{doc['number']} is taken by another document")
        return inserted

    async def get(self, doc_id: str) -> Doc | None:
        return await self.collection.find_one({"_id": doc_id}, HIDDEN)

    async def by_number(self, number: str) -> Doc | None:
        return await self.collection.find_one({"number": number}, HIDDEN)

    async def unnumbered(self) -> list[str]:
        """Drafts without their numbered document (a writer crashed between the two): read
        whole, at start-up and in the daily run, as no equality tells them apart."""
        drafts = {d["_id"] async for d in self.drafts.find({}, {"_id": 1})}
        numbered = {d["_id"] async for d in self.collection.find({}, {"_id": 1})}
        return sorted(drafts - numbered)

    async def find(self, query: Doc, limit: int = 1000) -> list[Doc]:
        return (
            await self.collection.find(query, HIDDEN)
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

    async def erase_contact(self, registration_id: str, at: datetime) -> int:
        """Drop the contact person from the registration's documents and from their drafts
        (kept once numbered, they hold it too; the one write a draft ever gets). The drafts
        first: a document numbered from an erased draft is born without it."""
        query = {"registration_ids": registration_id, "contact": {"$ne": None}}
        erase = {"$set": {"contact": None, "erased_at": at}}
        drafts = await self.drafts.update_many(query, erase)
        result = await self.collection.update_many(query, erase)
        return drafts.modified_count + result.modified_count


class BillingStore:
    """The billing database: invoices and credit notes (each with their drafts), counters,
    the entry outbox of batch-issued invoices, processed event ids."""

    def __init__(
        self,
        db: AsyncDatabase[Doc],
        wake: Wake = _no_relay,
        wake_entries: WakeEntries = _no_entry_relay,
    ) -> None:
        self.db = db
        self.invoices = Documents(db["invoices"], db["invoice_drafts"], wake)
        self.credit_notes = Documents(db["credit_notes"], db["credit_note_drafts"], wake)
        self.outbox = db["outbox"]
        """`invoice.issued.v1` of batch-issued invoices, an event a document, until published
        (the kit relay's entry collection)."""
        self._wake_entries = wake_entries
        self.counters = db["counters"]
        self.processed = db["processed_events"]
        self.cancelled = db["cancelled_registrations"]
        self.erased = db["erased_registrations"]

    async def create_indexes(self) -> None:
        await self.invoices.create_indexes()
        await self.credit_notes.create_indexes()

    async def owe(self, events: Sequence[CloudEvent[Any]]) -> None:
        """Record events in the entry outbox (one insert; entries already there stay)."""
        entries = []
        for event in events:
            with continued(event.traceparent):  # a batch's events each keep their own trace
                entries.append(entry_document(event))
        await insert_new(self.outbox, entries)
        if entries:
            self._wake_entries(self.outbox.name, entries)

    async def remember_cancelled(self, registration_id: str, at: datetime) -> None:
        """A cancellation that found no invoice (`cancelled`: one small document each)."""
        await self.cancelled.update_one(
            {"_id": registration_id}, {"$setOnInsert": {"at": at}}, upsert=True
        )

    async def invoice_summaries(self) -> list[Doc]:
        """Status, total, paid and reminders of every numbered invoice, for the figures."""
        fields = {"_id": 0, "status": 1, "totals.incl_vat_cents": 1, "paid_cents": 1}
        fields |= {"reminders_sent": 1, "currency": 1}
        return await self.invoices.collection.find({}, fields, batch_size=5000).to_list()

    async def remember_erased(self, registration_id: str, at: datetime) -> None:
        """An erasure (`erased_registrations`: the id alone, no personal data), for a seat's
        invoice that its pool's closing brings later, on another key."""
        await self.erased.update_one(
            {"_id": registration_id}, {"$setOnInsert": {"at": at}}, upsert=True
        )

    async def was_erased(self, registration_id: str) -> bool:
        return await self.erased.find_one({"_id": registration_id}, {"_id": 1}) is not None

    async def was_cancelled(self, registration_id: str) -> bool:
        return await self.cancelled.find_one({"_id": registration_id}, {"_id": 1}) is not None
