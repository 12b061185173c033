"""Send groups: the deliveries one consumer batch recorded to send at once, under one lease.

Why a group has a document of its own: recording each acceptance on its delivery was one
update per email, the write FerretDB does slowest (an `update_many` by the lease token still
rewrote every document: about 1.1 ms of FerretDB and PostgreSQL CPU per email during a drain,
more than a third of the platform's CPU per email). A group is recorded instead:

    open ──its sends done──▶ sent (the accepted ids, one write; none accepted: an empty list)
      └──its lease ran out (a crash, a stall)──▶ releasing ──members due again──▶ released

Its deliveries are stored `grouped`, with `group` set to its token and no `due_at` (the
group's lease is theirs). No scan looks for `grouped`: what is still `grouped` in a group
recorded `sent` was accepted, and every reader of a delivery's status resolves it here
(`resolve`). Any other outcome of a member (a refusal, a retry, an SMS, an acceptance whose
event the broker did not take) is written on the delivery itself, which leaves `grouped`.
A release first takes the group out of `open` (so a late sender's write on it is refused and
it records its acceptances on the deliveries instead), then makes its members `sending` and
due, to be taken over one by one, then marks it `released`; a crash in between leaves it
`releasing`, which the next lease scan finishes.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from rencontres_notify.deliveries import GROUPED

Doc = dict[str, Any]


def grouped(doc: Doc) -> bool:
    """A member whose status is its group's to tell."""
    return doc.get("status") == GROUPED


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
        """Record the group's accepted emails (maybe none), in one write; False when its
        release began (its lease ran out: its deliveries are someone else's now)."""
        result = await self.collection.update_one(
            {"_id": token, "status": "open"},
            {
                "$set": {"status": "sent", "ids": ids, "count": len(ids), "sent_at": now},
                "$unset": {"due_at": ""},
            },
        )
        return result.modified_count == 1

    async def expired(self, now: datetime, limit: int) -> list[str]:
        """Groups whose lease ran out, open or left releasing by a crash (their status an
        equality FerretDB hands PostgreSQL; such groups are few: those being sent)."""
        found: list[str] = []
        for status in ("releasing", "open"):
            cursor = self.collection.find({"status": status, "due_at": {"$lte": now}}, {"_id": 1})
            found += [d["_id"] async for d in cursor.limit(limit)]
        return found[:limit]

    async def releasing(self, token: str) -> bool:
        """Take the group out of `open` for its release; False when it was recorded `sent`
        first (its sender was only late), or released already."""
        result = await self.collection.update_one(
            {"_id": token, "status": {"$in": ["open", "releasing"]}},
            {"$set": {"status": "releasing"}},
        )
        return result.matched_count == 1

    async def released(self, token: str, now: datetime) -> None:
        await self.collection.update_one(
            {"_id": token, "status": "releasing"},
            {"$set": {"status": "released", "released_at": now}, "$unset": {"due_at": ""}},
        )

    async def is_open(self, token: str) -> bool:
        group = await self.collection.find_one({"_id": token}, {"status": 1})
        return group is not None and group["status"] == "open"

    async def sent_count(self) -> int:
        """Emails recorded sent by their group (every accepted member is an email)."""
        cursor = self.collection.find({"status": "sent"}, {"_id": 0, "count": 1})
        return sum([d.get("count", 0) async for d in cursor])

    async def resolve(self, docs: Iterable[Doc]) -> list[Doc]:
        """The deliveries as readers see them: a member is `sent` (at its group's time) if its
        group recorded it accepted, `sending` otherwise (its group is still out)."""
        docs = list(docs)
        tokens = {d["group"] for d in docs if grouped(d)}
        groups = {}
        for token in tokens:  # a few per registration: one lookup each, by `_id`
            group = await self.collection.find_one({"_id": token, "status": "sent"})
            if group is not None:
                groups[token] = (set(group["ids"]), group["sent_at"])
        resolved = []
        for doc in docs:
            if grouped(doc):
                accepted, at = groups.get(doc["group"], ((), None))
                doc = {**doc, "status": "sending"}
                if doc["_id"] in accepted:
                    doc = {k: v for k, v in doc.items() if k not in ("lease", "group")}
                    doc.update(status="sent", sent_at=at, updated_at=at)
            resolved.append(doc)
        return resolved
