"""The `registrations` collection: one document per registration, with the events it still
owes in `outbox`. Every change is one conditional write of that document."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from rencontres_contracts import CloudEvent
from rencontres_kit.outbox import OUTBOX_FIELD, OWED_FIELD, outbox_entry

from rencontres_registration.documents import RegistrationDoc
from rencontres_registration.store.common import HIDDEN, Committed, Doc, changes


@dataclass(frozen=True)
class StaffSearch:
    """What staff look for: words (reference, name, email, company, project) and filters."""

    q: str | None = None
    offer: str | None = None
    status: str | None = None
    edition_id: str | None = None

    def query(self) -> Doc:
        filters: Doc = {}
        if self.offer:
            filters["offer"] = self.offer
        if self.status:
            filters["status"] = self.status
        if self.edition_id:
            filters["edition_ids"] = self.edition_id
        if self.q and self.q.strip():
            pattern = {"$regex": re.escape(self.q.strip()), "$options": "i"}
            filters["$or"] = [
                {field: pattern}
                for field in (
                    "reference",
                    "contact.email",
                    "contact.name",
                    "organisation.legal_name",
                    "startup.project_name",
                )
            ]
        return filters


class AlreadyRegistered(Exception):
    """The same email already holds this offer for this edition. The service sends the owner
    their link and raises it again without `existing`: the faces have nothing to reveal."""

    def __init__(self, existing: RegistrationDoc | None) -> None:
        super().__init__("already registered")
        self.existing = existing


class RegistrationsStore:
    def __init__(self, db: AsyncDatabase[Doc], committed: Committed) -> None:
        self.collection = db["registrations"]
        self._committed = committed

    async def create_indexes(self) -> None:
        r = self.collection
        await r.create_index([("dedupe_keys", ASCENDING)], unique=True, name="one_per_offer")
        await r.create_index([("idempotency_key", ASCENDING)], unique=True, name="idempotency")
        await r.create_index([("reference", ASCENDING)], unique=True, name="reference")
        await r.create_index([("status", ASCENDING), ("edition_ids", ASCENDING)])

    def _registration(self, doc: Doc | None) -> RegistrationDoc | None:
        return RegistrationDoc.model_validate(doc) if doc is not None else None

    async def get(self, registration_id: str) -> RegistrationDoc | None:
        return self._registration(await self.collection.find_one({"_id": registration_id}, HIDDEN))

    async def by_idempotency_key(self, key: str) -> RegistrationDoc | None:
        return self._registration(await self.collection.find_one({"idempotency_key": key}, HIDDEN))

    async def insert(
        self, document: RegistrationDoc, events: list[CloudEvent[Any]] | None = None
    ) -> RegistrationDoc:
        """Write a new registration, with the events it owes. The unique indexes refuse a
        duplicate: a repeated idempotency key returns the first registration; an
        email/offer/edition clash raises AlreadyRegistered.

        Only the fields the document was given are written (`exclude_unset`): a default
        stored as null would change what queries on absent fields find."""
        outbox = [outbox_entry(e) for e in events or []]
        fields = document.model_dump(by_alias=True, exclude_unset=True)
        try:
            await self.collection.insert_one(
                {**fields, OUTBOX_FIELD: outbox, OWED_FIELD: bool(outbox)}
            )
        except DuplicateKeyError:
            if (existing := await self.existing(document)) is not None:
                return existing
            raise
        if outbox:
            self._committed.wake(self.collection, document.id, outbox)
        return document

    async def existing(self, document: RegistrationDoc) -> RegistrationDoc | None:
        """The registration a new one repeats (same idempotency key), or AlreadyRegistered
        when the same email already holds this offer for this edition; None when neither."""
        if existing := await self.by_idempotency_key(document.idempotency_key):
            return existing
        clash = await self.collection.find_one(
            {"dedupe_keys": {"$in": document.dedupe_keys}}, HIDDEN
        )
        if clash is not None:
            raise AlreadyRegistered(RegistrationDoc.model_validate(clash))
        return None

    async def request_link(
        self, registration_id: str, now: datetime, since: datetime, event: CloudEvent[Any]
    ) -> bool:
        """Owe the link-requested event, unless one was owed after `since` (so a stranger
        repeating someone's email cannot flood their inbox)."""
        return (
            self._committed(
                self.collection,
                await self.collection.find_one_and_update(
                    {
                        "_id": registration_id,
                        "$or": [
                            {"link_requested_at": {"$exists": False}},
                            {"link_requested_at": {"$lt": since}},
                        ],
                    },
                    changes({"link_requested_at": now}, [event], None),
                    return_document=ReturnDocument.AFTER,
                ),
            )
            is not None
        )

    async def record_invoice(self, registration_id: str, invoice_id: str, fields: Doc) -> None:
        """Keep what billing said of one invoice on a registration it covers."""
        key = invoice_id.replace(".", "_").replace("$", "_")  # a field name, whatever the id
        prefixed = {f"invoices.{key}.{name}": value for name, value in fields.items()}
        await self.collection.update_one({"_id": registration_id}, {"$set": prefixed})

    async def delete_placing(self, registration_id: str) -> None:
        """Forget a registration that never got past placing (its pool was full): it owes
        no event and holds nothing."""
        await self.collection.delete_one({"_id": registration_id, "status": "placing"})

    async def transition(
        self,
        registration_id: str,
        from_statuses: list[str],
        set_fields: Doc,
        events: list[CloudEvent[Any]],
        history: Doc | None = None,
    ) -> RegistrationDoc | None:
        """Change a registration only if it is still in one of `from_statuses`, recording the
        events it owes in the same write. None when it had moved on (a concurrent change)."""
        return self._registration(
            self._committed(
                self.collection,
                await self.collection.find_one_and_update(
                    {"_id": registration_id, "status": {"$in": from_statuses}},
                    changes(set_fields, events, history),
                    return_document=ReturnDocument.AFTER,
                ),
            )
        )

    async def first_waitlisted(self, edition_id: str, offer: str) -> RegistrationDoc | None:
        cursor = self.collection.find(
            {"status": "waitlisted", "edition_ids": edition_id, "offer": offer}, HIDDEN
        )
        found = await cursor.sort("_id", ASCENDING).limit(1).to_list()
        return RegistrationDoc.model_validate(found[0]) if found else None

    async def _registrations(self, query: Doc) -> list[RegistrationDoc]:
        found = await self.collection.find(query, HIDDEN).to_list()
        return [RegistrationDoc.model_validate(d) for d in found]

    async def expired_offers(self, now: datetime) -> list[RegistrationDoc]:
        return await self._registrations({"status": "offered", "offer_expires_at": {"$lt": now}})

    async def stuck_placing(self, before: datetime) -> list[RegistrationDoc]:
        return await self._registrations({"status": "placing", "created_at": {"$lt": before}})

    async def search(self, filters: Doc, limit: int, skip: int = 0) -> list[RegistrationDoc]:
        cursor = self.collection.find(filters, HIDDEN).sort("_id", ASCENDING)
        found = await cursor.skip(skip).limit(limit).to_list()
        return [RegistrationDoc.model_validate(d) for d in found]

    async def count(self, filters: Doc) -> int:
        return await self.collection.count_documents(filters)

    async def staff_search(
        self, search: StaffSearch, limit: int, skip: int = 0
    ) -> list[RegistrationDoc]:
        return await self.search(search.query(), limit, skip)

    async def staff_count(self, search: StaffSearch) -> int:
        return await self.count(search.query())

    async def waitlisted_count(self, edition_id: str, offer: str) -> int:
        return await self.count({"status": "waitlisted", "edition_ids": edition_id, "offer": offer})

    async def tally(self) -> list[tuple[str, str, str, int]]:
        """(offer, status, edition or "", count) over every registration, for the metrics.

        A registration for several editions counts once per edition; one for none (an
        incubator application) once with edition "". Counted here from three small fields per
        document: FerretDB 1.24's `$group` keeps only the last field of a compound `_id`."""
        counts: dict[tuple[str, str, str], int] = {}
        fields = {"_id": 0, "offer": 1, "status": 1, "edition_ids": 1}
        async for doc in self.collection.find({}, fields, batch_size=5000):
            for edition in doc.get("edition_ids") or [""]:
                key = (str(doc.get("offer")), str(doc.get("status")), str(edition))
                counts[key] = counts.get(key, 0) + 1
        return [(*key, n) for key, n in counts.items()]

    async def place_holders(self, edition_id: str, offer: str, statuses: list[str]) -> set[str]:
        """Ids of the registrations for `offer` on an edition whose status holds a place."""
        query = {"edition_ids": edition_id, "offer": offer, "status": {"$in": statuses}}
        return {d["_id"] for d in await self.collection.find(query, {"_id": 1}).to_list()}

    async def members(self, ids: list[str]) -> list[RegistrationDoc]:
        docs = await self._registrations({"_id": {"$in": ids}})
        order = {rid: i for i, rid in enumerate(ids)}
        return sorted(docs, key=lambda d: order[d.id])
