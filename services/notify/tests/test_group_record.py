"""Deliveries recorded together (one insert, one lease token: a send group, `groups.py`) have
their acceptances recorded together: one write on the group for the emails that went through,
none on the deliveries, a write of its own for every other outcome, and nothing read back
`sent` that was not accepted. A group whose lease ran out is released and its deliveries taken
over one by one. Erasure blanks the person and keeps what was sent. A batch of events
redelivered through the consumer sends nothing twice and leaves `processed_events` alone
(`on_batch(..., idempotent=True)`). Recording waits while too much is unsent."""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any
from uuid import uuid4

import httpx
import pytest
from rencontres_contracts import CloudEvent
from rencontres_infra.stack import Endpoints
from rencontres_kit.consumer import EventConsumer, Record
from rencontres_notify.dispatcher import RESENDS, Dispatcher
from rencontres_notify.figures import tally
from rencontres_notify.handlers import router
from rencontres_notify.notifier import Notifier
from rencontres_notify.retry import transient
from rencontres_notify.senders import OutgoingEmail
from rencontres_notify.store import DeliveryStore

from services.notify.tests.conftest import FAST, Clock, mails_to
from services.notify.tests.test_delivery_flow import submitted

pytestmark = pytest.mark.infra


def people(n: int) -> list[str]:
    return [f"lea.{uuid4().hex[:10]}@example.fr" for _ in range(n)]


def spy(monkeypatch: pytest.MonkeyPatch, target: object, name: str) -> list[tuple[Any, ...]]:
    """Record the arguments of every call to `target.name`, which still runs."""
    calls: list[tuple[Any, ...]] = []
    real = getattr(target, name)

    async def wrapper(*args: Any) -> Any:
        calls.append(args)
        return await real(*args)

    monkeypatch.setattr(target, name, wrapper)
    return calls


def failing_for(
    dispatcher: Dispatcher, address: str, error: Callable[[], Exception]
) -> Callable[[OutgoingEmail], Any]:
    real = dispatcher.email.send

    async def send(out: OutgoingEmail) -> None:
        if out.to == address:
            raise error()
        await real(out)

    return send


async def statuses(store: DeliveryStore, events: Sequence[CloudEvent[Any]]) -> list[str]:
    return [(await store.for_registration(e.subject))[0]["status"] for e in events]


