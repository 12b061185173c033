"""The only code that talks to the notify database, with `groups.py` (send groups).

`deliveries`: one document per message (see `deliveries.py` for its lifecycle), holding what
to send (rendered once, at record time), where, its status, attempts, lease and schedule, and
the events it owes the ops dashboard (`delivery.sent.v1` / `delivery.failed.v1`) in an embedded
outbox written in the same update as the status. `sms_opt_outs`: numbers that answered STOP.
`sms_daily`: SMS counted per number and Paris day. `send_groups` (`groups.py`): the
deliveries recorded together to send at once, and which of them were accepted.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from rencontres_kit.mongo import insert_new
from rencontres_kit.outbox import OUTBOX_FIELD, OWED_FIELD

from rencontres_notify.deliveries import DUE, FINAL, GROUPED, Status
from rencontres_notify.groups import SendGroups

Doc = dict[str, Any]
Entry = dict[str, Any]


class DeliveryStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.deliveries = db["deliveries"]
        self.processed = db["processed_events"]
        self.opt_outs = db["sms_opt_outs"]
        self.daily = db["sms_daily"]
        self.groups = SendGroups(db["send_groups"])

    async def create_indexes(self) -> None:
        await self.deliveries.create_index([("registration_ids", ASCENDING)])
        await self.deliveries.create_index([("due_at", ASCENDING)])
        await self.deliveries.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
        await self.deliveries.create_index([("dead_letter_owed", ASCENDING)])
        await self.deliveries.create_index([(OWED_FIELD, ASCENDING)])
        await self.deliveries.create_index([("lease", ASCENDING)])
        await self.deliveries.create_index([("group", ASCENDING)])
        await self.groups.create_indexes()

    async def record_many(self, docs: list[Doc]) -> list[Doc]:
        """Record several deliveries in one insert; those that were new (the others were
        recorded before: a redelivered event)."""
        return await insert_new(self.deliveries, docs)

    async def due(self, now: datetime, limit: int, statuses: Iterable[Status] = DUE) -> list[str]:
        """Ids of deliveries to try now: pending, retry time reached, or lease run out; the
        most overdue first.

        One query per due status, by equality: FerretDB hands an equality to PostgreSQL but
        runs a range (`due_at <= now`) itself, on every document it reads. A range alone made
        it read and parse the whole delivery log every second; the status keeps it to the
        deliveries still open (MongoDB uses the `(status, due_at)` index)."""
        found: list[Doc] = []
        for status in statuses:
            cursor = self.deliveries.find(
                {"status": status, "due_at": {"$lte": now}}, {"_id": 1, "due_at": 1}
            )
            found += await cursor.sort("due_at", ASCENDING).limit(limit).to_list()
        found.sort(key=lambda d: d["due_at"])
        return [d["_id"] for d in found[:limit]]

    async def claim(
        self, delivery_id: str, token: str, now: datetime, lease: timedelta
    ) -> Doc | None:
        """Take a due delivery for one attempt, until `now + lease`; the document as it was
        before (its `status` says whether a lease was taken over), or None if not ours."""
        return await self.deliveries.find_one_and_update(
            {"_id": delivery_id, "status": {"$in": list(DUE)}, "due_at": {"$lte": now}},
            {
                "$set": {"status": "sending", "lease": token, "due_at": now + lease},
                "$inc": {"attempts": 1},
                "$unset": {"group": ""},  # a lease of its own from now on
            },
            return_document=ReturnDocument.BEFORE,
        )

    async def defer(self, delivery_id: str, token: str, until: datetime, why: str) -> None:
        """Give a claimed delivery back without counting the attempt (quiet hours)."""
        await self.deliveries.update_one(
            {"_id": delivery_id, "lease": token},
            {
                "$set": {"status": "pending", "due_at": until, "deferred": why},
                "$inc": {"attempts": -1},
                "$unset": {"group": ""},
            },
        )

    async def sent(
        self, delivery_id: str, now: datetime, extra: Doc, event: Entry | None = None
    ) -> bool:
        """Record the acceptance, and its `delivery.sent.v1` in the same write unless it is
        published already (see `Dispatcher._published`)."""
        return await self._final(delivery_id, "sent", now, {"sent_at": now, **extra}, event)

    async def release_group(self, token: str, now: datetime) -> int:
        """A group whose lease ran out: out of `open` first (a late sender's write on it is
        then refused), then what is still `grouped` in it becomes `sending` and due now, to be
        taken over one by one like any lease run out (a copy may leave twice, counted)."""
        if not await self.groups.releasing(token):
            return 0  # recorded sent first: its sender was only late
        freed = await self.free_members(token, now, "sending")
        await self.groups.released(token, now)
        return freed

    async def free_members(self, token: str, now: datetime, status: Status) -> int:
        """The group's members still `grouped`, made `status` and due now, each on its own."""
        fields: Doc = {"status": status, "due_at": now, "updated_at": now}
        if status == "pending":  # never tried: the claim counts the first attempt
            fields["attempts"] = 0
        result = await self.deliveries.update_many(
            {"group": token, "status": GROUPED}, {"$set": fields, "$unset": {"group": ""}}
        )
        return result.modified_count

    async def retry(
        self,
        delivery_id: str,
        token: str,
        at: datetime,
        error: str,
        now: datetime,
        maybe_sent: bool,
    ) -> None:
        """Schedule the next attempt; `maybe_sent` when this one may have got through."""
        fields = {"status": "retrying", "due_at": at, "last_error": error, "updated_at": now}
        await self.deliveries.update_one(
            {"_id": delivery_id, "lease": token},
            {"$set": {**fields, "maybe_sent": maybe_sent}, "$unset": {"group": ""}},
        )

    async def failed(self, delivery_id: str, error: str, now: datetime, event: Entry) -> bool:
        """Record a permanent failure, its `delivery.failed.v1`, and that a dead letter is owed."""
        return await self._final(
            delivery_id,
            "failed",
            now,
            {"last_error": error, "failed_at": now, "dead_letter_owed": True},
            event,
        )

    async def suppressed(self, delivery_id: str, why: str, now: datetime) -> None:
        await self._final(delivery_id, "suppressed", now, {"last_error": why}, None)

    async def _final(
        self, delivery_id: str, status: str, now: datetime, fields: Doc, event: Entry | None
    ) -> bool:
        update: Doc = {
            "$set": {"status": status, "updated_at": now, **fields},
            "$unset": {"due_at": "", "lease": "", "group": ""},
        }
        if event is not None:
            update["$push"] = {OUTBOX_FIELD: event}
            update["$set"][OWED_FIELD] = True
        result = await self.deliveries.update_one(
            {"_id": delivery_id, "status": {"$nin": list(FINAL)}}, update
        )
        return result.modified_count == 1

    async def dead_letters_owed(self, limit: int = 50) -> list[Doc]:
        return await self.deliveries.find({"dead_letter_owed": True}).limit(limit).to_list()

    async def dead_lettered(self, delivery_id: str) -> None:
        await self.deliveries.update_one(
            {"_id": delivery_id}, {"$set": {"dead_letter_owed": False}}
        )

    async def mark_maybe_sent(self, delivery_id: str, token: str) -> None:
        """This attempt took over a lease: the one before it may have sent a copy."""
        await self.deliveries.update_one(
            {"_id": delivery_id, "lease": token}, {"$set": {"maybe_sent": True}}
        )

    async def delivery_summaries(self, statuses: Iterable[str]) -> list[Doc]:
        """Channel, status and deferral of every delivery in one of `statuses`, for the figures:
        one query per status (an equality, which FerretDB hands PostgreSQL)."""
        fields = {"_id": 0, "channel": 1, "status": 1, "deferred": 1, "maybe_sent": 1}
        found: list[Doc] = []
        for status in statuses:
            found += await self.deliveries.find(
                {"status": status}, fields, batch_size=5000
            ).to_list()
            if status == "sent":  # and those a group recorded sent (first attempts, emails)
                found += [{"channel": "email", "status": "sent"}] * await self.groups.sent_count()
        return found

    async def get(self, delivery_id: str) -> Doc | None:
        doc = await self.deliveries.find_one({"_id": delivery_id})
        return None if doc is None else (await self.groups.resolve([doc]))[0]

    async def for_registration(self, registration_id: str) -> list[Doc]:
        cursor = self.deliveries.find({"registration_ids": registration_id})
        return await self.groups.resolve(await cursor.sort("created_at", ASCENDING).to_list())

    async def erase(self, registration_id: str, now: datetime) -> int:
        """Forget where this registration's messages went and what they said, keeping that
        they were sent and when. One not gone out yet becomes `erased`: no retry sends it."""
        blank = {
            "to": "",
            "content": {},
            "event": "",
            "last_error": "",
            "erased_at": now,
            "updated_at": now,
        }
        erased = 0
        for doc in await self.for_registration(registration_id):  # a handful: one write each
            if doc["status"] != "sent":  # not gone out: never will
                unset = {"due_at": "", "lease": "", "group": ""}
                result = await self.deliveries.update_one(
                    {"_id": doc["_id"], "status": {"$ne": "sent"}},
                    {"$set": {**blank, "status": "erased"}, "$unset": unset},
                )
                if result.modified_count:
                    erased += 1
                    continue
            # sent (a group's accepted member stays as its group says), or just recorded sent
            # by an attempt of its own between the read and the write above
            result = await self.deliveries.update_one({"_id": doc["_id"]}, {"$set": blank})
            erased += result.modified_count
        return erased

    async def provider_status(self, delivery_id: str, status: str, now: datetime) -> bool:
        """What the SMS provider's status callback said about a sent message."""
        result = await self.deliveries.update_one(
            {"_id": delivery_id}, {"$set": {"provider_status": status, "updated_at": now}}
        )
        return result.matched_count == 1

    async def opt_out(self, number: str, now: datetime) -> None:
        await self.opt_outs.update_one({"_id": number}, {"$setOnInsert": {"at": now}}, upsert=True)

    async def opted_out(self, number: str) -> bool:
        return await self.opt_outs.find_one({"_id": number}, {"_id": 1}) is not None

    async def counted(self, delivery_id: str) -> None:
        """This SMS counts against its number's daily cap already: a retry counts it no more."""
        await self.deliveries.update_one({"_id": delivery_id}, {"$set": {"counted": True}})

    async def count_sms(self, number: str, day: str, cap: int) -> bool:
        """Count one SMS to `number` on `day`; False when the day's cap is already reached."""
        key = f"{number}:{day}"
        below_cap = {"_id": key, "count": {"$lt": cap}}
        try:
            await self.daily.find_one_and_update(below_cap, {"$inc": {"count": 1}}, upsert=True)
        except DuplicateKeyError:
            # the day's document exists: at the cap, or another sender inserted it first (two
            # concurrent upserts on MongoDB); counting again without upsert tells them apart
            counted = await self.daily.find_one_and_update(below_cap, {"$inc": {"count": 1}})
            return counted is not None
        return True
