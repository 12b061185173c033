"""The `capacity` collection: one small document per edition and kind of place, `taken` of
`total`, and the holders `pending` between taking a place and recording it in their own
document. A place moves with one conditional write of its counter."""

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from rencontres_registration.documents import CapacityDoc
from rencontres_registration.store.common import Doc

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


def _give_back(holder: str) -> dict[str, Any]:
    return {
        "$inc": {"taken": -1},
        "$pull": {"pending": holder},
        "$unset": {f"pending_at.{holder}": "", f"pending_by.{holder}": ""},
    }


class PlacesStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.collection = db["capacity"]
        self._recorded: dict[str, set[str]] = {}

    async def ensure_capacity(
        self, capacity_id: str, edition_id: str, resource: str, total: int
    ) -> None:
        """Create or resize a counter from the catalog; the places taken are never touched."""
        await self.collection.update_one(
            {"_id": capacity_id},
            {
                "$set": {"edition_id": edition_id, "resource": resource, "total": total},
                "$setOnInsert": {"taken": 0},  # `pending` comes with its first $push
            },
            upsert=True,
        )
        old = await self.collection.find_one({"_id": capacity_id, "taken": {"$exists": False}})
        if old is not None:  # a counter written before `taken` existed: one array per holder
            holders = old.get("holders", [])
            await self.collection.update_one(  # once: another replica may have done it already
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
        counted = await self.collection.update_one(
            {"_id": capacity_id, "taken": {"$lt": total}, "pending": {"$ne": holder}},
            {"$inc": {"taken": 1}, "$push": {"pending": holder}, "$set": mark},
        )
        if counted.modified_count == 1:
            return Take("counted", token)
        again = await self.collection.find_one_and_update(
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
        await self.collection.update_one(
            {"_id": capacity_id, f"pending_by.{holder}": token},
            {
                "$pull": {"pending": holder},
                "$unset": {f"pending_at.{holder}": "", f"pending_by.{holder}": ""},
            },
        )

    async def forget_pending(self, capacity_id: str, holders: list[str]) -> None:
        unset = {f"{f}.{h}": "" for h in holders for f in ("pending_at", "pending_by")}
        await self.collection.update_one(
            {"_id": capacity_id}, {"$pullAll": {"pending": holders}, "$unset": unset}
        )

    async def release_place(self, capacity_id: str, holder: str) -> None:
        """Give back the place a holder held (its caller won the status change that ends it).

        Its `pending` entry, if any, is left to the forget batch or the job: it may be another
        caller's stale take, which that caller still has to drop with its own token."""
        await self.collection.update_one(
            {"_id": capacity_id, "taken": {"$gt": 0}}, {"$inc": {"taken": -1}}
        )

    async def drop_pending(self, capacity_id: str, holder: str, token: str) -> bool:
        """Give back the place the take with `token` counted, if it is still pending."""
        dropped = await self.collection.update_one(
            {"_id": capacity_id, "pending": holder, f"pending_by.{holder}": token},
            _give_back(holder),
        )
        return dropped.modified_count == 1

    async def pending_token(self, capacity_id: str, holder: str) -> str | None:
        """The token of the take still pending for `holder`, if any."""
        found = await self.collection.find_one({"_id": capacity_id, "pending": holder})
        return CapacityDoc.model_validate(found).pending_by.get(holder) if found else None

    async def capacity_counter(self, capacity_id: str) -> tuple[int, list[str]] | None:
        """A counter's places taken and its pending holders."""
        found = await self.collection.find_one({"_id": capacity_id})
        if found is None:
            return None
        counter = CapacityDoc.model_validate(found)
        return counter.taken, list(counter.pending)

    async def set_taken(self, capacity_id: str, counted: int, held: int) -> bool:
        """Repair a counter, only if it still counts `counted` (nothing moved meanwhile)."""
        done = await self.collection.update_one(
            {"_id": capacity_id, "taken": counted}, {"$set": {"taken": held}}
        )
        return done.modified_count == 1

    async def capacities(self) -> list[CapacityDoc]:
        found = await self.collection.find({}).sort("_id", ASCENDING).to_list()
        return [CapacityDoc.model_validate(d) for d in found]
