"""Shared stands: an SME opens a pool (it holds one stand from then on), others join with
the invitation link, the pool closes when full or at its deadline; one left alone at its
deadline is dissolved and its stand goes back to the edition.
"""

import secrets
from typing import Literal

from rencontres_contracts.events.pools import PoolJoinedV1
from rencontres_contracts.ids import new_id

from rencontres_registration import events
from rencontres_registration.core import (
    Core,
    hash_secret,
)
from rencontres_registration.documents import LinkedRegistration, PoolDoc, RegistrationDoc
from rencontres_registration.domain import (
    RegistrationRefused,
    capacity_id,
    check_edition,
    pool_close_reason,
    pool_deadline,
    request_fingerprint,
    split_cents,
)
from rencontres_registration.schemas import (
    PoolJoinIn,
    PoolOpenIn,
)
from rencontres_registration.store import (
    PLACE_TOKEN,
)


class Pools(Core):
    async def open_pool(
        self, request: PoolOpenIn, idempotency_key: str | None
    ) -> tuple[LinkedRegistration, PoolDoc, str]:
        async with self._link_on_clash():
            doc, pool, invitation_url = await self._open_pool(request, idempotency_key)
        return self._linked(doc), pool, invitation_url

    async def _open_pool(
        self, request: PoolOpenIn, idempotency_key: str | None
    ) -> tuple[RegistrationDoc, PoolDoc, str]:
        """An SME opens a shared stand: the pool takes one stand now and the SME its first seat.

        Returns the registration, the pool and the invitation link for the other members."""
        scope = "pool_open"
        if idempotency_key and (
            done := await self.store.registrations.by_idempotency_key(idempotency_key)
        ):
            settled = await self._repeat(done, request_fingerprint(scope, request))
            pool = await self._pool(settled.pool_id)
            return settled, pool, self.links.invitation_url(pool.id)
        now = self._now()
        edition = check_edition(self.catalog, request.edition_id, now)
        rules = self.catalog.pools
        pool_id = new_id()
        doc = self._new_document(
            "pool_seat",
            [edition.id],
            request,
            idempotency_key,
            now,
            {
                "organisation": request.organisation.model_dump(),
                "pool_id": pool_id,
                "pool_role": "opener",
            },
            scope,
        )
        stored = await self.store.registrations.insert(doc)
        if stored.id != doc.id:
            await self._repeat(stored, doc.request_fingerprint)
        else:
            await self.store.pools.insert_pool(
                {
                    "_id": pool_id,
                    "name": request.pool_name,
                    "edition_id": edition.id,
                    "status": "opening",
                    "members": [doc.id],
                    "min_members": rules.min_members,
                    "max_members": rules.max_members,
                    "deadline": pool_deadline(edition, rules.deadline_days_before_edition),
                    "invitation_key_hash": hash_secret(self.links.invitation_key(pool_id)),
                    "opened_by": doc.id,
                    "created_at": now,
                }
            )
        settled = await self._settle(stored)
        pool = await self._pool(settled.pool_id)
        return settled, pool, self.links.invitation_url(pool.id)

    async def join_pool(
        self, pool_id: str, request: PoolJoinIn, idempotency_key: str | None
    ) -> LinkedRegistration:
        async with self._link_on_clash():
            return self._linked(await self._join_pool(pool_id, request, idempotency_key))

    async def _join_pool(
        self, pool_id: str, request: PoolJoinIn, idempotency_key: str | None
    ) -> RegistrationDoc:
        scope = f"pool_join:{pool_id}"
        if idempotency_key and (
            done := await self.store.registrations.by_idempotency_key(idempotency_key)
        ):
            return await self._repeat(done, request_fingerprint(scope, request))
        pool = await self.invited_pool(pool_id, request.invitation_key)
        if pool is None:
            raise RegistrationRefused(
                "invitation_unknown", "invitation_key", "no shared stand matches this invitation"
            )
        now = self._now()
        check_edition(self.catalog, pool.edition_id, now)
        if pool.status != "open" or now > pool.deadline:
            raise RegistrationRefused(
                "pool_closed", "invitation_key", "this shared stand is closed"
            )
        doc = self._new_document(
            "pool_seat",
            [pool.edition_id],
            request,
            idempotency_key,
            now,
            {
                "organisation": request.organisation.model_dump(),
                "pool_id": pool_id,
                "pool_role": "member",
            },
            scope,
        )
        return await self._repeat(
            await self.store.registrations.insert(doc), doc.request_fingerprint
        )

    async def _settle_pool_seat(self, doc: RegistrationDoc) -> RegistrationDoc:
        pool_id = doc.pool_id
        assert pool_id is not None, doc.id
        if doc.pool_role == "opener":
            return await self._settle_opener(doc, pool_id)
        pool = await self._pool(pool_id)
        joined = events.wrap(
            PoolJoinedV1(
                pool_id=pool_id,
                registration_id=doc.id,
                members=len(pool.members) + 1,
                max_members=pool.max_members,
            ),
            pool_id,
        )
        after = await self.store.pools.add_member(pool_id, doc.id, pool.max_members, joined)
        if after is None:
            after = await self._pool(pool_id)
            if doc.id not in after.members:
                await self.store.registrations.delete_placing(doc.id)
                raise RegistrationRefused(
                    "pool_full", "invitation_key", "this shared stand is full or closed"
                )
        placed = await self._placed(doc, "reserved")
        await self._maybe_close_pool(after)
        return placed

    async def _settle_opener(self, doc: RegistrationDoc, pool_id: str) -> RegistrationDoc:
        pool = await self.store.pools.get_pool(pool_id)
        if pool is None:  # crashed before the pool was written: nothing was taken yet
            await self.store.registrations.delete_placing(doc.id)
            raise RegistrationRefused(
                "try_again", "edition_id", "opening the shared stand failed; try again"
            )
        edition = self.catalog.editions[pool.edition_id]
        cid = capacity_id(edition.id, "stand")
        take = None
        if pool.status == "opening":
            take = await self.store.places.take_place(cid, pool_id, edition.stands, self._now())
            if not take:
                await self.store.pools.refuse_pool(pool_id)  # unless another settle opened it
                await self._carry_on_with_pool(doc, pool_id)
        try:  # whatever fails before the pool records its take gives the place back
            opened = events.pool_opened(self.catalog, pool, doc, self.links.invitation_url(pool_id))
            opening = {"status": "open", **({PLACE_TOKEN: take.token} if take else {})}
            opened_now = await self.store.pools.pool_transition(
                pool_id, "opening", opening, [opened]
            )
        except BaseException:
            await self._give_back(pool_id, edition.id, "stand", take)
            raise
        if opened_now:
            self.store.places.recorded(cid, pool_id)
        else:  # another settle of this opener opened it, or found no stand and deleted it
            await self._give_back(pool_id, edition.id, "stand", take)
            await self._carry_on_with_pool(doc, pool_id)
        return await self._placed(doc, "reserved")

    async def _carry_on_with_pool(self, doc: RegistrationDoc, pool_id: str) -> None:
        """After a concurrent settle of the same opener: go on only if it opened the pool;
        if it found no stand, the pool is gone and so is this seat."""
        pool = await self.store.pools.get_pool(pool_id)
        if pool is not None and pool.status in ("open", "closed"):
            return
        await self.store.registrations.delete_placing(doc.id)
        raise RegistrationRefused(
            "no_stand_to_share",
            "edition_id",
            "no stand is left on this edition to share; join its waiting list",
        )

    async def _maybe_close_pool(self, pool: PoolDoc) -> None:
        reason = pool_close_reason(
            len(pool.members),
            pool.min_members,
            pool.max_members,
            self._now() > pool.deadline,
        )
        if reason is not None and pool.status == "open":
            await self._close_pool(pool, reason)

    async def _close_pool(
        self, pool: PoolDoc, reason: Literal["full", "deadline", "unfilled"]
    ) -> None:
        members = await self.store.registrations.members(pool.members)
        price = self.catalog.offer("pool_seat").unit_price_excl_vat_cents
        shares = [0] * len(members) if reason == "unfilled" else split_cents(price, len(members))
        event = events.pool_closed(self.catalog, pool, members, shares, reason, self._now())
        status = "unfilled" if reason == "unfilled" else "closed"
        closed = await self.store.pools.pool_transition(
            pool.id, "open", {"status": status}, [event]
        )
        if closed is None or reason != "unfilled":
            return
        await self.store.places.release_place(capacity_id(pool.edition_id, "stand"), pool.id)
        for member in members:
            await self._cancel(member, "pool_unfilled", by="system")
        await self.allocate(pool.edition_id, "stand")

    async def invited_pool(self, pool_id: str, key: str) -> PoolDoc | None:
        """The pool an invitation key opens, or None: a wrong key looks like no pool at all."""
        if not key or len(key) > 64:
            return None
        pool = await self.store.pools.get_pool(pool_id)
        if pool is None or not secrets.compare_digest(pool.invitation_key_hash, hash_secret(key)):
            return None
        return pool

    async def pool_for_member(self, doc: RegistrationDoc) -> PoolDoc | None:
        return await self.store.pools.get_pool(doc.pool_id) if doc.pool_id else None
