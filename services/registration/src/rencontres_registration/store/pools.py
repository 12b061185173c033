"""The `pools` collection: shared stands, their members and the pool's own outbox."""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from rencontres_contracts import CloudEvent
from rencontres_kit.outbox import OUTBOX_FIELD, OWED_FIELD, outbox_entry

from rencontres_registration.documents import PoolDoc
from rencontres_registration.store.common import HIDDEN, Committed, Doc, changes


class PoolsStore:
    def __init__(self, db: AsyncDatabase[Doc], committed: Committed) -> None:
        self.collection = db["pools"]
        self._committed = committed

    async def create_indexes(self) -> None:
        await self.collection.create_index([("status", ASCENDING)])

    def _pool(self, doc: Doc | None) -> PoolDoc | None:
        return PoolDoc.model_validate(doc) if doc is not None else None

    async def pools_holding(self, edition_id: str, statuses: tuple[str, ...]) -> set[str]:
        query = {"edition_id": edition_id, "status": {"$in": list(statuses)}}
        return {d["_id"] for d in await self.collection.find(query, {"_id": 1}).to_list()}

    async def insert_pool(self, pool: Doc) -> None:
        await self.collection.insert_one(pool)

    async def get_pool(self, pool_id: str) -> PoolDoc | None:
        return self._pool(await self.collection.find_one({"_id": pool_id}, HIDDEN))

    async def refuse_pool(self, pool_id: str) -> None:
        """Mark a pool that found no stand, unless it opened meanwhile. It is kept, holding
        nothing, so a concurrent settle of its opener learns why rather than finding no pool."""
        await self.collection.update_one(
            {"_id": pool_id, "status": "opening"}, {"$set": {"status": "refused"}}
        )

    async def delete_pool(self, pool_id: str) -> bool:
        """Delete a pool that never opened; False if it has opened meanwhile."""
        deleted = await self.collection.delete_one({"_id": pool_id, "status": "opening"})
        return deleted.deleted_count == 1

    async def add_member(
        self, pool_id: str, registration_id: str, max_members: int, event: CloudEvent[Any]
    ) -> PoolDoc | None:
        """Add a member to an open pool that has room, with its joined event, in one write."""
        return self._pool(
            self._committed(
                self.collection,
                await self.collection.find_one_and_update(
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
                self.collection,
                await self.collection.find_one_and_update(
                    {"_id": pool_id, "status": from_status},
                    changes(set_fields, events, None),
                    return_document=ReturnDocument.AFTER,
                ),
            )
        )

    async def remove_member(self, pool_id: str, registration_id: str) -> None:
        await self.collection.update_one({"_id": pool_id}, {"$pull": {"members": registration_id}})

    async def pools_past_deadline(self, now: datetime) -> list[PoolDoc]:
        query = {"status": "open", "deadline": {"$lt": now}}
        return [
            PoolDoc.model_validate(d) for d in await self.collection.find(query, HIDDEN).to_list()
        ]
