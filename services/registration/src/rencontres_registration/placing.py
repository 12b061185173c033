"""Submitting a registration and settling its first status: a registration is written in
`placing`, takes its place, then one write sets its status with the event it owes.
A repeated idempotency key answers the first registration (same request only); an email
that already holds the offer sends its owner their link.
"""

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from rencontres_contracts.ids import new_id

from rencontres_registration import events
from rencontres_registration.core import (
    LINK_RESEND,
    Core,
    Doc,
)
from rencontres_registration.documents import HistoryEntry, LinkedRegistration, RegistrationDoc
from rencontres_registration.domain import (
    IdempotencyKeyReused,
    RegistrationRefused,
    capacity_id,
    capacity_of,
    check_edition,
    check_incubator_call_open,
    check_transition,
    dedupe_keys,
    new_reference,
    placed_status,
    request_fingerprint,
    resource_for,
)
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
    Take,
)

log = logging.getLogger(__name__)


class Placing(Core):
    async def submit(
        self, request: StandIn | StudentPassIn | IncubatorIn, idempotency_key: str | None
    ) -> LinkedRegistration:
        async with self._link_on_clash():
            return self._linked(await self._submit_request(request, idempotency_key))

    @asynccontextmanager
    async def _link_on_clash(self) -> AsyncIterator[None]:
        """The email already holds this offer: its owner is sent their private link (to that
        address only), and the caller learns nothing of that registration."""
        try:
            yield
        except AlreadyRegistered as clash:
            assert clash.existing is not None
            now = self._now()
            event = events.link_requested(self.catalog, self._linked(clash.existing), now)
            await self.store.registrations.request_link(
                clash.existing.id, now, now - LINK_RESEND, event
            )
            raise AlreadyRegistered(None) from None

    async def _submit_request(
        self, request: StandIn | StudentPassIn | IncubatorIn, idempotency_key: str | None
    ) -> RegistrationDoc:
        """Register for a stand, a student pass or the incubator; repeats return the first.

        A repeated idempotency key is caught by the unique index when the new document is
        inserted, not looked up first: on FerretDB a lookup by any field but `_id` scans."""
        now = self._now()
        try:
            edition_ids = self._chosen_editions(request, now)
        except RegistrationRefused:
            if idempotency_key and (
                done := await self.store.registrations.by_idempotency_key(idempotency_key)
            ):
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

    async def _submit(self, doc: RegistrationDoc, now: datetime) -> RegistrationDoc:
        """Take the place first, then write the registration whole, with its status and its
        event, in one insert. A repeat or a duplicate refused by the unique indexes gives the
        place back; a crash in between leaves a pending place with no holder document, which
        the job gives back (`sweep_pending`)."""
        offer = self.catalog.offer(doc.offer)
        resource = resource_for(offer.kind)
        edition_id = doc.edition_ids[0]
        take: Take | None = None
        if resource is not None:
            total = capacity_of(self.catalog.editions[edition_id], resource)
            take = await self.store.places.take_place(
                capacity_id(edition_id, resource), doc.id, total, now
            )
            if not take and not doc.join_waiting_list:
                return await self._refuse_full(doc)
        status = placed_status(offer, take is None or bool(take))
        placed = doc.model_copy(
            update={
                "status": status,
                "history": [HistoryEntry.model_validate(self._history(status, "system"))],
                **({PLACE_TOKEN: take.token} if take else {}),
            }
        )
        try:
            stored = await self.store.registrations.insert(
                placed, [events.submitted(self.catalog, self._linked(doc), status)]
            )
        except BaseException:  # a duplicate, or anything else: the place goes back at once
            await self._give_back(doc.id, edition_id, resource, take)
            raise
        if stored.id != doc.id:  # the same idempotency key: answer the first one
            await self._give_back(doc.id, edition_id, resource, take)
            return await self._repeat(stored, doc.request_fingerprint)
        if resource is not None and take:
            self.store.places.recorded(capacity_id(edition_id, resource), doc.id)
        return stored

    async def _refuse_full(self, doc: RegistrationDoc) -> RegistrationDoc:
        """Full and no waiting list wanted: nothing is written, unless this was accepted
        before (a repeat answers the first registration, a duplicate email gets its 409)."""
        if (existing := await self.store.registrations.existing(doc)) is not None:
            return await self._repeat(existing, doc.request_fingerprint)
        raise RegistrationRefused("edition_full", "edition_id", "this edition is full")

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
    ) -> RegistrationDoc:
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
        document = RegistrationDoc.model_validate(doc)
        self._check_events_accept(document)
        return document

    def _check_events_accept(self, doc: RegistrationDoc) -> None:
        """Refuse, before anything is written or taken, what the events this registration
        will owe would refuse (the contract is the last word on every field's limits)."""
        try:
            events.submitted(self.catalog, self._linked(doc), "submitted")
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"])
            raise RegistrationRefused("invalid", field, error["msg"]) from exc

    async def _repeat(self, done: RegistrationDoc, fingerprint: str) -> RegistrationDoc:
        """The registration an idempotency key already made, only for the same request: a
        key is never a way to read someone else's registration (and its private link)."""
        if not secrets.compare_digest(done.request_fingerprint, fingerprint):
            raise IdempotencyKeyReused()
        return await self._settle(done)

    async def _settle(self, doc: RegistrationDoc) -> RegistrationDoc:
        """Finish placing a registration; safe to repeat (idempotent retries, the job)."""
        if doc.status != "placing":
            return doc
        if doc.offer == "pool_seat":
            return await self._settle_pool_seat(doc)
        offer = self.catalog.offer(doc.offer)
        resource = resource_for(offer.kind)
        if resource is None:
            return await self._placed(doc, placed_status(offer, True))
        edition_id = doc.edition_ids[0]
        cid = capacity_id(edition_id, resource)
        total = capacity_of(self.catalog.editions[edition_id], resource)
        take = await self.store.places.take_place(cid, doc.id, total, self._now())
        if not take and not doc.join_waiting_list:
            await self.store.registrations.delete_placing(doc.id)
            raise RegistrationRefused("edition_full", "edition_id", "this edition is full")
        placed = await self._place(doc, placed_status(offer, bool(take)), take)
        if placed is None:  # another settle of this document got there first
            await self._give_back(doc.id, edition_id, resource, take)
            return await self._reload(doc.id)
        if take:
            self.store.places.recorded(cid, doc.id)
        return placed

    async def _place(
        self, doc: RegistrationDoc, status: Any, take: Take | None = None
    ) -> RegistrationDoc | None:
        """Set a placing registration's first status, with its event (and the take whose
        place it holds); None if it had one already."""
        event = events.submitted(self.catalog, self._linked(doc), status)
        fields = {"status": status, **({PLACE_TOKEN: take.token} if take else {})}
        return await self.store.registrations.transition(
            doc.id, ["placing"], fields, [event], self._history(status, "system")
        )

    async def _placed(self, doc: RegistrationDoc, status: Any) -> RegistrationDoc:
        return await self._place(doc, status) or await self._reload(doc.id)

    async def settle_by_staff(self, doc: RegistrationDoc) -> RegistrationDoc:
        """Staff finish a registration stuck between statuses: its placement resumes; if that
        cannot succeed, it is abandoned and gives back whatever it held. Nobody was told
        about it yet (its first event goes with its first status), so nobody is told now."""
        check_transition("settle", doc.status)
        try:
            return await self._settle(doc)
        except RegistrationRefused:
            return await self._reload_or(doc, "cancelled")
        except Exception:
            log.exception("registration %s cannot be placed; abandoning it", doc.id)
        done = await self.store.registrations.transition(
            doc.id,
            ["placing"],
            {"status": "cancelled", "cancel_reason": "by_staff", "cancelled_at": self._now()},
            [],
            self._history("cancelled", "staff"),
        )
        if done is None:
            return await self._reload(doc.id)
        await self._abandon_places(doc)
        return done

    async def _abandon_places(self, doc: RegistrationDoc) -> None:
        """Give back what an abandoned placement took: its pending place, or its pool seat
        (and its pool's stand, if it opened one that nobody else shares)."""
        if doc.offer != "pool_seat":
            resource = resource_for(doc.offer)
            if resource is not None:
                cid = capacity_id(doc.edition_ids[0], resource)
                if token := await self.store.places.pending_token(cid, doc.id):
                    await self.store.places.drop_pending(cid, doc.id, token)
            return
        pool = await self.store.pools.get_pool(doc.pool_id) if doc.pool_id else None
        if pool is None:
            return
        if pool.status == "opening":
            cid = capacity_id(pool.edition_id, "stand")
            if await self.store.pools.delete_pool(pool.id) and (
                token := await self.store.places.pending_token(cid, pool.id)
            ):
                await self.store.places.drop_pending(cid, pool.id, token)
            return
        await self._free(doc.model_copy(update={"status": "cancelled"}))

    async def _reload_or(self, doc: RegistrationDoc, status: str) -> RegistrationDoc:
        """The document as it is now, or (deleted: it could not be placed) as `status`."""
        return await self.store.registrations.get(doc.id) or doc.model_copy(
            update={"status": status}
        )
