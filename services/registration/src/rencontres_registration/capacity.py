"""Capacity reconciliation: recount each edition's places from who holds them, and repair a
counter that drifted.

The counter (`capacity.taken`) moves with single-document writes next to the registrations'
own status changes; a process that dies between a cancellation's status change and giving
the place back leaves a place counted forever. This recounts the places from the documents
that hold them (registrations that hold a place, pools that hold a stand, takes still
pending) and sets the counter to that number.

A recount races with live takes and releases, so a drift is repaired only once it has been
seen twice with the counter unchanged: by two periodic runs (`reconcile()`), or, on staff
demand (`reconcile(now=True)`), by two looks a moment apart. A release in flight between
two looks changes the counter, and the drift is left for the next run.
"""

import asyncio
from dataclasses import dataclass

from rencontres_registration.catalog import Catalog
from rencontres_registration.domain import HOLDS_A_PLACE, Resource, capacity_id
from rencontres_registration.store import RegistrationStore

POOL_HOLDS_A_STAND = ("open", "closed")
RESOURCES: tuple[Resource, ...] = ("stand", "student_pass")


@dataclass(frozen=True)
class Drift:
    capacity_id: str
    counted: int
    held: int
    repaired: bool


class CapacityReconciler:
    def __init__(self, catalog: Catalog, store: RegistrationStore, pause: float = 0.5) -> None:
        self.catalog = catalog
        self.store = store
        self.pause = pause
        self._seen: dict[str, tuple[int, int]] = {}

    async def reconcile(self, now: bool = False) -> list[Drift]:
        """Every counter that disagrees with its holders, and whether it was repaired."""
        drifts = []
        for edition_id in self.catalog.editions:
            for resource in RESOURCES:
                cid = capacity_id(edition_id, resource)
                if (drift := await self._check(cid, edition_id, resource, now)) is not None:
                    drifts.append(drift)
        return drifts

    async def _check(
        self, cid: str, edition_id: str, resource: Resource, now: bool
    ) -> Drift | None:
        look = await self._look(cid, edition_id, resource)
        if look is None or look[0] == look[1]:
            self._seen.pop(cid, None)
            return None
        if now:
            await asyncio.sleep(self.pause)
            confirmed = await self._look(cid, edition_id, resource) == look
        else:
            confirmed, self._seen[cid] = self._seen.get(cid) == look, look
        repaired = confirmed and await self.store.places.set_taken(cid, look[0], look[1])
        if repaired:
            self._seen.pop(cid, None)
        return Drift(cid, look[0], look[1], repaired)

    async def _look(self, cid: str, edition_id: str, resource: Resource) -> tuple[int, int] | None:
        """(places counted, places held), or None while the counter moves under the count."""
        before = await self.store.places.capacity_counter(cid)
        if before is None:
            return None
        holders = await self.store.registrations.place_holders(
            edition_id, resource, sorted(HOLDS_A_PLACE)
        )
        if resource == "stand":
            holders |= await self.store.pools.pools_holding(edition_id, POOL_HOLDS_A_STAND)
        after = await self.store.places.capacity_counter(cid)
        if after != before:
            return None
        taken, pending = before
        return taken, len(holders | set(pending))
