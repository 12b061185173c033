"""What happens to registrations, in-process against the real database with a moved clock."""

import asyncio
from typing import Any

import pytest
from rencontres_registration.documents import RegistrationDoc
from rencontres_registration.domain import RegistrationRefused, TransitionRefused
from rencontres_registration.service import Registrations
from rencontres_registration.store import AlreadyRegistered

from services.registration.tests import builders as b
from services.registration.tests.conftest import Clock, owed

pytestmark = pytest.mark.infra


async def places(service: Registrations, capacity_id: str) -> tuple[int, list[str]]:
    """Places taken, and the holders still pending once the recorded ones are forgotten."""
    await service.store.places.forget_recorded()
    doc = await service.store.places.collection.find_one({"_id": capacity_id})
    assert doc is not None
    return doc["taken"], doc.get("pending", [])


async def written(service: Registrations, doc: RegistrationDoc) -> dict[str, Any]:
    """The registration as written, with the events it owes."""
    raw = await service.store.registrations.collection.find_one({"_id": doc.id})
    assert raw is not None
    return raw


async def reload(service: Registrations, doc: RegistrationDoc) -> RegistrationDoc:
    found = await service.store.registrations.get(doc.id)
    assert found is not None
    return found


async def test_stands_are_reserved_until_full_then_waitlisted(service: Registrations) -> None:
    first = await service.submit(b.stand(), None)
    second = await service.submit(b.stand(), None)
    third = await service.submit(b.stand(), None)
    assert [first.status, second.status, third.status] == [
        "reserved",
        "reserved",
        "waitlisted",
    ]
    assert await places(service, "small-1:stand") == (2, [])
    raw = await written(service, first)
    assert owed(raw) == ["registration.submitted.v1"]
    assert raw["outbox"][0]["key"] == first.id


async def test_full_edition_without_waiting_list_is_refused_and_nothing_stays(
    service: Registrations,
) -> None:
    await service.submit(b.stand("small-2"), None)
    request = b.stand("small-2", join_waiting_list=False)
    with pytest.raises(RegistrationRefused) as refused:
        await service.submit(request, None)
    assert refused.value.code == "edition_full"
    assert await service.store.registrations.count({"contact.email": request.contact.email}) == 0


async def test_same_idempotency_key_returns_the_first_registration(service: Registrations) -> None:
    request = b.stand()
    first = await service.submit(request, "key-1")
    again = await service.submit(request, "key-1")
    assert again.id == first.id
    assert await service.store.registrations.count({"contact.email": request.contact.email}) == 1
    assert await places(service, "small-1:stand") == (1, [])


async def test_same_email_same_offer_same_edition_is_a_conflict(service: Registrations) -> None:
    request = b.stand()
    first = await service.submit(request, None)
    with pytest.raises(AlreadyRegistered) as clash:
        await service.submit(request, None)
    assert clash.value.existing is None  # nothing for the faces to reveal
    assert owed(await written(service, first))[-1] == "registration.link_requested.v1"
    assert await places(service, "small-1:stand") == (1, [])  # the clash gave its place back
    other_day = request.model_copy(update={"edition_id": "small-2"})
    assert (await service.submit(other_day, None)).status == "reserved"


async def test_cancellation_offers_the_place_to_the_first_in_line(
    service: Registrations, clock: Clock
) -> None:
    a = await service.submit(b.stand("small-2"), None)
    clock.advance(seconds=1)
    waiting_first = await service.submit(b.stand("small-2"), None)
    clock.advance(seconds=1)
    waiting_second = await service.submit(b.stand("small-2"), None)
    cancelled = await service.cancel(a, by="owner")
    assert cancelled.status == "cancelled"
    promoted = await reload(service, waiting_first)
    assert promoted.status == "offered"
    assert owed(await written(service, promoted))[-1] == "registration.promoted.v1"
    assert (await reload(service, waiting_second)).status == "waitlisted"
    assert await places(service, "small-2:stand") == (1, [])
    accepted = await service.accept_offer(promoted)
    assert accepted.status == "reserved"
    assert owed(await written(service, waiting_first))[-1] == "registration.reserved.v1"


