"""The only code that talks to the registration database: one store per collection.

`registrations` (one document per registration, with the events it still owes in `outbox`),
`capacity` (`places`: one small counter per edition and kind of place) and `pools` (shared
stands; members and the pool's own outbox). Every change is one conditional document write;
nothing relies on multi-document transactions.
"""

from pymongo.asynchronous.database import AsyncDatabase
from rencontres_kit.outbox import Wake

from rencontres_registration.documents import Holder
from rencontres_registration.store.capacity import PLACE_TOKEN, PlacesStore, Take
from rencontres_registration.store.common import HIDDEN, Committed, Doc, no_relay
from rencontres_registration.store.pools import PoolsStore
from rencontres_registration.store.registrations import (
    AlreadyRegistered,
    RegistrationsStore,
    StaffSearch,
)

__all__ = [
    "HIDDEN",
    "PLACE_TOKEN",
    "AlreadyRegistered",
    "Doc",
    "PlacesStore",
    "PoolsStore",
    "RegistrationStore",
    "RegistrationsStore",
    "StaffSearch",
    "Take",
]


class RegistrationStore:
    """The three collections' stores, built on one database and one outbox relay."""

    def __init__(self, db: AsyncDatabase[Doc], wake: Wake = no_relay) -> None:
        committed = Committed(wake)
        self.registrations = RegistrationsStore(db, committed)
        self.places = PlacesStore(db)
        self.pools = PoolsStore(db, committed)

    async def create_indexes(self) -> None:
        await self.registrations.create_indexes()
        await self.pools.create_indexes()

    async def holder(self, holder_id: str) -> Holder | None:
        """The registration or the pool a place is taken for (their ids never collide)."""
        return await self.registrations.get(holder_id) or await self.pools.get_pool(holder_id)
