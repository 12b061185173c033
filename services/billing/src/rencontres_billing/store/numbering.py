"""Gap-free numbers from one counter document per series and year (rules in `numbering`)."""

from collections.abc import Awaitable, Callable
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from rencontres_billing.numbering import (
    Assign,
    GiveBack,
    Release,
    Series,
    Step,
    counter_id,
    resolve,
)

Doc = dict[str, Any]
Stamp = Callable[[str, str, int], Awaitable[bool]]
"""stamp(draft id, counter id, sequence): write the number into the draft if it has none;
True when this call wrote it."""


class Numbering:
    """Numbers drafts of one series; `stamp` writes a number (and the events it owes)."""

    def __init__(
        self, counters: AsyncCollection[Doc], drafts: AsyncCollection[Doc], series: Series
    ) -> None:
        self._counters = counters
        self._drafts = drafts
        self.series = series
        self._known: set[str] = set()

    async def number(self, draft_id: str, year: int, stamp: Stamp, fresh: bool = False) -> None:
        """Give the draft the next number of `year`, helping any pending claim finish first.
        `fresh`: the caller has just inserted the draft, so it skips the first look (a racing
        duplicate that numbered it meanwhile makes this claim give its number back)."""
        counter = counter_id(self.series, year)
        await self._ensure(counter)
        while fresh or await self._numbering_of(draft_id) is None:
            fresh = False
            claimed = await self._counters.find_one_and_update(
                {"_id": counter, "pending": None},
                {"$inc": {"last": 1}, "$set": {"pending": draft_id}},
                return_document=ReturnDocument.AFTER,
            )
            if claimed is not None:
                # our own claim: the draft had no number a moment ago, so try to stamp at once
                if await self._finish(counter, claimed["last"], draft_id, stamp, fresh=True):
                    return
                continue
            seen = await self._counters.find_one({"_id": counter})
            if seen is not None and seen["pending"] is not None:
                await self._finish(counter, seen["last"], seen["pending"], stamp)

    async def recover(self, year: int, stamp: Stamp) -> None:
        """Finish a claim a crashed writer left pending (start-up and each scheduler run)."""
        counter = counter_id(self.series, year)
        seen = await self._counters.find_one({"_id": counter})
        if seen is not None and seen["pending"] is not None:
            await self._finish(counter, seen["last"], seen["pending"], stamp)

    async def counters(self) -> list[Doc]:
        return await self._counters.find({"_id": {"$regex": f"^{self.series}-"}}).to_list()

    async def _ensure(self, counter: str) -> None:
        if counter not in self._known:
            await self._counters.update_one(
                {"_id": counter}, {"$setOnInsert": {"last": 0, "pending": None}}, upsert=True
            )
            self._known.add(counter)

    async def _numbering_of(self, draft_id: str) -> tuple[str, int] | None:
        doc = await self._drafts.find_one({"_id": draft_id}, {"numbering": 1})
        if doc is None:
            raise LookupError(f"no draft {draft_id} to number")
        numbering = doc.get("numbering")
        return (numbering["counter"], numbering["sequence"]) if numbering else None

    async def _finish(
        self, counter: str, last: int, draft_id: str, stamp: Stamp, fresh: bool = False
    ) -> bool:
        """Take the pending claim `(draft_id, last)` to its end; True when this call stamped
        the number. Every write is conditional (the stamp on the draft having no number, the
        release on the counter still holding this claim), so helpers racing each other agree:
        while the draft has no number, nobody can have released or given back its claim."""
        claim = {"_id": counter, "pending": draft_id, "last": last}
        step: Step = Assign(last)
        while True:
            if not fresh:
                try:
                    step = resolve(counter, last, await self._numbering_of(draft_id))
                except LookupError:
                    step = GiveBack()  # a claim for a draft that does not exist
            fresh = False
            if isinstance(step, Assign):
                if await stamp(draft_id, counter, step.sequence):
                    await self._counters.update_one(claim, {"$set": {"pending": None}})
                    return True
                continue  # stamped by a helper, or numbered by an earlier claim: look again
            if isinstance(step, Release):
                await self._counters.update_one(claim, {"$set": {"pending": None}})
            else:
                await self._counters.update_one(
                    claim, {"$inc": {"last": -1}, "$set": {"pending": None}}
                )
            return False
