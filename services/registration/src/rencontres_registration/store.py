"""The only code that talks to the registration database.

Three collections: `registrations` (one document per registration, with the events it still
owes in `outbox`), `capacity` (one small document per edition and kind of place: `taken` of
`total`, and the holders `pending` between taking a place and recording it in their own
document), and `pools` (shared stands; members and the pool's own outbox). Every change is one
conditional document write; nothing relies on multi-document transactions.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from rencontres_contracts import CloudEvent
from rencontres_kit.outbox import OUTBOX_FIELD, OWED_FIELD, Wake, outbox_entry

from rencontres_registration.documents import CapacityDoc, Holder, PoolDoc, RegistrationDoc

Doc = dict[str, Any]
HIDDEN = {OUTBOX_FIELD: 0, OWED_FIELD: 0}


PLACE_TOKEN = "place_token"
"""On a registration or a pool: the token of the take whose place it holds."""


@dataclass(frozen=True)
class Take:
    """What `take_place` did: counted a place, found the holder's place still pending (a
    retry, a concurrent caller), or found no place. `token` identifies the counted take (in
    `pending_by`); the holder's document records it (`PLACE_TOKEN`) with the status that
    holds the place, so a take no document records can be told apart and given back."""

    outcome: Literal["counted", "pending", "full"]
    token: str

    def __bool__(self) -> bool:
        return self.outcome != "full"


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


def _changes(set_fields: Doc, events: list[CloudEvent[Any]], history: Doc | None) -> dict[str, Any]:
    update: dict[str, Any] = {"$set": set_fields}
    push: Doc = {}
    if events:
        push[OUTBOX_FIELD] = {"$each": [outbox_entry(e) for e in events]}
        update["$set"] = {**set_fields, OWED_FIELD: True}
    if history:
        push["history"] = history
    if push:
        update["$push"] = push
    return update


def _give_back(holder: str) -> dict[str, Any]:
    return {
        "$inc": {"taken": -1},
        "$pull": {"pending": holder},
        "$unset": {f"pending_at.{holder}": "", f"pending_by.{holder}": ""},
    }


def _no_relay(collection: str, doc_id: str, outbox: list[Doc] | None) -> None:
    """For a store used without a relay (tests, scripts): events wait for a sweep."""


class RegistrationStore:
    """`wake` is the outbox relay's: every write that records events hands it the outbox it
    committed, so the relay publishes at once without reading the document back."""

    def __init__(self, db: AsyncDatabase[Doc], wake: Wake = _no_relay) -> None:
        self._wake = wake
        self.registrations = db["registrations"]
        self.capacity = db["capacity"]
        self.pools = db["pools"]
        self._recorded: dict[str, set[str]] = {}

    async def create_indexes(self) -> None:
        r = self.registrations
        await r.create_index([("dedupe_keys", ASCENDING)], unique=True, name="one_per_offer")
        await r.create_index([("idempotency_key", ASCENDING)], unique=True, name="idempotency")
        await r.create_index([("reference", ASCENDING)], unique=True, name="reference")
        await r.create_index([("status", ASCENDING), ("edition_ids", ASCENDING)])
        await self.pools.create_index([("status", ASCENDING)])

    def _committed(self, collection: AsyncCollection[Doc], doc: Doc | None) -> Doc | None:
        """Hand the outbox a write returned to the relay, and return the document without it
        (FerretDB 1.24 has no projection on findAndModify)."""
        if doc is None:
            return None
        outbox = doc.pop(OUTBOX_FIELD, None)
        if doc.pop(OWED_FIELD, False) and outbox:
            self._wake(collection.name, doc["_id"], outbox)
        return doc

    def _registration(self, doc: Doc | None) -> RegistrationDoc | None:
        return RegistrationDoc.model_validate(doc) if doc is not None else None

    def _pool(self, doc: Doc | None) -> PoolDoc | None:
        return PoolDoc.model_validate(doc) if doc is not None else None

    # ------------------------------------------------------------------ registrations

    async def get(self, registration_id: str) -> RegistrationDoc | None:
        return self._registration(
            await self.registrations.find_one({"_id": registration_id}, HIDDEN)
        )

    async def by_idempotency_key(self, key: str) -> RegistrationDoc | None:
        return self._registration(
            await self.registrations.find_one({"idempotency_key": key}, HIDDEN)
        )

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
            await self.registrations.insert_one(
                {**fields, OUTBOX_FIELD: outbox, OWED_FIELD: bool(outbox)}
            )
        except DuplicateKeyError:
            if (existing := await self.existing(document)) is not None:
                return existing
            raise
        if outbox:
            self._wake(self.registrations.name, document.id, outbox)
        return document

    async def existing(self, document: RegistrationDoc) -> RegistrationDoc | None:
        """The registration a new one repeats (same idempotency key), or AlreadyRegistered
        when the same email already holds this offer for this edition; None when neither."""
        if existing := await self.by_idempotency_key(document.idempotency_key):
            return existing
        clash = await self.registrations.find_one(
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
                self.registrations,
                await self.registrations.find_one_and_update(
                    {
                        "_id": registration_id,
                        "$or": [
                            {"link_requested_at": {"$exists": False}},
                            {"link_requested_at": {"$lt": since}},
                        ],
                    },
                    _changes({"link_requested_at": now}, [event], None),
                    return_document=ReturnDocument.AFTER,
                ),
            )
            is not None
        )

    async def record_invoice(self, registration_id: str, invoice_id: str, fields: Doc) -> None:
        """Keep what billing said of one invoice on a registration it covers."""
        key = invoice_id.replace(".", "_").replace("$", "_")  # a field name, whatever the id
        prefixed = {f"invoices.{key}.{name}": value for name, value in fields.items()}
        await self.registrations.update_one({"_id": registration_id}, {"$set": prefixed})

    async def delete_placing(self, registration_id: str) -> None:
        """Forget a registration that never got past placing (its pool was full): it owes
        no event and holds nothing."""
        await self.registrations.delete_one({"_id": registration_id, "status": "placing"})

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
                self.registrations,
                await self.registrations.find_one_and_update(
                    {"_id": registration_id, "status": {"$in": from_statuses}},
                    _changes(set_fields, events, history),
                    return_document=ReturnDocument.AFTER,
                ),
            )
        )

    async def first_waitlisted(self, edition_id: str, offer: str) -> RegistrationDoc | None:
        cursor = self.registrations.find(
            {"status": "waitlisted", "edition_ids": edition_id, "offer": offer}, HIDDEN
        )
        found = await cursor.sort("_id", ASCENDING).limit(1).to_list()
        return RegistrationDoc.model_validate(found[0]) if found else None

    async def _registrations(self, query: Doc) -> list[RegistrationDoc]:
        found = await self.registrations.find(query, HIDDEN).to_list()
        return [RegistrationDoc.model_validate(d) for d in found]

    async def expired_offers(self, now: datetime) -> list[RegistrationDoc]:
        return await self._registrations({"status": "offered", "offer_expires_at": {"$lt": now}})

    async def stuck_placing(self, before: datetime) -> list[RegistrationDoc]:
        return await self._registrations({"status": "placing", "created_at": {"$lt": before}})

    async def search(self, filters: Doc, limit: int, skip: int = 0) -> list[RegistrationDoc]:
        cursor = self.registrations.find(filters, HIDDEN).sort("_id", ASCENDING)
        found = await cursor.skip(skip).limit(limit).to_list()
        return [RegistrationDoc.model_validate(d) for d in found]

    async def count(self, filters: Doc) -> int:
        return await self.registrations.count_documents(filters)

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
        async for doc in self.registrations.find({}, fields, batch_size=5000):
            for edition in doc.get("edition_ids") or [""]:
                key = (str(doc.get("offer")), str(doc.get("status")), str(edition))
                counts[key] = counts.get(key, 0) + 1
        return [(*key, n) for key, n in counts.items()]

    # ------------------------------------------------------------------ capacity

    async def ensure_capacity(
        self, capacity_id: str, edition_id: str, resource: str, total: int
    ) -> None:
        """Create or resize a counter from the catalog; the places taken are never touched."""
        await self.capacity.update_one(
            {"_id": capacity_id},
            {
                "$set": {"edition_id": edition_id, "resource": resource, "total": total},
                "$setOnInsert": {"taken": 0},  # `pending` comes with its first $push
            },
            upsert=True,
        )
        old = await self.capacity.find_one({"_id": capacity_id, "taken": {"$exists": False}})
        if old is not None:  # a counter written before `taken` existed: one array per holder
            holders = old.get("holders", [])
            await self.capacity.update_one(  # once: another replica may have done it already
                {"_id": capacity_id, "taken": {"$exists": False}},
                {"$set": {"taken": len(holders), "pending": [], "pending_at": {}, "pending_by": {}},
                 "$unset": {"holders": ""}},
            )  # fmt: skip

    async def take_place(self, capacity_id: str, holder: str, total: int, now: datetime) -> Take:
        """Count a place for `holder` if one is free ("counted"); "pending" if one is already
        counted and its holder's document does not record it yet (a retry, a concurrent
        caller), with that take's token; "full".

        The holder is written into `pending` in the same write as the count, so a retry after
        a crash knows it already holds one. A "pending" take refreshes `pending_at`, so the
        job leaves a place being taken right now alone. Whoever then writes the holder's
        status records the token; a caller whose status change lost gives the place back
        only if the holder's document does not record that token (`Registrations._give_back`).
        """
        token = secrets.token_hex(8)
        mark = {f"pending_at.{holder}": now, f"pending_by.{holder}": token}
        counted = await self.capacity.update_one(
            {"_id": capacity_id, "taken": {"$lt": total}, "pending": {"$ne": holder}},
            {"$inc": {"taken": 1}, "$push": {"pending": holder}, "$set": mark},
        )
        if counted.modified_count == 1:
            return Take("counted", token)
        again = await self.capacity.find_one_and_update(
            {"_id": capacity_id, "pending": holder}, {"$set": {f"pending_at.{holder}": now}}
        )
        if again is None:
            return Take("full", token)
        return Take("pending", CapacityDoc.model_validate(again).pending_by.get(holder, ""))

    def recorded(self, capacity_id: str, holder: str) -> None:
        """The holder's own document now records its place: `pending` may forget it. Batched
        by `forget_recorded`, so a submission costs no extra write; until then, and after a
        crash, the job (`Registrations.sweep_pending`) reaches the same result."""
        self._recorded.setdefault(capacity_id, set()).add(holder)

    async def forget_recorded(self) -> int:
        batch, self._recorded = self._recorded, {}
        for done, (capacity_id, holders) in enumerate(batch.items()):
            try:
                await self.forget_pending(capacity_id, sorted(holders))
            except BaseException:  # keep what is left for the next flush
                for cid, left in list(batch.items())[done:]:
                    self._recorded.setdefault(cid, set()).update(left)
                raise
        return sum(len(h) for h in batch.values())

    async def forget_pending_take(self, capacity_id: str, holder: str, token: str) -> None:
        """Forget a holder's pending entry if it is still the take with `token`."""
        await self.capacity.update_one(
            {"_id": capacity_id, f"pending_by.{holder}": token},
            {
                "$pull": {"pending": holder},
                "$unset": {f"pending_at.{holder}": "", f"pending_by.{holder}": ""},
            },
        )

    async def forget_pending(self, capacity_id: str, holders: list[str]) -> None:
        unset = {f"{f}.{h}": "" for h in holders for f in ("pending_at", "pending_by")}
        await self.capacity.update_one(
            {"_id": capacity_id}, {"$pullAll": {"pending": holders}, "$unset": unset}
        )

    async def release_place(self, capacity_id: str, holder: str) -> None:
        """Give back the place a holder held (its caller won the status change that ends it).

        Its `pending` entry, if any, is left to the forget batch or the job: it may be another
        caller's stale take, which that caller still has to drop with its own token."""
        await self.capacity.update_one(
            {"_id": capacity_id, "taken": {"$gt": 0}}, {"$inc": {"taken": -1}}
        )

    async def drop_pending(self, capacity_id: str, holder: str, token: str) -> bool:
        """Give back the place the take with `token` counted, if it is still pending."""
        dropped = await self.capacity.update_one(
            {"_id": capacity_id, "pending": holder, f"pending_by.{holder}": token},
            _give_back(holder),
        )
        return dropped.modified_count == 1

    async def pending_token(self, capacity_id: str, holder: str) -> str | None:
        """The token of the take still pending for `holder`, if any."""
        found = await self.capacity.find_one({"_id": capacity_id, "pending": holder})
        return CapacityDoc.model_validate(found).pending_by.get(holder) if found else None

    async def capacity_counter(self, capacity_id: str) -> tuple[int, list[str]] | None:
        """A counter's places taken and its pending holders."""
        found = await self.capacity.find_one({"_id": capacity_id})
        if found is None:
            return None
        counter = CapacityDoc.model_validate(found)
        return counter.taken, list(counter.pending)

    async def place_holders(self, edition_id: str, offer: str, statuses: list[str]) -> set[str]:
        """Ids of the registrations for `offer` on an edition whose status holds a place."""
        query = {"edition_ids": edition_id, "offer": offer, "status": {"$in": statuses}}
        return {d["_id"] for d in await self.registrations.find(query, {"_id": 1}).to_list()}

    async def pools_holding(self, edition_id: str, statuses: tuple[str, ...]) -> set[str]:
        query = {"edition_id": edition_id, "status": {"$in": list(statuses)}}
        return {d["_id"] for d in await self.pools.find(query, {"_id": 1}).to_list()}

    async def set_taken(self, capacity_id: str, counted: int, held: int) -> bool:
        """Repair a counter, only if it still counts `counted` (nothing moved meanwhile)."""
        done = await self.capacity.update_one(
            {"_id": capacity_id, "taken": counted}, {"$set": {"taken": held}}
        )
        return done.modified_count == 1

    async def holder(self, holder_id: str) -> Holder | None:
        """The registration or the pool a place is taken for (their ids never collide)."""
        return await self.get(holder_id) or await self.get_pool(holder_id)

    async def capacities(self) -> list[CapacityDoc]:
        found = await self.capacity.find({}).sort("_id", ASCENDING).to_list()
        return [CapacityDoc.model_validate(d) for d in found]

    # ------------------------------------------------------------------ pools

    async def insert_pool(self, pool: Doc) -> None:
        await self.pools.insert_one(pool)

    async def get_pool(self, pool_id: str) -> PoolDoc | None:
        return self._pool(await self.pools.find_one({"_id": pool_id}, HIDDEN))

    async def refuse_pool(self, pool_id: str) -> None:
        """Mark a pool that found no stand, unless it opened meanwhile. It is kept, holding
        nothing, so a concurrent settle of its opener learns why rather than finding no pool."""
        await self.pools.update_one(
            {"_id": pool_id, "status": "opening"}, {"$set": {"status": "refused"}}
        )

    async def delete_pool(self, pool_id: str) -> bool:
        """Delete a pool that never opened; False if it has opened meanwhile."""
        deleted = await self.pools.delete_one({"_id": pool_id, "status": "opening"})
        return deleted.deleted_count == 1

    async def add_member(
        self, pool_id: str, registration_id: str, max_members: int, event: CloudEvent[Any]
    ) -> PoolDoc | None:
        """Add a member to an open pool that has room, with its joined event, in one write."""
        return self._pool(
            self._committed(
                self.pools,
                await self.pools.find_one_and_update(
                    {
                        "_id": pool_id,
                        "status": "open",
                        "members": {"$ne": registration_id},
                        f"members.{max_members - 1}": {"$exists": False},
                    },
                    {
                        "$push": {"members": registration_id, OUTBOX_FIELD: outbox_entry(event)},
                        "$set": {OWED_FIELD: True},
                    },
                    return_document=ReturnDocument.AFTER,
                ),
            )
        )

    async def pool_transition(
        self, pool_id: str, from_status: str, set_fields: Doc, events: list[CloudEvent[Any]]
    ) -> PoolDoc | None:
        return self._pool(
            self._committed(
                self.pools,
                await self.pools.find_one_and_update(
                    {"_id": pool_id, "status": from_status},
                    _changes(set_fields, events, None),
                    return_document=ReturnDocument.AFTER,
                ),
            )
        )

    async def remove_member(self, pool_id: str, registration_id: str) -> None:
        await self.pools.update_one({"_id": pool_id}, {"$pull": {"members": registration_id}})

    async def pools_past_deadline(self, now: datetime) -> list[PoolDoc]:
        query = {"status": "open", "deadline": {"$lt": now}}
        return [PoolDoc.model_validate(d) for d in await self.pools.find(query, HIDDEN).to_list()]

    async def members(self, ids: list[str]) -> list[RegistrationDoc]:
        docs = await self._registrations({"_id": {"$in": ids}})
        order = {rid: i for i, rid in enumerate(ids)}
        return sorted(docs, key=lambda d: order[d.id])
