"""What happens to a registration, in one place: submit, join a shared stand, wait, be
promoted, accept, pay, cancel, be reviewed, be erased.

Each operation is a short sequence of single-document writes, ordered so that a crash at any
point leaves something the periodic jobs (`run_jobs`) finish or undo: a registration is
written first in status `placing` (the unique indexes refuse duplicates before anything is
taken), then it takes its place, then one write sets its status with the events it owes.
"""

import hashlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import astuple
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import ValidationError
from rencontres_contracts.events.pools import PoolJoinedV1, PoolOpenedV1
from rencontres_contracts.events.registration import CancelReason
from rencontres_contracts.ids import new_id

from rencontres_registration import events
from rencontres_registration.capacity import CapacityReconciler
from rencontres_registration.catalog import Catalog
from rencontres_registration.domain import (
    HOLDS_A_PLACE,
    IdempotencyKeyReused,
    RegistrationRefused,
    Resource,
    TransitionRefused,
    allows,
    capacity_id,
    capacity_of,
    check_edition,
    check_incubator_call_open,
    check_transition,
    dedupe_keys,
    erased_contact,
    new_reference,
    offer_deadline,
    placed_status,
    pool_close_reason,
    pool_deadline,
    request_fingerprint,
    resource_for,
    split_cents,
    status_after_accepting,
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
    PLACE_TOKEN,
    AlreadyRegistered,
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


def _records_take(doc: Doc, token: str) -> bool:
    """Whether a registration's or a pool's document records the take with `token`. One
    written before tokens existed counts as recording it if it ever held a place."""
    if PLACE_TOKEN in doc:
        return bool(doc[PLACE_TOKEN] == token)
    seen = {doc["status"], *(h["status"] for h in doc.get("history", []))}
    return bool(seen & (HOLDS_A_PLACE | {"open", "closed", "unfilled"}))


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Registrations:
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

    async def ensure_capacity(self) -> None:
        for edition in self.catalog.editions.values():
            for resource in ("stand", "student_pass"):
                total = capacity_of(edition, resource)
                cid = capacity_id(edition.id, resource)
                await self.store.ensure_capacity(cid, edition.id, resource, total)

    # ------------------------------------------------------------------ submit

    async def submit(
        self, request: StandIn | StudentPassIn | IncubatorIn, idempotency_key: str | None
    ) -> Doc:
        async with self._link_on_clash():
            return self._linked(await self._submit_request(request, idempotency_key))

    @asynccontextmanager
    async def _link_on_clash(self) -> AsyncIterator[None]:
        """The email already holds this offer: its owner is sent their private link (to that
        address only), and the caller learns nothing of that registration."""
        try:
            yield
        except AlreadyRegistered as clash:
            now = self._now()
            event = events.link_requested(self.catalog, self._linked(clash.existing), now)
            await self.store.request_link(clash.existing["_id"], now, now - LINK_RESEND, event)
            raise AlreadyRegistered(None) from None

    async def _submit_request(
        self, request: StandIn | StudentPassIn | IncubatorIn, idempotency_key: str | None
    ) -> Doc:
        """Register for a stand, a student pass or the incubator; repeats return the first.

        A repeated idempotency key is caught by the unique index when the new document is
        inserted, not looked up first: on FerretDB a lookup by any field but `_id` scans."""
        now = self._now()
        try:
            edition_ids = self._chosen_editions(request, now)
        except RegistrationRefused:
            if idempotency_key and (done := await self.store.by_idempotency_key(idempotency_key)):
                return await self._repeat(done, request_fingerprint(request.offer, request))
            raise
        if isinstance(request, IncubatorIn):
            extra: Doc = {"startup": request.startup.model_dump()}
        else:
            extra = {"join_waiting_list": request.join_waiting_list}
            if isinstance(request, StudentPassIn):
                extra["student"] = request.student.model_dump()
            else:
                extra["organisation"] = request.organisation.model_dump()
        doc = self._new_document(
            request.offer, edition_ids, request, idempotency_key, now, extra, request.offer
        )
        return await self._submit(doc, now)

    async def _submit(self, doc: Doc, now: datetime) -> Doc:
        """Take the place first, then write the registration whole, with its status and its
        event, in one insert. A repeat or a duplicate refused by the unique indexes gives the
        place back; a crash in between leaves a pending place with no holder document, which
        the job gives back (`sweep_pending`)."""
        offer = self.catalog.offer(doc["offer"])
        resource = resource_for(offer.kind)
        edition_id = doc["edition_ids"][0]
        take: Take | None = None
        if resource is not None:
            total = capacity_of(self.catalog.editions[edition_id], resource)
            take = await self.store.take_place(
                capacity_id(edition_id, resource), doc["_id"], total, now
            )
            if not take and not doc.get("join_waiting_list", True):
                return await self._refuse_full(doc)
        status = placed_status(offer, take is None or bool(take))
        placed = {**doc, "status": status, "history": [self._history(status, "system")]}
        if take:
            placed[PLACE_TOKEN] = take.token
        try:
            stored = await self.store.insert(
                placed, [events.submitted(self.catalog, self._linked(doc), status)]
            )
        except BaseException:  # a duplicate, or anything else: the place goes back at once
            await self._give_back(doc["_id"], edition_id, resource, take)
            raise
        if stored["_id"] != doc["_id"]:  # the same idempotency key: answer the first one
            await self._give_back(doc["_id"], edition_id, resource, take)
            return await self._repeat(stored, doc["request_fingerprint"])
        if resource is not None and take:
            self.store.recorded(capacity_id(edition_id, resource), doc["_id"])
        return stored

    async def _refuse_full(self, doc: Doc) -> Doc:
        """Full and no waiting list wanted: nothing is written, unless this was accepted
        before (a repeat answers the first registration, a duplicate email gets its 409)."""
        if (existing := await self.store.existing(doc)) is not None:
            return await self._repeat(existing, doc["request_fingerprint"])
        raise RegistrationRefused("edition_full", "edition_id", "this edition is full")

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
        if await self.store.drop_pending(cid, holder, take.token) and reallocate:
            await self.allocate(edition_id, resource)  # someone may have been waitlisted meanwhile

    async def _recorded_token(self, holder: str) -> str | None:
        """The take a registration or a pool records holding a place with, if any."""
        doc = await self.store.holder(holder)
        return doc.get(PLACE_TOKEN) if doc else None

    def _chosen_editions(
        self, request: StandIn | StudentPassIn | IncubatorIn, now: datetime
    ) -> list[str]:
        if isinstance(request, IncubatorIn):
            return [check_incubator_call_open(self.catalog, now)]
        return [check_edition(self.catalog, request.edition_id, now).id]

    def _new_document(
        self,
        offer: str,
        edition_ids: list[str],
        request: StandIn | StudentPassIn | IncubatorIn | PoolOpenIn | PoolJoinIn,
        idempotency_key: str | None,
        now: datetime,
        extra: Doc,
        scope: str,
    ) -> Doc:
        registration_id = new_id()
        contact = request.contact.model_dump()
        doc = {
            "_id": registration_id,
            "reference": new_reference(),
            "offer": offer,
            "edition_ids": edition_ids,
            "status": "placing",
            "contact": contact,
            "organisation": None,
            "consent": {
                "data_processing_version": self.catalog.consent_version,
                "data_processing": True,
                "sms": contact["sms_consent"],
                "given_at": now,
            },
            "idempotency_key": idempotency_key or f"auto:{registration_id}",
            "request_fingerprint": request_fingerprint(scope, request),
            "dedupe_keys": dedupe_keys(contact["email"], offer, edition_ids),
            "created_at": now,
            "history": [],
            **extra,
        }
        self._check_events_accept(doc)
        return doc

    def _check_events_accept(self, doc: Doc) -> None:
        """Refuse, before anything is written or taken, what the events this registration
        will owe would refuse (the contract is the last word on every field's limits)."""
        try:
            events.submitted(self.catalog, self._linked(doc), "submitted")
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"])
            raise RegistrationRefused("invalid", field, error["msg"]) from exc

    async def _repeat(self, done: Doc, fingerprint: str) -> Doc:
        """The registration an idempotency key already made, only for the same request: a
        key is never a way to read someone else's registration (and its private link)."""
        if not secrets.compare_digest(done.get("request_fingerprint", ""), fingerprint):
            raise IdempotencyKeyReused()
        return await self._settle(done)

    async def _settle(self, doc: Doc) -> Doc:
        """Finish placing a registration; safe to repeat (idempotent retries, the job)."""
        if doc["status"] != "placing":
            return doc
        if doc["offer"] == "pool_seat":
            return await self._settle_pool_seat(doc)
        offer = self.catalog.offer(doc["offer"])
        resource = resource_for(offer.kind)
        if resource is None:
            return await self._placed(doc, placed_status(offer, True))
        edition_id = doc["edition_ids"][0]
        cid = capacity_id(edition_id, resource)
        total = capacity_of(self.catalog.editions[edition_id], resource)
        take = await self.store.take_place(cid, doc["_id"], total, self._now())
        if not take and not doc.get("join_waiting_list", True):
            await self.store.delete_placing(doc["_id"])
            raise RegistrationRefused("edition_full", "edition_id", "this edition is full")
        placed = await self._place(doc, placed_status(offer, bool(take)), take)
        if placed is None:  # another settle of this document got there first
            await self._give_back(doc["_id"], edition_id, resource, take)
            return await self._reload(doc["_id"])
        if take:
            self.store.recorded(cid, doc["_id"])
        return placed

    async def _place(self, doc: Doc, status: Any, take: Take | None = None) -> Doc | None:
        """Set a placing registration's first status, with its event (and the take whose
        place it holds); None if it had one already."""
        event = events.submitted(self.catalog, self._linked(doc), status)
        fields = {"status": status, **({PLACE_TOKEN: take.token} if take else {})}
        return await self.store.transition(
            doc["_id"], ["placing"], fields, [event], self._history(status, "system")
        )

    async def _placed(self, doc: Doc, status: Any) -> Doc:
        return await self._place(doc, status) or await self._reload(doc["_id"])

    # ------------------------------------------------------------------ shared stands

    async def open_pool(
        self, request: PoolOpenIn, idempotency_key: str | None
    ) -> tuple[Doc, Doc, str]:
        async with self._link_on_clash():
            doc, pool, invitation_url = await self._open_pool(request, idempotency_key)
        return self._linked(doc), pool, invitation_url

    async def _open_pool(
        self, request: PoolOpenIn, idempotency_key: str | None
    ) -> tuple[Doc, Doc, str]:
        """An SME opens a shared stand: the pool takes one stand now and the SME its first seat.

        Returns the registration, the pool and the invitation link for the other members."""
        scope = "pool_open"
        if idempotency_key and (done := await self.store.by_idempotency_key(idempotency_key)):
            settled = await self._repeat(done, request_fingerprint(scope, request))
            pool = await self._pool(settled["pool_id"])
            return settled, pool, self.links.invitation_url(pool["_id"])
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
        stored = await self.store.insert(doc)
        if stored["_id"] != doc["_id"]:
            await self._repeat(stored, doc["request_fingerprint"])
        else:
            await self.store.insert_pool(
                {
                    "_id": pool_id,
                    "name": request.pool_name,
                    "edition_id": edition.id,
                    "status": "opening",
                    "members": [doc["_id"]],
                    "min_members": rules.min_members,
                    "max_members": rules.max_members,
                    "deadline": pool_deadline(edition, rules.deadline_days_before_edition),
                    "invitation_key_hash": hash_secret(self.links.invitation_key(pool_id)),
                    "opened_by": doc["_id"],
                    "created_at": now,
                }
            )
        settled = await self._settle(stored)
        pool = await self._pool(settled["pool_id"])
        return settled, pool, self.links.invitation_url(pool["_id"])

    async def join_pool(
        self, pool_id: str, request: PoolJoinIn, idempotency_key: str | None
    ) -> Doc:
        async with self._link_on_clash():
            return self._linked(await self._join_pool(pool_id, request, idempotency_key))

    async def _join_pool(
        self, pool_id: str, request: PoolJoinIn, idempotency_key: str | None
    ) -> Doc:
        scope = f"pool_join:{pool_id}"
        if idempotency_key and (done := await self.store.by_idempotency_key(idempotency_key)):
            return await self._repeat(done, request_fingerprint(scope, request))
        pool = await self.invited_pool(pool_id, request.invitation_key)
        if pool is None:
            raise RegistrationRefused(
                "invitation_unknown", "invitation_key", "no shared stand matches this invitation"
            )
        now = self._now()
        check_edition(self.catalog, pool["edition_id"], now)
        if pool["status"] != "open" or now > pool["deadline"]:
            raise RegistrationRefused(
                "pool_closed", "invitation_key", "this shared stand is closed"
            )
        doc = self._new_document(
            "pool_seat",
            [pool["edition_id"]],
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
        return await self._repeat(await self.store.insert(doc), doc["request_fingerprint"])

    async def _settle_pool_seat(self, doc: Doc) -> Doc:
        pool_id = doc["pool_id"]
        if doc["pool_role"] == "opener":
            return await self._settle_opener(doc, pool_id)
        pool = await self._pool(pool_id)
        joined = events.wrap(
            PoolJoinedV1(
                pool_id=pool_id,
                registration_id=doc["_id"],
                members=len(pool["members"]) + 1,
                max_members=pool["max_members"],
            ),
            pool_id,
        )
        after = await self.store.add_member(pool_id, doc["_id"], pool["max_members"], joined)
        if after is None:
            after = await self._pool(pool_id)
            if doc["_id"] not in after["members"]:
                await self.store.delete_placing(doc["_id"])
                raise RegistrationRefused(
                    "pool_full", "invitation_key", "this shared stand is full or closed"
                )
        placed = await self._placed(doc, "reserved")
        await self._maybe_close_pool(after)
        return placed

    async def _settle_opener(self, doc: Doc, pool_id: str) -> Doc:
        pool = await self.store.get_pool(pool_id)
        if pool is None:  # crashed before the pool was written: nothing was taken yet
            await self.store.delete_placing(doc["_id"])
            raise RegistrationRefused(
                "try_again", "edition_id", "opening the shared stand failed; try again"
            )
        edition = self.catalog.editions[pool["edition_id"]]
        cid = capacity_id(edition.id, "stand")
        take = None
        if pool["status"] == "opening":
            take = await self.store.take_place(cid, pool_id, edition.stands, self._now())
            if not take:
                await self.store.refuse_pool(pool_id)  # unless another settle opened it
                await self._carry_on_with_pool(doc, pool_id)
        try:  # whatever fails before the pool records its take gives the place back
            opened = events.wrap(
                PoolOpenedV1(
                    pool_id=pool_id,
                    name=pool["name"],
                    edition_id=pool["edition_id"],
                    opened_by=doc["_id"],
                    min_members=pool["min_members"],
                    max_members=pool["max_members"],
                    deadline=pool["deadline"],
                ),
                pool_id,
            )
            opening = {"status": "open", **({PLACE_TOKEN: take.token} if take else {})}
            opened_now = await self.store.pool_transition(pool_id, "opening", opening, [opened])
        except BaseException:
            await self._give_back(pool_id, edition.id, "stand", take)
            raise
        if opened_now:
            self.store.recorded(cid, pool_id)
        else:  # another settle of this opener opened it, or found no stand and deleted it
            await self._give_back(pool_id, edition.id, "stand", take)
            await self._carry_on_with_pool(doc, pool_id)
        return await self._placed(doc, "reserved")

    async def _carry_on_with_pool(self, doc: Doc, pool_id: str) -> None:
        """After a concurrent settle of the same opener: go on only if it opened the pool;
        if it found no stand, the pool is gone and so is this seat."""
        pool = await self.store.get_pool(pool_id)
        if pool is not None and pool["status"] in ("open", "closed"):
            return
        await self.store.delete_placing(doc["_id"])
        raise RegistrationRefused(
            "no_stand_to_share",
            "edition_id",
            "no stand is left on this edition to share; join its waiting list",
        )

    async def _maybe_close_pool(self, pool: Doc) -> None:
        reason = pool_close_reason(
            len(pool["members"]),
            pool["min_members"],
            pool["max_members"],
            self._now() > pool["deadline"],
        )
        if reason is not None and pool["status"] == "open":
            await self._close_pool(pool, reason)

    async def _close_pool(self, pool: Doc, reason: Literal["full", "deadline", "unfilled"]) -> None:
        members = await self.store.members(pool["members"])
        price = self.catalog.offer("pool_seat").unit_price_excl_vat_cents
        shares = [0] * len(members) if reason == "unfilled" else split_cents(price, len(members))
        event = events.pool_closed(self.catalog, pool, members, shares, reason, self._now())
        status = "unfilled" if reason == "unfilled" else "closed"
        closed = await self.store.pool_transition(pool["_id"], "open", {"status": status}, [event])
        if closed is None or reason != "unfilled":
            return
        await self.store.release_place(capacity_id(pool["edition_id"], "stand"), pool["_id"])
        for member in members:
            await self._cancel(member, "pool_unfilled", by="system")
        await self.allocate(pool["edition_id"], "stand")

    async def invited_pool(self, pool_id: str, key: str) -> Doc | None:
        """The pool an invitation key opens, or None: a wrong key looks like no pool at all."""
        if not key or len(key) > 64:
            return None
        pool = await self.store.get_pool(pool_id)
        if pool is None or not secrets.compare_digest(
            pool["invitation_key_hash"], hash_secret(key)
        ):
            return None
        return pool

    async def pool_for_member(self, doc: Doc) -> Doc | None:
        return await self.store.get_pool(doc["pool_id"]) if doc.get("pool_id") else None

    def _linked(self, doc: Doc) -> Doc:
        """The document with its owner's private link (derived, never stored); none once
        the person is erased."""
        url = "" if doc.get("erased_at") else self.links.status_url(doc["_id"])
        return {**doc, "status_url": url}

    # ------------------------------------------------------------------ the owner's link

    async def for_owner(self, registration_id: str, token: str) -> Doc | None:
        doc = await self.store.get(registration_id)
        if doc is None or doc.get("erased_at") or not token:
            return None
        legacy = doc.get("token_hash")  # links made before they were derived
        if self.links.opens_status(doc["_id"], token) or (
            legacy and secrets.compare_digest(legacy, hash_secret(token))
        ):
            return self._linked(doc)
        return None

    async def accept_offer(self, doc: Doc) -> Doc:
        """The waitlisted person takes the place held for them, before it expires."""
        check_transition("accept_offer", doc["status"])
        if self._now() > doc["offer_expires_at"]:
            await self.expire_offers()
            raise TransitionRefused("accept_offer", "expired")
        offer = self.catalog.offer(doc["offer"])
        status = status_after_accepting(offer)
        event = (
            events.reserved(self.catalog, self._linked(doc), self._now())
            if status == "reserved"
            else events.confirmed(self.catalog, self._linked(doc), "free")
        )
        done = await self.store.transition(
            doc["_id"], ["offered"], {"status": status}, [event], self._history(status, "owner")
        )
        if done is None:
            raise TransitionRefused("accept_offer", (await self._reload(doc["_id"]))["status"])
        return self._linked(done)

    # ------------------------------------------------------------------ cancellation

    async def cancel(self, doc: Doc, by: Literal["owner", "staff"]) -> Doc:
        """Cancel (or withdraw an application): free what it held and offer it to the next."""
        check_transition("cancel", doc["status"])
        reason: CancelReason = "by_owner" if by == "owner" else "by_staff"
        return self._linked(await self._cancel(doc, reason, by=by))

    async def cancel_unpaid(self, doc: Doc) -> Doc:
        """Billing let the reservation lapse: cancelled, the place to the first in line."""
        check_transition("cancel", doc["status"])
        return await self._cancel(doc, "unpaid", by="billing")

    async def _cancel(self, doc: Doc, reason: Any, by: str) -> Doc:
        status = "cancelled"
        if doc["offer"] == "incubator_application" and reason == "by_owner":
            status = "withdrawn"
        event = events.cancelled(self.catalog, doc, reason, self._now())
        done = await self.store.transition(
            doc["_id"],
            [doc["status"]],
            {"status": status, "cancel_reason": reason, "cancelled_at": self._now()},
            [event],
            self._history(status, by),
        )
        if done is None:
            raise TransitionRefused("cancel", (await self._reload(doc["_id"]))["status"])
        await self._free(doc)
        return done

    async def _free(self, doc: Doc) -> None:
        """Give back what a registration that ended held: its place, or its pool seat."""
        if doc["offer"] == "pool_seat":
            pool = await self.store.get_pool(doc["pool_id"])
            if pool and pool["status"] == "open":
                await self.store.remove_member(pool["_id"], doc["_id"])
                if len(pool["members"]) <= 1:
                    await self._close_pool({**pool, "members": []}, "unfilled")
            return
        resource = resource_for(doc["offer"])
        if resource and doc["status"] in HOLDS_A_PLACE:
            edition_id = doc["edition_ids"][0]
            await self.store.release_place(capacity_id(edition_id, resource), doc["_id"])
            await self.allocate(edition_id, resource)

    async def settle_by_staff(self, doc: Doc) -> Doc:
        """Staff finish a registration stuck between statuses: its placement resumes; if that
        cannot succeed, it is abandoned and gives back whatever it held. Nobody was told
        about it yet (its first event goes with its first status), so nobody is told now."""
        check_transition("settle", doc["status"])
        try:
            return await self._settle(doc)
        except RegistrationRefused:
            return await self._reload_or(doc, "cancelled")
        except Exception:
            log.exception("registration %s cannot be placed; abandoning it", doc["_id"])
        done = await self.store.transition(
            doc["_id"],
            ["placing"],
            {"status": "cancelled", "cancel_reason": "by_staff", "cancelled_at": self._now()},
            [],
            self._history("cancelled", "staff"),
        )
        if done is None:
            return await self._reload(doc["_id"])
        await self._abandon_places(doc)
        return done

    async def _abandon_places(self, doc: Doc) -> None:
        """Give back what an abandoned placement took: its pending place, or its pool seat
        (and its pool's stand, if it opened one that nobody else shares)."""
        if doc["offer"] != "pool_seat":
            resource = resource_for(doc["offer"])
            if resource is not None:
                cid = capacity_id(doc["edition_ids"][0], resource)
                if token := await self.store.pending_token(cid, doc["_id"]):
                    await self.store.drop_pending(cid, doc["_id"], token)
            return
        pool = await self.store.get_pool(doc["pool_id"])
        if pool is None:
            return
        if pool["status"] == "opening":
            cid = capacity_id(pool["edition_id"], "stand")
            if await self.store.delete_pool(pool["_id"]) and (
                token := await self.store.pending_token(cid, pool["_id"])
            ):
                await self.store.drop_pending(cid, pool["_id"], token)
            return
        await self._free({**doc, "status": "cancelled"})

    async def _reload_or(self, doc: Doc, status: str) -> Doc:
        """The document as it is now, or (deleted: it could not be placed) as `status`."""
        return await self.store.get(doc["_id"]) or {**doc, "status": status}

    # ------------------------------------------------------------------ waiting list

    async def allocate(self, edition_id: str, resource: Literal["stand", "student_pass"]) -> int:
        """Offer free places to the first in line; safe to run any number of times."""
        edition = self.catalog.editions[edition_id]
        cid, total = capacity_id(edition_id, resource), capacity_of(edition, resource)
        promoted = 0
        while (first := await self.store.first_waitlisted(edition_id, resource)) is not None:
            take = await self.store.take_place(cid, first["_id"], total, self._now())
            if not take:
                break
            expires = offer_deadline(self._now(), self.catalog.offer_hold_hours)
            done = await self.store.transition(
                first["_id"],
                ["waitlisted"],
                {"status": "offered", "offer_expires_at": expires, PLACE_TOKEN: take.token},
                [events.promoted(self.catalog, self._linked(first), expires)],
                self._history("offered", "system"),
            )
            if done is None:  # it moved on meanwhile (another allocation offered it the place?)
                await self._give_back(first["_id"], edition_id, resource, take, reallocate=False)
                continue
            self.store.recorded(cid, first["_id"])
            promoted += 1
        return promoted

    async def expire_offers(self) -> int:
        expired = await self.store.expired_offers(self._now())
        for doc in expired:
            try:
                await self._cancel(doc, "offer_expired", by="system")
            except TransitionRefused:
                continue  # accepted or cancelled in the meantime
        return len(expired)

    # ------------------------------------------------------------------ billing, staff

    async def mark_paid(self, registration_ids: list[str]) -> None:
        """Billing reports an invoice paid: its reserved registrations become confirmed."""
        for registration_id in registration_ids:
            doc = await self.store.get(registration_id)
            if doc is None or not allows("pay", doc["status"]):
                continue  # already confirmed (a redelivery), cancelled, or erased
            await self.store.transition(
                registration_id,
                ["reserved"],
                {"status": "confirmed", "paid": True},
                [events.confirmed(self.catalog, self._linked(doc), "paid")],
                self._history("confirmed", "billing"),
            )

    async def review(self, doc: Doc, decision: str, message: str | None) -> Doc:
        if doc["offer"] != "incubator_application":
            raise RegistrationRefused(
                "not_reviewable", "decision", "only incubator applications are reviewed"
            )
        check_transition("review", doc["status"])
        done = await self.store.transition(
            doc["_id"],
            [doc["status"]],
            {"status": decision, "review_message": message},
            [events.reviewed(self._linked(doc), decision, message)],
            self._history(decision, "staff"),
        )
        if done is None:
            raise TransitionRefused("review", (await self._reload(doc["_id"]))["status"])
        return done

    async def erase(self, doc: Doc) -> Doc:
        """Forget the person: cancel what is active, then blank every personal field."""
        if allows("cancel", doc["status"]):  # still active: end it first
            doc = await self._cancel(doc, "erased", by="staff")
        now = self._now()
        done = await self.store.transition(
            doc["_id"],
            [doc["status"]],
            {
                "contact": erased_contact(doc["contact"]["language"]),
                "organisation": None,
                "student": None,
                "startup": None,
                "dedupe_keys": [f"erased:{doc['_id']}"],
                "token_hash": "",
                "status_url": "",  # of registrations made before links were derived
                "erased_at": now,
            },
            [events.erased(doc["_id"], now)],
            self._history("erased", "staff"),
        )
        return self._linked(done or await self._reload(doc["_id"]))

    # ------------------------------------------------------------------ periodic jobs

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
        pools = await self.store.pools_past_deadline(self._now())
        for pool in pools:
            await self._maybe_close_pool(pool)
        return len(pools)

    async def _resume_stuck_placements(self) -> int:
        stuck = await self.store.stuck_placing(self._now() - PLACING_GRACE)
        for doc in stuck:
            try:
                await self._settle(doc)
            except RegistrationRefused:
                pass  # it could not be placed and was removed
            except Exception:
                log.exception("resuming registration %s failed", doc["_id"])
        return len(stuck)

    async def _allocate_everywhere(self) -> int:
        promoted = 0
        for edition_id in self.catalog.editions:
            promoted += await self.allocate(edition_id, "stand")
            promoted += await self.allocate(edition_id, "student_pass")
        return promoted

    async def sweep_pending(self) -> int:
        """Settle pending places older than PLACING_GRACE (a crash left them): forget the take
        its holder's document records (its cancellation gives that place back), give back any
        other — a take nobody recorded, or an extra one from a stale read. A holder with no
        document at all is given up on only after ABANDON_GRACE, so a slow insert is not
        overtaken."""
        settled = 0
        now = self._now()
        for capacity in await self.store.capacities():
            tokens = capacity.get("pending_by", {})
            for holder, since in capacity.get("pending_at", {}).items():
                token = tokens.get(holder, "")
                if since > now - PLACING_GRACE:
                    continue  # being taken right now
                doc = await self.store.holder(holder)
                if doc is not None and doc["status"] in ("placing", "opening"):
                    continue  # the resumed placement finishes it
                if doc is None and since > now - ABANDON_GRACE:
                    continue  # its insert may still land
                if doc is not None and _records_take(doc, token):
                    await self.store.forget_pending_take(capacity["_id"], holder, token)
                else:
                    await self.store.drop_pending(capacity["_id"], holder, token)
                settled += 1
        return settled

    # ------------------------------------------------------------------ helpers

    async def get(self, registration_id: str) -> Doc | None:
        doc = await self.store.get(registration_id)
        return self._linked(doc) if doc else None

    async def _reload(self, registration_id: str) -> Doc:
        doc = await self.store.get(registration_id)
        assert doc is not None, registration_id
        return doc

    async def _pool(self, pool_id: str) -> Doc:
        pool = await self.store.get_pool(pool_id)
        assert pool is not None, pool_id
        return pool

    def _history(self, status: str, by: str) -> Doc:
        return {"at": self._now(), "status": status, "by": by}
