"""Forgetting a person: what is active is cancelled, then every personal field blanked."""

from rencontres_registration import events
from rencontres_registration.core import (
    Core,
)
from rencontres_registration.documents import LinkedRegistration, RegistrationDoc
from rencontres_registration.domain import (
    allows,
    erased_contact,
)


class Erasure(Core):
    async def erase(self, doc: RegistrationDoc) -> LinkedRegistration:
        """Forget the person: cancel what is active, then blank every personal field."""
        if allows("cancel", doc.status):  # still active: end it first
            doc = await self._cancel(doc, "erased", by="staff")
        now = self._now()
        done = await self.store.registrations.transition(
            doc.id,
            [doc.status],
            {
                "contact": erased_contact(doc.contact.language),
                "organisation": None,
                "student": None,
                "startup": None,
                "dedupe_keys": [f"erased:{doc.id}"],
                "token_hash": "",
                "status_url": "",  # of registrations made before links were derived
                "erased_at": now,
            },
            [events.erased(doc.id, now)],
            self._history("erased", "staff"),
        )
        return self._linked(done or await self._reload(doc.id))
