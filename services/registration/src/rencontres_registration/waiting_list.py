"""The waiting list: a freed place is offered to the first in line, held for them for
`offer_hold_hours`, accepted through their link or, expired, offered to the next.
"""

from typing import Literal

from rencontres_registration import events
from rencontres_registration.core import (
    Core,
)
from rencontres_registration.documents import LinkedRegistration, RegistrationDoc
from rencontres_registration.domain import (
    TransitionRefused,
    capacity_id,
    capacity_of,
    check_transition,
    offer_deadline,
    status_after_accepting,
)
from rencontres_registration.store import (
    PLACE_TOKEN,
)


class WaitingList(Core):
    async def allocate(self, edition_id: str, resource: Literal["stand", "student_pass"]) -> int:
        """Offer free places to the first in line; safe to run any number of times."""
        edition = self.catalog.editions[edition_id]
        cid, total = capacity_id(edition_id, resource), capacity_of(edition, resource)
        promoted = 0
        while (
            first := await self.store.registrations.first_waitlisted(edition_id, resource)
        ) is not None:
            take = await self.store.places.take_place(cid, first.id, total, self._now())
            if not take:
                break
            expires = offer_deadline(self._now(), self.catalog.offer_hold_hours)
            done = await self.store.registrations.transition(
                first.id,
                ["waitlisted"],
                {"status": "offered", "offer_expires_at": expires, PLACE_TOKEN: take.token},
                [events.promoted(self.catalog, self._linked(first), expires)],
                self._history("offered", "system"),
            )
            if done is None:  # it moved on meanwhile (another allocation offered it the place?)
                await self._give_back(first.id, edition_id, resource, take, reallocate=False)
                continue
            self.store.places.recorded(cid, first.id)
            promoted += 1
        return promoted

    async def expire_offers(self) -> int:
        expired = await self.store.registrations.expired_offers(self._now())
        for doc in expired:
            try:
                await self._cancel(doc, "offer_expired", by="system")
            except TransitionRefused:
                continue  # accepted or cancelled in the meantime
        return len(expired)

    async def accept_offer(self, doc: RegistrationDoc) -> LinkedRegistration:
        """The waitlisted person takes the place held for them, before it expires."""
        check_transition("accept_offer", doc.status)
        if doc.offer_expires_at is None or self._now() > doc.offer_expires_at:
            await self.expire_offers()
            raise TransitionRefused("accept_offer", "expired")
        offer = self.catalog.offer(doc.offer)
        status = status_after_accepting(offer)
        event = (
            events.reserved(self.catalog, self._linked(doc), self._now())
            if status == "reserved"
            else events.confirmed(self.catalog, self._linked(doc), "free")
        )
        done = await self.store.registrations.transition(
            doc.id, ["offered"], {"status": status}, [event], self._history(status, "owner")
        )
        if done is None:
            raise TransitionRefused("accept_offer", (await self._reload(doc.id)).status)
        return self._linked(done)

    async def _allocate_everywhere(self) -> int:
        promoted = 0
        for edition_id in self.catalog.editions:
            promoted += await self.allocate(edition_id, "stand")
            promoted += await self.allocate(edition_id, "student_pass")
        return promoted
