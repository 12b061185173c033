"""What every room of the registration core shares: the catalog, the store, the private
links and the clock, the helpers they all use, and (declared, not written here) the steps
one room asks of another, so each room reads on its own and the checker sees the calls.

The rooms (`placing`, `pools`, `places`, `waiting_list`, `cancellation`, `payments`,
`review`, `erasure`, `jobs`) are mixed into `service.Registrations`.
"""

import hashlib
import logging
import secrets
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from rencontres_registration.capacity import CapacityReconciler
from rencontres_registration.catalog import Catalog
from rencontres_registration.documents import Holder, LinkedRegistration, PoolDoc, RegistrationDoc
from rencontres_registration.domain import (
    HOLDS_A_PLACE,
    Resource,
)
from rencontres_registration.links import Links
from rencontres_registration.schemas import (
    IncubatorIn,
    PoolJoinIn,
    PoolOpenIn,
    StandIn,
    StudentPassIn,
)
from rencontres_registration.store import (
    RegistrationStore,
    Take,
)

log = logging.getLogger(__name__)
Doc = dict[str, Any]
Clock = Callable[[], datetime]
PLACING_GRACE = timedelta(seconds=30)
LINK_RESEND = timedelta(minutes=10)
"""A clash sends the owner their link at most once in this time."""
ABANDON_GRACE = timedelta(minutes=10)
"""A place counted for a registration that has no document yet is given back after this."""


def _records_take(doc: Holder, token: str) -> bool:
    """Whether a registration's or a pool's document records the take with `token`. One
    written before tokens existed counts as recording it if it ever held a place."""
    if doc.place_token is not None:
        return doc.place_token == token
    seen: set[str] = {doc.status, *(h.status for h in doc.history)}
    return bool(seen & (HOLDS_A_PLACE | {"open", "closed", "unfilled"}))


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Core:
    def __init__(
        self,
        catalog: Catalog,
        store: RegistrationStore,
        links: Links,
        clock: Clock = utcnow,
    ) -> None:
        self.catalog = catalog
        self.store = store
        self.links = links
        self.base_url = links.base_url
        self._now = clock
        self.reconciler = CapacityReconciler(catalog, store)

    def _linked(self, doc: RegistrationDoc) -> LinkedRegistration:
        """The document with its owner's private link (derived, never stored); none once
        the person is erased."""
        url = "" if doc.erased_at else self.links.status_url(doc.id)
        fields = doc.model_dump(by_alias=True)
        return LinkedRegistration.model_validate({**fields, "status_url": url})

    async def for_owner(self, registration_id: str, token: str) -> LinkedRegistration | None:
        doc = await self.store.registrations.get(registration_id)
        if doc is None or doc.erased_at or not token:
            return None
        legacy = doc.token_hash  # links made before they were derived
        if self.links.opens_status(doc.id, token) or (
            legacy and secrets.compare_digest(legacy, hash_secret(token))
        ):
            return self._linked(doc)
        return None

    async def get(self, registration_id: str) -> LinkedRegistration | None:
        doc = await self.store.registrations.get(registration_id)
        return self._linked(doc) if doc else None

    async def _reload(self, registration_id: str) -> RegistrationDoc:
        doc = await self.store.registrations.get(registration_id)
        assert doc is not None, registration_id
        return doc

    async def _pool(self, pool_id: str | None) -> PoolDoc:
        assert pool_id is not None, "a pool seat names its pool"
        pool = await self.store.pools.get_pool(pool_id)
        assert pool is not None, pool_id
        return pool

    def _history(self, status: str, by: str) -> Doc:
        return {"at": self._now(), "status": status, "by": by}

    # ---------------------------------------------- steps another room provides

    async def _allocate_everywhere(self) -> int:
        raise NotImplementedError  # in waiting_list.py

    async def _cancel(self, doc: RegistrationDoc, reason: Any, by: str) -> RegistrationDoc:
        raise NotImplementedError  # in cancellation.py

    async def _close_pool(
        self, pool: PoolDoc, reason: Literal["full", "deadline", "unfilled"]
    ) -> None:
        raise NotImplementedError  # in pools.py

    async def _free(self, doc: RegistrationDoc) -> None:
        raise NotImplementedError  # in cancellation.py

    async def _give_back(
        self,
        holder: str,
        edition_id: str,
        resource: Resource | None,
        take: Take | None,
        reallocate: bool = True,
    ) -> None:
        raise NotImplementedError  # in places.py

    def _link_on_clash(self) -> AbstractAsyncContextManager[None]:
        raise NotImplementedError  # in placing.py

    async def _maybe_close_pool(self, pool: PoolDoc) -> None:
        raise NotImplementedError  # in pools.py

    def _new_document(
        self,
        offer: str,
        edition_ids: list[str],
        request: StandIn | StudentPassIn | IncubatorIn | PoolOpenIn | PoolJoinIn,
        idempotency_key: str | None,
        now: datetime,
        extra: Doc,
        scope: str,
    ) -> RegistrationDoc:
        raise NotImplementedError  # in placing.py

    async def _placed(self, doc: RegistrationDoc, status: Any) -> RegistrationDoc:
        raise NotImplementedError  # in placing.py

    async def _repeat(self, done: RegistrationDoc, fingerprint: str) -> RegistrationDoc:
        raise NotImplementedError  # in placing.py

    async def _settle(self, doc: RegistrationDoc) -> RegistrationDoc:
        raise NotImplementedError  # in placing.py

    async def _settle_pool_seat(self, doc: RegistrationDoc) -> RegistrationDoc:
        raise NotImplementedError  # in pools.py

    async def allocate(self, edition_id: str, resource: Literal["stand", "student_pass"]) -> int:
        raise NotImplementedError  # in waiting_list.py

    async def expire_offers(self) -> int:
        raise NotImplementedError  # in waiting_list.py

    async def sweep_pending(self) -> int:
        raise NotImplementedError  # in places.py
