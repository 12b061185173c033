"""What happens when a registration is cancelled, as a short script: check the lifecycle,
one write sets `cancelled` with its event, then what it held is freed (its place, or its
pool seat) and the place is offered to the first in line.
"""

from typing import Any, Literal

from rencontres_contracts.events.registration import CancelReason

from rencontres_registration import events
from rencontres_registration.core import (
    Core,
)
from rencontres_registration.documents import LinkedRegistration, RegistrationDoc
from rencontres_registration.domain import (
    HOLDS_A_PLACE,
    TransitionRefused,
    capacity_id,
    check_transition,
    resource_for,
)


class Cancellation(Core):
    async def cancel(
        self, doc: RegistrationDoc, by: Literal["owner", "staff"]
    ) -> LinkedRegistration:
        """Cancel (or withdraw an application): free what it held and offer it to the next."""
        check_transition("cancel", doc.status)
        reason: CancelReason = "by_owner" if by == "owner" else "by_staff"
        return self._linked(await self._cancel(doc, reason, by=by))

    async def cancel_unpaid(self, doc: RegistrationDoc) -> RegistrationDoc:
        """Billing let the reservation lapse: cancelled, the place to the first in line."""
        check_transition("cancel", doc.status)
        return await self._cancel(doc, "unpaid", by="billing")

    async def _cancel(self, doc: RegistrationDoc, reason: Any, by: str) -> RegistrationDoc:
        status = "cancelled"
        if doc.offer == "incubator_application" and reason == "by_owner":
            status = "withdrawn"
        event = events.cancelled(self.catalog, doc, reason, self._now())
        done = await self.store.registrations.transition(
            doc.id,
            [doc.status],
            {"status": status, "cancel_reason": reason, "cancelled_at": self._now()},
            [event],
            self._history(status, by),
        )
        if done is None:
            raise TransitionRefused("cancel", (await self._reload(doc.id)).status)
        await self._free(doc)
        return done

    async def _free(self, doc: RegistrationDoc) -> None:
        """Give back what a registration that ended held: its place, or its pool seat."""
        if doc.offer == "pool_seat":
            pool = await self.store.pools.get_pool(doc.pool_id) if doc.pool_id else None
            if pool and pool.status == "open":
                await self.store.pools.remove_member(pool.id, doc.id)
                if len(pool.members) <= 1:
                    await self._close_pool(pool.model_copy(update={"members": []}), "unfilled")
            return
        resource = resource_for(doc.offer)
        if resource and doc.status in HOLDS_A_PLACE:
            edition_id = doc.edition_ids[0]
            await self.store.places.release_place(capacity_id(edition_id, resource), doc.id)
            await self.allocate(edition_id, resource)