async def test_an_offer_not_taken_in_time_goes_to_the_next(
    service: Registrations, clock: Clock
) -> None:
    holder = await service.submit(b.stand("small-2"), None)
    first = await service.submit(b.stand("small-2"), None)
    second = await service.submit(b.stand("small-2"), None)
    await service.cancel(holder, by="staff")
    offered = await reload(service, first)
    assert offered.status == "offered"
    clock.advance(hours=49)
    report = await service.run_jobs()
    assert report["offers_expired"] == 1
    lapsed = await reload(service, first)
    assert lapsed.status == "cancelled" and lapsed.cancel_reason == "offer_expired"
    assert (await reload(service, second)).status == "offered"
    with pytest.raises(TransitionRefused):
        await service.accept_offer(lapsed)
    assert await service.run_jobs() == {
        "offers_expired": 0,
        "pools_closed": 0,
        "resumed": 0,
        "pending_settled": 0,
        "places_repaired": 0,
        "promoted": 0,
    }


async def test_cancelling_twice_is_refused(service: Registrations) -> None:
    doc = await service.submit(b.student(), None)
    assert doc.status == "confirmed"
    done = await service.cancel(doc, by="owner")
    with pytest.raises(TransitionRefused):
        await service.cancel(done, by="owner")


async def test_payment_confirms_a_reserved_stand_once(service: Registrations) -> None:
    doc = await service.submit(b.stand(), None)
    await service.mark_paid([doc.id])
    await service.mark_paid([doc.id])  # a redelivered invoice.paid event
    raw = await written(service, doc)
    assert raw["status"] == "confirmed"
    assert owed(raw).count("registration.confirmed.v1") == 1


async def test_incubator_application_is_reviewed_then_withdrawn(service: Registrations) -> None:
    doc = await service.submit(b.incubator(), None)
    assert doc.status == "submitted" and doc.edition_ids == ["incubateur-test"]
    under_review = await service.review(doc, "under_review", None)
    accepted = await service.review(under_review, "accepted", "Bienvenue !")
    assert accepted.status == "accepted"
    with pytest.raises(TransitionRefused):
        await service.review(accepted, "rejected", None)
    withdrawn = await service.cancel(accepted, by="owner")
    assert withdrawn.status == "withdrawn"
    assert owed(await written(service, doc)) == [
        "registration.submitted.v1",
        "application.reviewed.v1",
        "application.reviewed.v1",
        "registration.cancelled.v1",
    ]


async def test_incubator_call_closed_is_refused(service: Registrations, clock: Clock) -> None:
    clock.advance(days=120)
    with pytest.raises(RegistrationRefused, match="not open"):
        await service.submit(b.incubator(), None)


async def test_shared_stand_fills_closes_and_splits_the_price(service: Registrations) -> None:
    opener, pool, url = await service.open_pool(b.pool_open(), None)
    assert opener.status == "reserved" and pool.status == "open"
    assert await places(service, "small-1:stand") == (1, [])
    key = url.split("k=")[1]
    second = await service.join_pool(pool.id, b.pool_join(key), None)
    third = await service.join_pool(pool.id, b.pool_join(key), None)
    assert second.status == third.status == "reserved"
    closed = await service.store.pools.collection.find_one({"_id": pool.id})
    assert closed is not None and closed["status"] == "closed"
    assert owed(closed) == ["pool.opened.v1", "pool.joined.v1", "pool.joined.v1", "pool.closed.v1"]
    shares = [m["share_excl_vat_cents"] for m in _data(closed["outbox"][-1])["members"]]
    assert shares == [20000, 20000, 20000]
    with pytest.raises(RegistrationRefused) as full:
        await service.join_pool(pool.id, b.pool_join(key), None)
    assert full.value.code == "pool_closed"  # it closed when full


async def test_pool_opened_tells_the_opener_the_link_the_api_returned(
    service: Registrations,
) -> None:
    request = b.pool_open()
    opener, pool, url = await service.open_pool(request, None)
    stored = await service.store.pools.collection.find_one({"_id": pool.id})
    assert stored is not None
    opened = _data(stored["outbox"][0])
    assert opened["invitation_url"] == url
    assert opened["contact"]["email"] == request.contact.email
    assert opened["opener_reference"] == opener.reference
    assert opened["opened_by"] == opener.id and opened["edition_name"]


