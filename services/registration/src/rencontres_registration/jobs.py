"""What time moves along, run periodically (and on staff demand); each step is safe to run
twice or concurrently, and one that fails does not keep the others from running.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import astuple

from rencontres_registration.core import (
    PLACING_GRACE,
    Core,
)
from rencontres_registration.domain import (
    RegistrationRefused,
)

log = logging.getLogger(__name__)


class Jobs(Core):
    async def run_jobs(self) -> dict[str, int]:
        """Everything time moves along; each step is safe to run twice or concurrently, and
        one that fails (logged) does not keep the others from running."""
        report = dict.fromkeys(
            (
                "offers_expired",
                "pools_closed",
                "resumed",
                "pending_settled",
                "places_repaired",
                "promoted",
            ),
            0,
        )
        steps: list[tuple[str, Callable[[], Awaitable[int]]]] = [
            ("offers_expired", self.expire_offers),
            ("pools_closed", self._close_pools_past_deadline),
            ("resumed", self._resume_stuck_placements),
            ("pending_settled", self.sweep_pending),
            ("places_repaired", self._repair_capacity),
            ("promoted", self._allocate_everywhere),
        ]
        for name, step in steps:
            try:
                report[name] = await step()
            except Exception:
                log.exception("periodic job %s failed; the others still ran", name)
        return report

    async def _repair_capacity(self) -> int:
        drifts = await self.reconciler.reconcile()
        for drift in drifts:
            note = "; repaired" if drift.repaired else ""
            log.warning("capacity %s counted %d, held %d%s", *astuple(drift)[:3], note)
        return sum(d.repaired for d in drifts)

    async def _close_pools_past_deadline(self) -> int:
        pools = await self.store.pools.pools_past_deadline(self._now())
        for pool in pools:
            await self._maybe_close_pool(pool)
        return len(pools)

    async def _resume_stuck_placements(self) -> int:
        stuck = await self.store.registrations.stuck_placing(self._now() - PLACING_GRACE)
        for doc in stuck:
            try:
                await self._settle(doc)
            except RegistrationRefused:
                pass  # it could not be placed and was removed
            except Exception:
                log.exception("resuming registration %s failed", doc.id)
        return len(stuck)
