"""Send groups: the deliveries one consumer batch recorded to send at once, under one lease.

Why a group has a document of its own: recording each acceptance on its delivery was one
update per email, the write FerretDB does slowest (an `update_many` by the lease token still
rewrote every document: about 1.1 ms of FerretDB and PostgreSQL CPU per email during a drain,
more than a third of the platform's CPU per email). A group is recorded instead:

    open ──every email of it accepted or settled──▶ sent (the accepted ids, one write)
      └──its lease ran out (a crash)──▶ released (its deliveries due again, one by one)

Its deliveries are inserted `sending` with `group` set to its token and no `due_at` (the
group's is their lease): what is still `sending` in a group recorded `sent` was accepted, and
every reader of a delivery's status resolves it here (`resolve`). Any other outcome of a
member (a refusal, a retry, an SMS, an acceptance whose event the broker did not take) is
written on the delivery itself, which leaves `sending`, as before.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

Doc = dict[str, Any]


def grouped(doc: Doc) -> bool:
    """Still `sending` under its group: its status is the group's to tell."""
    return doc.get("status") == "sending" and "group" in doc


class SendGroups:
    def __init__(self, collection: AsyncCollection[Doc]) -> None:
        self.collection = collection

    async def create_indexes(self) -> None:
        await self.collection.create_index([("status", ASCENDING), ("due_at", ASCENDING)])

    async def open(self, token: str, now: datetime, until: datetime) -> None:
        """Before its deliveries are inserted: a crash between the two leaves an empty group,
        released when its lease runs out; never a delivery without its group."""
        await self.collection.insert_one(
            {"_id": token, "status": "open", "due_at": until, "created_at": now}
        )

    async def sent(self, token: str, ids: list[str], now: datetime) -> bool:
        """Record the group's accepted emails, in one write; False when its lease ran out and
        it was released (its deliveries are someone else's now)."""
        result = await self.collection.update_one(
            {"_id": token, "status": "open"},
            {
                "$set": {"status": "sent", "ids": ids, "count": len(ids), "sent_at": now},
                "$unset": {"due_at": ""},
            },
        )
        return result.modified_count == 1

    async def expired(self, now: datetime, limit: int) -> list[str]:
        """Open groups whose lease ran out (the status an equality FerretDB hands PostgreSQL;
        open groups are few: those being sent)."""
        cursor = self.collection.find({"status": "open", "due_at": {"$lte": now}}, {"_id": 1})
        return [d["_id"] async for d in cursor.limit(limit)]

    async def released(self, token: str, now: datetime) -> None:
        await self.collection.update_one(
            {"_id": token, "status": "open"},
            {"$set": {"status": "released", "released_at": now}, "$unset": {"due_at": ""}},
        )

    async def sent_count(self) -> int:
        """Emails recorded sent by their group (every accepted member is an email)."""
        cursor = self.collection.find({"status": "sent"}, {"_id": 0, "count": 1})
        return sum([d.get("count", 0) async for d in cursor])

    async def resolve(self, docs: Iterable[Doc]) -> list[Doc]:
        """The deliveries as their status really is: one still `sending` in a group recorded
        sent is `sent` (at the group's time) if it was among the accepted."""
        docs = list(docs)
        tokens = {d["group"] for d in docs if grouped(d)}
        groups = {}
        for token in tokens:  # a few per registration: one lookup each, by `_id`
            group = await self.collection.find_one({"_id": token, "status": "sent"})
            if group is not None:
                groups[token] = (set(group["ids"]), group["sent_at"])
        resolved = []
        for doc in docs:
            accepted, at = groups.get(doc.get("group", ""), ((), None))
            if grouped(doc) and doc["_id"] in accepted:
                doc = {k: v for k, v in doc.items() if k not in ("lease", "group")}
                doc.update(status="sent", sent_at=at, updated_at=at)
            resolved.append(doc)
        return resolved