async def test_a_wrong_invitation_key_is_refused(service: Registrations) -> None:
    _, pool, _ = await service.open_pool(b.pool_open(), None)
    with pytest.raises(RegistrationRefused) as refused:
        await service.join_pool(pool.id, b.pool_join("not-the-key-at-all"), None)
    assert refused.value.code == "invitation_unknown"


async def test_a_pool_left_alone_at_its_deadline_gives_its_stand_back(
    service: Registrations, clock: Clock
) -> None:
    opener, pool, _ = await service.open_pool(b.pool_open("small-2"), None)
    waiting = await service.submit(b.stand("small-2"), None)
    assert waiting.status == "waitlisted"
    clock.now = pool.deadline
    clock.advance(minutes=1)
    report = await service.run_jobs()
    assert report["pools_closed"] == 1
    closed = await service.store.pools.collection.find_one({"_id": pool.id})
    assert closed is not None and closed["status"] == "unfilled"
    lone = await reload(service, opener)
    assert lone.status == "cancelled" and lone.cancel_reason == "pool_unfilled"
    assert (await reload(service, waiting)).status == "offered"
    assert await places(service, "small-2:stand") == (1, [])


async def test_a_pool_with_enough_members_closes_at_its_deadline(
    service: Registrations, clock: Clock
) -> None:
    _, pool, url = await service.open_pool(b.pool_open(), None)
    await service.join_pool(pool.id, b.pool_join(url.split("k=")[1]), None)
    clock.now = pool.deadline
    clock.advance(seconds=1)
    await service.run_jobs()
    closed = await service.store.pools.collection.find_one({"_id": pool.id})
    assert closed is not None and closed["status"] == "closed"
    last = _data(closed["outbox"][-1])
    assert last["reason"] == "deadline"
    assert [m["share_excl_vat_cents"] for m in last["members"]] == [30000, 30000]


async def test_no_stand_left_means_no_pool(service: Registrations) -> None:
    await service.submit(b.stand("small-2"), None)
    request = b.pool_open("small-2")
    with pytest.raises(RegistrationRefused) as refused:
        await service.open_pool(request, None)
    assert refused.value.code == "no_stand_to_share"
    assert await service.store.registrations.count({"contact.email": request.contact.email}) == 0
    assert await service.store.pools.collection.count_documents({"status": {"$ne": "refused"}}) == 0


async def test_erasure_forgets_the_person_and_frees_the_place(service: Registrations) -> None:
    doc = await service.submit(b.stand("small-2"), None)
    waiting = await service.submit(b.stand("small-2"), None)
    erased = await service.erase(doc)
    assert erased.contact.email == "erased@invalid.example"
    assert erased.organisation is None and erased.status_url == ""
    assert owed(await written(service, doc))[-2:] == [
        "registration.cancelled.v1",
        "registration.erased.v1",
    ]
    assert (await reload(service, waiting)).status == "offered"
    assert await service.for_owner(doc.id, "anything") is None
    again = await service.submit(b.stand("small-1", contact=doc.contact.model_dump()), None)
    assert again.status == "reserved"  # the erased email no longer blocks a new booking


async def test_a_registration_stuck_while_placing_is_finished_by_the_job(
    service: Registrations, clock: Clock
) -> None:
    request = b.stand()
    doc = service._new_document("stand", ["small-1"], request, None, clock(), {}, "stand")
    await service.store.registrations.insert(doc)  # as if the process died right after this write
    assert await service.store.places.take_place("small-1:stand", doc.id, 2, clock())  # and this
    clock.advance(minutes=2)
    report = await service.run_jobs()
    assert report["resumed"] == 1
    assert (await reload(service, doc)).status == "reserved"
    assert await places(service, "small-1:stand") == (1, [])  # the place it took, once


def _data(entry: dict[str, Any]) -> dict[str, Any]:
    import json

    data: dict[str, Any] = json.loads(entry["value"])["data"]
    return data


