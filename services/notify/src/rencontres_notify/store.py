"""The only code that talks to the notify database: the delivery log."""

from datetime import UTC, datetime
from typing import Any, Literal

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

Doc = dict[str, Any]
Channel = Literal["email", "sms"]


class DeliveryLog:
    """One document per (event, recipient, channel): the unique `_id` stops a second send."""

    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.deliveries = db["deliveries"]
        self.processed = db["processed_events"]

    async def create_indexes(self) -> None:
        await self.deliveries.create_index([("registration_id", ASCENDING)])
        await self.deliveries.create_index([("status", ASCENDING)])

    async def claim(self, delivery_id: str, record: Doc) -> bool:
        """True when this delivery is ours to send: new, or an earlier attempt did not finish."""
        now = datetime.now(UTC)
        try:
            await self.deliveries.insert_one(
                {
                    "_id": delivery_id,
                    **record,
                    "status": "sending",
                    "attempts": 1,
                    "created_at": now,
                }
            )
            return True
        except DuplicateKeyError:
            existing = await self.deliveries.find_one_and_update(
                {"_id": delivery_id, "status": {"$nin": ["sent", "erased"]}},
                {"$inc": {"attempts": 1}, "$set": {"status": "sending"}},
            )
            return existing is not None

    async def mark(
        self, delivery_id: str, status: Literal["sent", "failed"], detail: str = ""
    ) -> None:
        await self.deliveries.update_one(
            {"_id": delivery_id},
            {"$set": {"status": status, "detail": detail[:500], "updated_at": datetime.now(UTC)}},
        )

    async def erase(self, registration_id: str) -> int:
        """Forget where this registration's messages went, keeping that they were sent and when.

        A delivery that had not gone out yet becomes `erased`, so no retry sends it.
        Returns how many deliveries were touched.
        """
        now = datetime.now(UTC)
        blank = {"to": "", "detail": "", "erased_at": now, "updated_at": now}
        unsent = await self.deliveries.update_many(
            {"registration_id": registration_id, "status": {"$ne": "sent"}},
            {"$set": {**blank, "status": "erased"}},
        )
        sent = await self.deliveries.update_many(
            {"registration_id": registration_id, "status": "sent"}, {"$set": blank}
        )
        return unsent.modified_count + sent.modified_count

    async def for_registration(self, registration_id: str) -> list[Doc]:
        return await self.deliveries.find({"registration_id": registration_id}).to_list()
