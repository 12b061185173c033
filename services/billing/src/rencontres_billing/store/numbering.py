"""Gap-free numbers from one counter document per series and year (rules in `numbering`).

A number is written by inserting the numbered document (`Documents.issue`/`issue_many`): the
"stamp" of the rules is that insert, refused when the document is there already."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from rencontres_billing.numbering import (
    MISSING,
    Assign,
    BatchClaim,
    DraftState,
    GiveBack,
    Release,
    Series,
    Step,
    counter_id,
    plan_batch,
    resolve,
)
from rencontres_billing.store.documents import Documents

Doc = dict[str, Any]
Stamp = Callable[[str, str, int], Awaitable[bool]]
"""stamp(draft id, counter id, sequence): insert the draft's numbered document unless it is
there; True when this call wrote it."""
StampMany = Callable[[str, str, Sequence[tuple[str, int]]], Awaitable[bool]]
"""stamp_many(counter id, claim token, [(draft id, sequence), ...]): insert the numbered
documents, each unless it is there, and record the events the claim's documents owe (all of
them, even with no stamp left: a writer may have died between its documents and their events);
True when this call wrote every stamp. Called before the claim is released."""


class Numbering:
    """Numbers drafts of one series; `stamp` writes a number (and the events it owes)."""

    def __init__(
        self,
        counters: AsyncCollection[Doc],
        documents: Documents,
        series: Series,
        helper: StampMany,
    ) -> None:
        self._counters = counters
        self._documents = documents
        self._helper = helper
        """How a batch claim another writer left pending is finished."""
        self.series = series
        self._known: set[str] = set()
        self._last: dict[str, int] = {}
        """Each counter's `last` as this process released it: the next batch claims on it
        without reading the counter (a stale value only makes the conditional claim miss)."""

    async def number(self, draft_id: str, year: int, stamp: Stamp, fresh: bool = False) -> None:
        """Give the draft the next number of `year`, helping any pending claim finish first.
        `fresh`: the caller has just inserted the draft, so it skips the first look (a racing
        duplicate that numbered it meanwhile makes this claim give its number back)."""
        counter = counter_id(self.series, year)
        await self._ensure(counter)
        if not fresh and await self._numbering_of(draft_id) is not None:
            # a repeat: its first try may have failed (not crashed) with its batch claim
            # pending, the invoices in but not their events; finish that claim now, rather than
            # at the next claim or the daily run (one read of the counter when none is pending)
            await self._help(counter, stamp)
            return
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
            await self._help(counter, stamp)

    async def number_batch(
        self, batch: str, draft_ids: Sequence[str], year: int, stamp_many: StampMany, stamp: Stamp
    ) -> None:
        """Number, in this order and with one claim on the counter, drafts this writer has
        just inserted with the tag `batch` (any other goes through `number`)."""
        counter = counter_id(self.series, year)
        await self._ensure(counter)
        ids = tuple(dict.fromkeys(draft_ids))
        while ids:
            last = self._last.get(counter)
            if last is None:
                last = await self._help(counter, stamp)
                if last is None:
                    continue  # a claim was pending: helped; look at the counter again
            claim = BatchClaim(batch, ids, last + 1, last + len(ids))
            claimed = await self._counters.update_one(
                {"_id": counter, "pending": None, "last": last},
                {"$set": {"last": claim.last, "pending": claim.stored()}},
            )
            self._last.pop(counter, None)
            if claimed.matched_count:
                await self._finish_batch(counter, claim, stamp_many, drafts_known=True)
                return

    async def recover(self, year: int, stamp: Stamp) -> None:
        """Finish a claim a crashed writer left pending (start-up and each scheduler run)."""
        await self._help(counter_id(self.series, year), stamp)

    async def _help(self, counter: str, stamp: Stamp) -> int | None:
        """Finish the counter's pending claim, if any; the counter's `last` when none was."""
        seen = await self._counters.find_one({"_id": counter})
        if seen is None:
            return None
        pending = seen.get("pending")  # FerretDB's upsert leaves out a `$setOnInsert` of null
        if isinstance(pending, dict):
            await self._finish_batch(counter, BatchClaim.of(pending), self._helper)
        elif pending is not None:
            await self._finish(counter, seen["last"], pending, stamp)
        else:
            return int(seen["last"])
        return None

    async def _finish_batch(
        self, counter: str, claim: BatchClaim, stamp_many: StampMany, drafts_known: bool = False
    ) -> None:
        """Take a pending batch claim to its end (see `plan_batch`): read what its drafts have
        (after the claim: from then on only this claim numbers them), stamp what is left, then
        release, giving back the numbers not used. A stamp refused means a helper wrote it:
        read again. `drafts_known`: the caller inserted the drafts itself, so they exist."""
        while True:
            plan = plan_batch(counter, claim, await self._states(claim, drafts_known))
            if not await stamp_many(counter, claim.token, plan.stamps):
                continue  # a helper wrote some: read what is there now
            last = claim.first + plan.used - 1
            released = await self._counters.update_one(
                {"_id": counter, "pending.claim": claim.token},
                {"$set": {"pending": None, "last": last}},
            )
            if released.matched_count:
                self._last[counter] = last
            return

    async def _states(self, claim: BatchClaim, drafts_known: bool) -> dict[str, DraftState]:
        """What the claim's drafts hold, read by the claim's token (an equality FerretDB hands
        to PostgreSQL): every draft of a claim carries it, and so does its numbered document,
        whoever numbered it. A claim left pending by the version before drafts were tagged
        names untagged ones (moved at start-up, or numbered in place): those few are read by
        id, as counting them missing would give back numbers they hold."""
        numbered = await self._documents.numbered_of(claim.token)
        drafts = set(claim.ids) if drafts_known else await self._documents.draft_ids_of(claim.token)
        states: dict[str, DraftState] = {}
        for draft_id in claim.ids:
            if draft_id in drafts:
                states[draft_id] = numbered.get(draft_id)
            elif draft_id not in states:
                states[draft_id] = await self._untagged(draft_id)
        return states

    async def _untagged(self, draft_id: str) -> DraftState:
        try:
            return await self._documents.numbering_of(draft_id)
        except LookupError:
            return MISSING

    async def counters(self) -> list[Doc]:
        return await self._counters.find({"_id": {"$regex": f"^{self.series}-"}}).to_list()

    async def _ensure(self, counter: str) -> None:
        if counter not in self._known:
            await self._counters.update_one(
                {"_id": counter}, {"$setOnInsert": {"last": 0, "pending": None}}, upsert=True
            )
            self._known.add(counter)

    async def _numbering_of(self, draft_id: str) -> tuple[str, int] | None:
        return await self._documents.numbering_of(draft_id)

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