async def test_a_crash_between_taking_a_place_and_writing_the_registration_gives_it_back(
    service: Registrations, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(*_: Any) -> None:
        raise RuntimeError("the process died here")

    # the process dies writing the registration: dead, it runs no give-back either
    monkeypatch.setattr(service.store.registrations, "insert", crash)
    monkeypatch.setattr(service.store.places, "drop_pending", crash)
    with pytest.raises(RuntimeError):
        await service.submit(b.stand("small-2"), "crash-key")
    monkeypatch.undo()
    assert await service.store.registrations.by_idempotency_key("crash-key") is None
    taken, pending = await places(service, "small-2:stand")
    assert taken == 1 and len(pending) == 1
    waiting = await service.submit(b.stand("small-2"), None)
    assert waiting.status == "waitlisted"  # the edition's one stand looks taken
    clock.advance(seconds=10)
    assert (await service.run_jobs())["pending_settled"] == 0  # too recent to judge
    clock.advance(minutes=9)
    assert (await service.run_jobs())["pending_settled"] == 0  # its insert may still land
    clock.advance(minutes=2)
    report = await service.run_jobs()
    assert report["pending_settled"] == 1 and report["promoted"] == 1
    assert (await reload(service, waiting)).status == "offered"
    assert await places(service, "small-2:stand") == (1, [])


async def test_taking_again_for_a_pending_holder_counts_once_and_keeps_it_from_the_job(
    service: Registrations, clock: Clock
) -> None:
    first = await service.store.places.take_place("small-2:stand", "slow", 1, clock())
    clock.advance(minutes=11)
    retry = await service.store.places.take_place("small-2:stand", "slow", 1, clock())
    other = await service.store.places.take_place("small-2:stand", "other", 1, clock())
    assert (first.outcome, retry.outcome, other.outcome) == ("counted", "pending", "full")
    assert retry.token == first.token  # so whoever writes the status records the counted take
    assert (await service.run_jobs())["pending_settled"] == 0  # the retry refreshed its time
    assert await places(service, "small-2:stand") == (1, ["slow"])


async def test_concurrent_allocations_offer_a_free_place_once(service: Registrations) -> None:
    holder = await service.submit(b.stand("small-2"), None)
    waiting = [await service.submit(b.stand("small-2"), None) for _ in range(4)]
    assert [w.status for w in waiting] == ["waitlisted"] * 4
    # the place comes free, as if its holder's process died before offering it on
    await service.store.places.release_place("small-2:stand", holder.id)
    promoted = await asyncio.gather(*(service.allocate("small-2", "stand") for _ in range(3)))
    assert sum(promoted) == 1
    statuses = [(await reload(service, w)).status for w in waiting]
    assert statuses.count("offered") == 1 and statuses.count("waitlisted") == 3
    assert await places(service, "small-2:stand") == (1, [])


async def test_the_job_forgets_a_held_place_it_finds_pending_and_never_gives_it_back_twice(
    service: Registrations, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await service.submit(b.stand(), None)
    second = await service.submit(b.stand(), None)
    service.store.places._recorded.clear()  # the process died before its batch left `pending`
    clock.advance(seconds=31)
    release = service.store.places.release_place

    async def the_job_runs_in_between(capacity: str, holder: str) -> None:
        assert await service.sweep_pending() == 2  # both have held a place: forgotten
        await release(capacity, holder)

    monkeypatch.setattr(service.store.places, "release_place", the_job_runs_in_between)
    await service.cancel(first, by="owner")
    assert await places(service, "small-1:stand") == (1, [])  # second's place, counted once
    assert (await reload(service, second)).status == "reserved"
    assert (await service.submit(b.stand(), None)).status == "reserved"
    assert (await service.submit(b.stand(), None)).status == "waitlisted"


async def test_settling_a_stale_copy_again_does_not_count_a_second_place(
    service: Registrations, clock: Clock
) -> None:
    doc = service._new_document("stand", ["small-1"], b.stand(), None, clock(), {}, "stand")
    await service.store.registrations.insert(doc)  # a placing document, as a crash leaves one
    assert (await service._settle(doc.model_copy())).status == "reserved"
    await service.store.places.forget_recorded()
    again = await service._settle(doc.model_copy())  # the job, from a copy read before
    assert again.status == "reserved"
    assert await places(service, "small-1:stand") == (1, [])


async def test_a_capacity_written_by_the_previous_version_is_converted_once(
    service: Registrations,
) -> None:
    await service.store.places.collection.replace_one(
        {"_id": "small-1:stand"},
        {"edition_id": "small-1", "resource": "stand", "total": 2, "holders": ["a", "b"]},
    )
    await service.ensure_capacity()
    await service.ensure_capacity()
    doc = await service.store.places.collection.find_one({"_id": "small-1:stand"})
    assert doc is not None and doc["taken"] == 2 and "holders" not in doc
    assert (await service.submit(b.stand(), None)).status == "waitlisted"


async def test_two_settles_of_an_opener_on_a_full_edition_both_refuse_and_leave_nothing(
    service: Registrations, monkeypatch: pytest.MonkeyPatch
) -> None:
    await service.submit(b.stand("small-2"), None)  # its one stand is gone
    settle = service._settle

    async def crash(_: RegistrationDoc) -> RegistrationDoc:
        raise RuntimeError("the process died after writing the opener and its pool")

    monkeypatch.setattr(service, "_settle", crash)
    with pytest.raises(RuntimeError):
        await service.open_pool(b.pool_open("small-2"), None)
    monkeypatch.undo()
    opener = await service.store.registrations.collection.find_one({"offer": "pool_seat"})
    assert opener is not None and opener["status"] == "placing"
    copy = RegistrationDoc.model_validate(opener)
    # the person's retry and the job, at once
    results = await asyncio.gather(
        settle(copy.model_copy()), settle(copy.model_copy()), return_exceptions=True
    )
    assert all(
        isinstance(r, RegistrationRefused) and r.code == "no_stand_to_share" for r in results
    ), [(type(r), getattr(r, "__dict__", r)) for r in results]
    assert await service.store.registrations.get(copy.id) is None
    assert (await service._pool(copy.pool_id)).status == "refused"  # holding nothing
    assert await places(service, "small-2:stand") == (1, [])


async def test_a_stale_take_is_still_dropped_by_its_taker_after_the_holder_cancels(
    service: Registrations, clock: Clock
) -> None:
    first = await service.submit(b.stand(), None)
    second = await service.submit(b.stand(), None)
    waiting = await service.submit(b.stand(), None)
    await service.cancel(first, by="owner")  # the place goes to `waiting`
    await service.cancel(second, by="owner")  # a place comes free, nobody waits
    offered = await reload(service, waiting)
    assert offered.status == "offered"
    assert await places(service, "small-1:stand") == (1, [])
    # another replica, still believing `waiting` waits, takes a second place for it ...
    stale = await service.store.places.take_place("small-1:stand", waiting.id, 2, clock())
    assert stale.outcome == "counted"
    await service.cancel(offered, by="owner")  # ... the person cancels meanwhile ...
    # ... and that replica, whose promotion then fails, drops what it took
    assert await service.store.places.drop_pending("small-1:stand", waiting.id, stale.token)
    assert await places(service, "small-1:stand") == (0, [])


async def test_a_stale_take_left_by_a_crash_is_given_back_by_the_job(
    service: Registrations, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = service._new_document("stand", ["small-1"], b.stand(), None, clock(), {}, "stand")
    await service.store.registrations.insert(doc)
    assert (await service._settle(doc.model_copy())).status == "reserved"
    await service.store.places.forget_recorded()

    async def crash(*_: Any) -> None:
        raise RuntimeError("the process died before giving its take back")

    monkeypatch.setattr(service, "_give_back", crash)
    with pytest.raises(RuntimeError):
        await service._settle(doc.model_copy())  # the job, from a copy read before, takes again
    monkeypatch.undo()
    taken, pending = await places(service, "small-1:stand")
    assert taken == 2 and pending == [doc.id]
    clock.advance(seconds=31)
    assert (await service.run_jobs())["pending_settled"] == 1
    assert await places(service, "small-1:stand") == (1, [])  # the place it records, once


async def test_a_failure_after_the_take_gives_the_place_back(
    service: Registrations, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(service.store.registrations, "insert", broken)
    with pytest.raises(RuntimeError):
        await service.submit(b.stand(), None)
    assert await places(service, "small-1:stand") == (0, [])


async def test_staff_see_and_settle_a_stuck_pool_opener(
    service: Registrations, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("crash between the pool opening and the seat's status")

    monkeypatch.setattr(service, "_placed", broken)
    with pytest.raises(RuntimeError):
        await service.open_pool(b.pool_open(), None)
    [stuck] = await service.store.registrations.search({"status": "placing"}, limit=10)
    assert await places(service, "small-1:stand") == (1, [])
    monkeypatch.setattr(service, "_settle", broken)  # it cannot be placed: staff abandon it
    settled = await service.settle_by_staff(stuck)
    assert settled.status == "cancelled"
    assert await places(service, "small-1:stand") == (0, [])  # the pool's stand came back
    with pytest.raises(TransitionRefused):
        await service.settle_by_staff(settled)


async def test_staff_settle_resumes_a_placement_that_can_finish(
    service: Registrations, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = service._placed

    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("crash")

    monkeypatch.setattr(service, "_placed", broken)
    with pytest.raises(RuntimeError):
        await service.open_pool(b.pool_open(), None)
    monkeypatch.setattr(service, "_placed", original)
    [stuck] = await service.store.registrations.search({"status": "placing"}, limit=10)
    assert (await service.settle_by_staff(stuck)).status == "reserved"
    assert await places(service, "small-1:stand") == (1, [])


async def test_an_idempotency_key_used_for_another_request_is_refused_on_every_route(
    service: Registrations,
) -> None:
    from rencontres_registration.domain import IdempotencyKeyReused

    await service.submit(b.stand(), "key-x")
    with pytest.raises(IdempotencyKeyReused):
        await service.submit(b.stand(), "key-x")
    with pytest.raises(IdempotencyKeyReused):
        await service.open_pool(b.pool_open(), "key-x")
    _, pool, url = await service.open_pool(b.pool_open(), "key-y")
    key = url.split("k=")[1]
    with pytest.raises(IdempotencyKeyReused):
        await service.join_pool(pool.id, b.pool_join(key), "key-x")
    joined = b.pool_join(key)
    first = await service.join_pool(pool.id, joined, "key-z")
    assert (await service.join_pool(pool.id, joined, "key-z")).id == first.id
    with pytest.raises(IdempotencyKeyReused):
        await service.join_pool(pool.id, b.pool_join(key), "key-z")


async def _cancelled_without_giving_back(service: Registrations, doc: RegistrationDoc) -> None:
    """A cancellation whose process died between its status change and the give-back."""
    done = await service.store.registrations.transition(
        doc.id, [doc.status], {"status": "cancelled"}, []
    )
    assert done is not None


async def test_reconciliation_repairs_a_place_counted_forever(service: Registrations) -> None:
    kept = await service.submit(b.stand(), None)
    lost = await service.submit(b.stand(), None)
    await _cancelled_without_giving_back(service, lost)
    assert await places(service, "small-1:stand") == (2, [])  # the edition looks full
    waiting = await service.submit(b.stand(), None)
    assert waiting.status == "waitlisted"
    service.reconciler.pause = 0.01
    [drift] = await service.reconciler.reconcile(now=True)  # staff ask for it
    assert (drift.capacity_id, drift.counted, drift.held, drift.repaired) == (
        "small-1:stand", 2, 1, True,
    )  # fmt: skip
    assert await places(service, "small-1:stand") == (1, [])
    assert await service.allocate("small-1", "stand") == 1  # the next in line gets it
    assert (await reload(service, waiting)).status == "offered"
    assert (await reload(service, kept)).status == "reserved"
    assert await service.reconciler.reconcile(now=True) == []


async def test_the_periodic_reconciliation_repairs_a_drift_it_sees_twice(
    service: Registrations,
) -> None:
    lost = await service.submit(b.student(), None)
    await _cancelled_without_giving_back(service, lost)
    assert await places(service, "small-1:student_pass") == (1, [])
    first = await service.run_jobs()
    assert first["places_repaired"] == 0  # maybe a release in flight: wait for a second look
    assert await places(service, "small-1:student_pass") == (1, [])
    assert (await service.run_jobs())["places_repaired"] == 1
    assert await places(service, "small-1:student_pass") == (0, [])
