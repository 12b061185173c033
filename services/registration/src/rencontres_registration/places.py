"""The capacity token protocol: a take is counted with the holder written into `pending`,
the holder's document records the take's token with the status that holds the place, and
a take nobody records is given back (at once by its taker, or by the job).
"""

from rencontres_registration.core import (
    ABANDON_GRACE,
    PLACING_GRACE,
    Core,
    _records_take,
)
from rencontres_registration.domain import (
    Resource,
    capacity_id,
    capacity_of,
)
from rencontres_registration.store import (
    Take,
)


class Places(Core):
    async def ensure_capacity(self) -> None:
        for edition in self.catalog.editions.values():
            for resource in ("stand", "student_pass"):
                total = capacity_of(edition, resource)
                cid = capacity_id(edition.id, resource)
                await self.store.places.ensure_capacity(cid, edition.id, resource, total)

    async def _give_back(
        self,
        holder: str,
        edition_id: str,
        resource: Resource | None,
        take: Take | None,
        reallocate: bool = True,
    ) -> None:
        """Undo a take whose status change lost, unless the holder's document records that
        take all the same (a concurrent caller, which learnt its token, wrote the status)."""
        if resource is None or not take:
            return
        if await self._recorded_token(holder) == take.token:
            return
        cid = capacity_id(edition_id, resource)
        if await self.store.places.drop_pending(cid, holder, take.token) and reallocate:
            await self.allocate(edition_id, resource)  # someone may have been waitlisted meanwhile

    async def _recorded_token(self, holder: str) -> str | None:
        """The take a registration or a pool records holding a place with, if any."""
        doc = await self.store.holder(holder)
        return doc.place_token if doc else None

    async def sweep_pending(self) -> int:
        """Settle pending places older than PLACING_GRACE (a crash left them): forget the take
        its holder's document records (its cancellation gives that place back), give back any
        other — a take nobody recorded, or an extra one from a stale read. A holder with no
        document at all is given up on only after ABANDON_GRACE, so a slow insert is not
        overtaken."""
        settled = 0
        now = self._now()
        for capacity in await self.store.places.capacities():
            tokens = capacity.pending_by
            for holder, since in capacity.pending_at.items():
                token = tokens.get(holder, "")
                if since > now - PLACING_GRACE:
                    continue  # being taken right now
                doc = await self.store.holder(holder)
                if doc is not None and doc.status in ("placing", "opening"):
                    continue  # the resumed placement finishes it
                if doc is None and since > now - ABANDON_GRACE:
                    continue  # its insert may still land
                if doc is not None and _records_take(doc, token):
                    await self.store.places.forget_pending_take(capacity.id, holder, token)
                else:
                    await self.store.places.drop_pending(capacity.id, holder, token)
                settled += 1
        return settled
