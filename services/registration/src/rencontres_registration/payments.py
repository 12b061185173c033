"""Billing reports an invoice paid: the reserved registrations it covers are confirmed."""

from rencontres_registration import events
from rencontres_registration.core import (
    Core,
)
from rencontres_registration.domain import (
    allows,
)


class Payments(Core):
    async def mark_paid(self, registration_ids: list[str]) -> None:
        """Billing reports an invoice paid: its reserved registrations become confirmed."""
        for registration_id in registration_ids:
            doc = await self.store.registrations.get(registration_id)
            if doc is None or not allows("pay", doc.status):
                continue  # already confirmed (a redelivery), cancelled, or erased
            await self.store.registrations.transition(
                registration_id,
                ["reserved"],
                {"status": "confirmed", "paid": True},
                [events.confirmed(self.catalog, self._linked(doc), "paid")],
                self._history("confirmed", "billing"),
            )