async def test_a_batchs_acceptances_are_one_write_and_a_retry_keeps_its_own(
    notifier: Notifier,
    dispatcher: Dispatcher,
    store: DeliveryStore,
    clock: Clock,
    http: httpx.AsyncClient,
    endpoints: Endpoints,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    addresses = people(6)
    events = [submitted(a, None, False) for a in addresses]
    together = spy(monkeypatch, store.groups, "sent")
    one_by_one = spy(monkeypatch, store, "sent")
    send = failing_for(dispatcher, addresses[2], lambda: transient("SMTP 451: try later"))
    monkeypatch.setattr(dispatcher.email, "send", send)

    assert await notifier.handle_many(events) == 6
    await dispatcher.send_claimed()

    assert len(together) == 1 and one_by_one == []
    assert await statuses(store, events) == ["sent"] * 2 + ["retrying"] + ["sent"] * 3
    assert await store.groups.collection.count_documents({"status": "open"}) == 0
    for address in addresses[:2] + addresses[3:]:
        assert len(await mails_to(http, endpoints.mail_url, address)) == 1
    monkeypatch.undo()  # the server takes it now; the retry is a claim and a write of its own
    clock.advance(seconds=5)
    await dispatcher.run_once()
    assert await statuses(store, events) == ["sent"] * 6
    [retried] = await store.for_registration(events[2].subject)
    assert retried["attempts"] == 2 and "lease" not in retried
    assert len(await mails_to(http, endpoints.mail_url, addresses[2])) == 1


async def test_an_attempt_that_breaks_unexpectedly_is_never_recorded_sent_with_its_group(
    notifier: Notifier,
    dispatcher: Dispatcher,
    store: DeliveryStore,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its state unknown (sent or not), it keeps its lease, to be taken over when the lease
    runs out; the group's acceptances are recorded one by one instead of by token."""
    addresses = people(4)
    events = [submitted(a, None, False) for a in addresses]
    together = spy(monkeypatch, store.groups, "sent")
    real_failure = dispatcher._failure

    async def broken_failure(doc: dict[str, Any], token: str, exc: Exception) -> str:
        raise RuntimeError("the database went away while recording a failure")

    monkeypatch.setattr(dispatcher, "_failure", broken_failure)
    monkeypatch.setattr(
        dispatcher.email, "send", failing_for(dispatcher, addresses[1], lambda: transient("451"))
    )

    assert await notifier.handle_many(events) == 4
    await dispatcher.send_claimed()

    assert together == []
    assert await statuses(store, events) == ["sent", "sending", "sent", "sent"]
    monkeypatch.setattr(dispatcher, "_failure", real_failure)
    resends = RESENDS.labels("email")._value.get()
    clock.advance(seconds=31)  # FAST's lease is 30 s: taken over, counted as a possible resend
    await dispatcher.run_once()
    assert await statuses(store, events) == ["sent", "retrying", "sent", "sent"]
    [taken_over] = await store.for_registration(events[1].subject)
    assert taken_over["attempts"] == 2
    assert RESENDS.labels("email")._value.get() == resends + 1


async def test_a_redelivered_batch_through_the_consumer_sends_nothing_new(
    notifier: Notifier,
    dispatcher: Dispatcher,
    store: DeliveryStore,
    http: httpx.AsyncClient,
    endpoints: Endpoints,
) -> None:
    addresses = people(3)
    events = [submitted(a, None, False) for a in addresses]
    records = [
        Record("registration.events", 0, i, e.to_bytes(), key=e.subject.encode())
        for i, e in enumerate(events)
    ]

    async def nowhere(*args: Any) -> None:
        raise AssertionError("nothing is dead-lettered")

    consumer = EventConsumer(
        "notify-test",
        store.processed,
        nowhere,
        router.bind(notifier),
        batch_handlers=router.bind_batches(notifier),
        idempotent_batch_types=router.idempotent_batch_types,
    )
    assert {e.type for e in events} <= router.idempotent_batch_types

    assert await consumer.consume_batch(records) == ["applied"] * 3
    await dispatcher.run_once()
    assert await consumer.consume_batch(records) == ["applied"] * 3  # redelivered: no-op
    await dispatcher.run_once()

    for address, event in zip(addresses, events, strict=True):
        assert len(await mails_to(http, endpoints.mail_url, address)) == 1
        [doc] = await store.for_registration(event.subject)
        assert doc["status"] == "sent" and doc["attempts"] == 1
    assert await store.processed.count_documents({}) == 0  # neither looked up nor recorded
    groups = await store.groups.collection.find({}).to_list()
    assert sorted(g["count"] for g in groups) == [0, 3]  # the redelivery's closed at once
    assert {g["status"] for g in groups} == {"sent"}


async def test_the_consumer_waits_while_too_many_recorded_deliveries_are_unsent(
    make_dispatcher: Callable[..., Dispatcher],
    store: DeliveryStore,
    clock: Clock,
    http: httpx.AsyncClient,
    endpoints: Endpoints,
) -> None:
    """A backlog waits in Kafka, not in memory past its leases: recording returns once the
    dispatcher has sent enough; and at once when it stops (what was recorded is durable)."""
    dispatcher = make_dispatcher(policy=replace(FAST, max_unsent=3))
    notifier = Notifier(store, dispatcher, clock=clock)
    addresses = people(4)

    recording = asyncio.create_task(
        notifier.handle_many([submitted(a, None, False) for a in addresses[:3]])
    )
    await asyncio.sleep(0.5)
    assert not recording.done()  # 3 unsent: the handler holds its batch
    await dispatcher.send_claimed()
    assert await asyncio.wait_for(recording, 5) == 3
    assert all([await mails_to(http, endpoints.mail_url, a) for a in addresses[:3]])

    dispatcher = make_dispatcher(policy=replace(FAST, max_unsent=1))
    recording = asyncio.create_task(
        Notifier(store, dispatcher, clock=clock).handle(submitted(addresses[3], None, False))
    )
    await asyncio.sleep(0.5)
    assert not recording.done()
    await dispatcher.stop()
    assert await asyncio.wait_for(recording, 5) == 1


async def test_a_groups_acceptances_are_read_back_sent_and_counted_though_no_delivery_was_written(
    notifier: Notifier, dispatcher: Dispatcher, store: DeliveryStore, clock: Clock
) -> None:
    events = [submitted(a, None, False) for a in people(3)]
    assert await notifier.handle_many(events) == 3
    await dispatcher.send_claimed()

    raw = await store.deliveries.find({}).to_list()
    # stored `grouped`, not `sending`: the lease scan's `sending` query never reads them
    assert {d["status"] for d in raw} == {"grouped"} and len({d["group"] for d in raw}) == 1
    [group] = await store.groups.collection.find({}).to_list()
    assert group["status"] == "sent" and sorted(group["ids"]) == sorted(d["_id"] for d in raw)
    for event in events:
        doc = await store.get(f"{event.id}:email")
        assert doc and doc["status"] == "sent"
        assert abs((doc["sent_at"] - clock()).total_seconds()) < 0.001  # the group's, in ms
        assert "lease" not in doc and "group" not in doc
    summaries = await store.delivery_summaries(("sent",))
    assert summaries == [{"channel": "email", "status": "sent"}] * 3


async def test_a_group_released_while_still_sending_records_its_late_acceptances_one_by_one(
    notifier: Notifier,
    dispatcher: Dispatcher,
    make_dispatcher: Callable[..., Dispatcher],
    store: DeliveryStore,
    clock: Clock,
    http: httpx.AsyncClient,
    endpoints: Endpoints,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The group's sender is slow past the lease (a stalled connection): another dispatcher
    releases the group and sends again (counted); the late sender's write on the group is
    refused, so it records its acceptances on the deliveries, and everything reads `sent`."""
    addresses = people(2)
    events = [submitted(a, None, False) for a in addresses]
    go_on = asyncio.Event()
    real = dispatcher.email.send

    async def stalled(out: OutgoingEmail) -> None:
        await go_on.wait()
        await real(out)

    monkeypatch.setattr(dispatcher.email, "send", stalled)
    assert await notifier.handle_many(events) == 2
    sending = asyncio.create_task(dispatcher.send_claimed())
    await asyncio.sleep(0.2)
    resends = RESENDS.labels("email")._value.get()
    clock.advance(seconds=FAST.lease.total_seconds() + 1)
    other = make_dispatcher()
    await other.scan()  # releases the group, takes both over and sends them
    assert RESENDS.labels("email")._value.get() == resends + 2
    [group] = await store.groups.collection.find({}).to_list()
    assert group["status"] == "released"
    late_writes = spy(monkeypatch, store, "sent")
    go_on.set()
    await asyncio.wait_for(sending, 10)

    assert len(late_writes) == 2  # refused on the group, recorded on each delivery
    for address, event in zip(addresses, events, strict=True):
        mails = await mails_to(http, endpoints.mail_url, address)
        assert len(mails) == 2 and len({m["message_id"] for m in mails}) == 1
        doc = await store.get(f"{event.id}:email")
        assert doc and doc["status"] == "sent" and doc["attempts"] == 2


async def test_erasure_blanks_the_person_and_keeps_what_was_sent(
    notifier: Notifier,
    dispatcher: Dispatcher,
    store: DeliveryStore,
    clock: Clock,
    http: httpx.AsyncClient,
    endpoints: Endpoints,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One email accepted in its group, one waiting for a retry: after the erasure the first
    still reads `sent` (with no address, no content), the second is `erased` and never goes."""
    addresses = people(2)
    events = [submitted(a, None, False) for a in addresses]
    monkeypatch.setattr(
        dispatcher.email, "send", failing_for(dispatcher, addresses[1], lambda: transient("451"))
    )
    assert await notifier.handle_many(events) == 2
    await dispatcher.send_claimed()
    monkeypatch.undo()

    for event in events:
        assert await notifier.erase(event.subject) == 1
    sent, waiting = [await store.get(f"{e.id}:email") for e in events]
    assert sent and sent["status"] == "sent" and sent["to"] == "" and sent["content"] == {}
    assert waiting and waiting["status"] == "erased" and waiting["to"] == ""
    assert "due_at" not in waiting
    clock.advance(hours=1)
    await dispatcher.run_once()
    assert await mails_to(http, endpoints.mail_url, addresses[1]) == []
    assert (await store.get(f"{events[1].id}:email") or {})["status"] == "erased"


async def test_a_group_recorded_sent_is_never_released_and_a_release_refuses_a_late_sender(
    notifier: Notifier,
    dispatcher: Dispatcher,
    make_dispatcher: Callable[..., Dispatcher],
    store: DeliveryStore,
    clock: Clock,
    http: httpx.AsyncClient,
    endpoints: Endpoints,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sent in time, a group is left alone after its lease. Late, its sender's write on the
    group is refused once the release began, even before the members are freed: one email
    is never both the group's and a delivery's `sent` (counted twice)."""
    [on_time, late] = people(2)
    resends = RESENDS.labels("email")._value.get()
    assert await notifier.handle(submitted(on_time, None, False)) == 1
    await dispatcher.send_claimed()
    clock.advance(seconds=FAST.lease.total_seconds() + 1)
    other = make_dispatcher()
    await other.scan()
    assert len(await mails_to(http, endpoints.mail_url, on_time)) == 1
    assert RESENDS.labels("email")._value.get() == resends

    event = submitted(late, None, False)
    assert await notifier.handle(event) == 1
    [token] = {d["group"] for d in dispatcher._hints.values()}
    dispatcher._hints.clear()  # its sender is slow: it records after the release began
    clock.advance(seconds=FAST.lease.total_seconds() + 1)
    real_free = store.free_members
    refused: list[bool] = []

    async def late_sender_in_between(*args: Any) -> int:
        refused.append(not await store.groups.sent(token, [f"{event.id}:email"], clock()))
        return await real_free(*args)

    monkeypatch.setattr(store, "free_members", late_sender_in_between)
    await other.scan()  # releases the group, takes the member over and sends it
    assert refused == [True]
    counts = tally(await store.delivery_summaries(("sent",)))
    assert counts[("email", "sent")] == 2 and counts[("email", "resent")] == 1  # 2 emails
    assert RESENDS.labels("email")._value.get() == resends + 1


async def test_deliveries_recorded_after_their_group_was_released_are_still_sent(
    notifier: Notifier,
    dispatcher: Dispatcher,
    make_dispatcher: Callable[..., Dispatcher],
    store: DeliveryStore,
    clock: Clock,
    http: httpx.AsyncClient,
    endpoints: Endpoints,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The insert lands more than a lease after the group was opened (a failover, a lagging
    majority): another replica released the empty group meanwhile. The notifier sees it and
    leaves the deliveries due for the scan, as never tried, instead of sending from memory."""
    [address] = people(1)
    other = make_dispatcher()
    real_open = dispatcher.open_group

    async def open_then_stall(lease: str, now: Any) -> None:
        await real_open(lease, now)
        clock.advance(seconds=FAST.lease.total_seconds() + 1)
        await other.scan()  # another replica's lease scan releases the (still empty) group

    monkeypatch.setattr(dispatcher, "open_group", open_then_stall)
    resends = RESENDS.labels("email")._value.get()
    event = submitted(address, None, False)
    assert await notifier.handle_many([event]) == 1
    assert dispatcher._hints == {}  # not sent from memory

    await other.scan()
    assert len(await mails_to(http, endpoints.mail_url, address)) == 1
    doc = await store.get(f"{event.id}:email")
    assert doc and doc["status"] == "sent" and doc["attempts"] == 1
    assert RESENDS.labels("email")._value.get() == resends  # never tried before: no resend


async def test_erasure_blanks_a_delivery_recorded_sent_between_its_read_and_its_write(
    notifier: Notifier,
    dispatcher: Dispatcher,
    store: DeliveryStore,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [address] = people(1)
    event = submitted(address, None, False)
    assert await notifier.handle_many([event]) == 1
    dispatcher._hints.clear()
    delivery = f"{event.id}:email"
    real = store.for_registration

    async def read_then_sent(registration_id: str) -> list[dict[str, Any]]:
        docs = await real(registration_id)
        await store.sent(delivery, clock(), {})  # an attempt of its own records its acceptance
        return docs

    monkeypatch.setattr(store, "for_registration", read_then_sent)
    assert await store.erase(event.subject, clock()) == 1
    doc = await store.deliveries.find_one({"_id": delivery})
    assert doc and doc["status"] == "sent" and doc["to"] == "" and doc["content"] == {}
