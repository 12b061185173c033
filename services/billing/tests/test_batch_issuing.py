"""Issuing in batches against the real FerretDB: one claim numbers a whole batch, in order;
racing writers, redeliveries and a claim a crash left half done still give exactly 1..N."""

import asyncio
from typing import Any

import pytest
from rencontres_billing.billables import from_registration
from rencontres_billing.documents import invoice_draft, invoice_id, number_fields
from rencontres_billing.handlers import router
from rencontres_billing.numbering import BatchClaim
from rencontres_billing.service import Billing
from rencontres_contracts import CloudEvent, parse_event
from rencontres_kit.outbox import OUTBOX_FIELD

from services.billing.tests import factories as f

pytestmark = pytest.mark.infra


async def handle_batch(billing: Billing, events: list[CloudEvent[Any]]) -> None:
    parsed = [parse_event(e.to_bytes()) for e in events]
    await router.bind_batches(billing)[events[0].type](parsed)


async def numbers(billing: Billing) -> dict[str, int]:
    """Sequence of each numbered invoice, by registration id."""
    invoices = await billing.list_invoices(None, None, None)
    return {i["registration_ids"][0]: i["numbering"]["sequence"] for i in invoices}


async def test_a_batch_is_numbered_in_its_order_with_one_claim_and_owes_its_events(
    billing: Billing,
) -> None:
    events = [f.submitted() for _ in range(30)]
    waiting = f.submitted(status="waitlisted")
    await handle_batch(billing, [*events[:10], waiting, *events[10:]])

    got = await numbers(billing)
    assert [got[e.data.registration_id] for e in events] == list(range(1, 31))
    counter = await billing.store.counters.find_one({"_id": "FAC-2027"})
    assert counter == {"_id": "FAC-2027", "last": 30, "pending": None}
    # the invoices carry no events of their own: those are in the entry outbox, one each
    docs = await billing.store.invoices.collection.find({}, {OUTBOX_FIELD: 1}).to_list()
    assert all(not d.get(OUTBOX_FIELD) for d in docs)
    issued = await billing.store.outbox.find({}).to_list()
    assert sorted(e["key"] for e in issued) == sorted(
        invoice_id(e.data.registration_id) for e in events
    )
    assert all(e["type"] == "invoice.issued.v1" for e in issued)
    assert len({e["_id"] for e in issued}) == 30

    await handle_batch(billing, events[5:15])  # redelivered: nothing changes
    assert await numbers(billing) == got
    counter = await billing.store.counters.find_one({"_id": "FAC-2027"})
    assert counter is not None and counter["last"] == 30


async def test_racing_batches_and_single_writers_leave_numbers_1_to_n(billing: Billing) -> None:
    """Two replicas take overlapping batches while a third numbers some of the same
    registrations one by one: claims wait for or help each other, repeats give numbers back."""
    other = Billing(billing.store, billing.settings, billing.clock)
    single = Billing(billing.store, billing.settings, billing.clock)
    events = [f.submitted() for _ in range(60)]
    bind = router.bind(single)
    await asyncio.gather(
        handle_batch(billing, events[:40]),
        handle_batch(other, events[20:]),
        handle_batch(billing, events[30:50]),
        *(bind[e.type](parse_event(e.to_bytes())) for e in events[::7]),
    )
    got = await numbers(billing)
    assert sorted(got.values()) == list(range(1, 61))
    assert set(got) == {e.data.registration_id for e in events}
    counter = await billing.store.counters.find_one({"_id": "FAC-2027"})
    assert counter == {"_id": "FAC-2027", "last": 60, "pending": None}


async def test_a_batch_claim_a_crash_left_half_done_is_finished_by_recovery(
    billing: Billing,
) -> None:
    """The writer inserted six drafts, then one of them was numbered alone (a repeat of its
    event, on another replica) before the writer claimed the batch; the writer died after its
    claim and two of its invoices, before their events. Recovery (or any writer) finishes it:
    1..N with no gap, each invoice once, and every event of the claim in the outbox, with the
    id a second writing cannot change."""
    events = [f.submitted() for _ in range(6)]
    drafts = [invoice_draft(from_registration(e.data), billing.clock()) for e in events]
    await billing.store.invoices.insert_drafts(drafts, "dead-writer")
    ids = [d["_id"] for d in drafts]
    await billing.issuer.number("FAC", ids[1])  # FAC-2027-000001, alone
    claim = BatchClaim("dead-writer", tuple(ids), 2, 7)
    await billing.store.counters.update_one(
        {"_id": "FAC-2027"}, {"$set": {"last": 7, "pending": claim.stored()}}
    )
    stamp = billing.issuer._stamper("FAC")
    assert await stamp(ids[0], "FAC-2027", 2)
    # the already numbered draft sits second in the claim: skipped, and ids[2] gets 3
    assert await stamp(ids[2], "FAC-2027", 3)
    assert not await stamp(ids[2], "FAC-2027", 3), "written once"

    await billing.recover()

    got = await numbers(billing)
    order = [1, 0, 2, 3, 4, 5]  # which event got 1, 2, …
    assert [got[events[i].data.registration_id] for i in order] == list(range(1, 7))
    counter = await billing.store.counters.find_one({"_id": "FAC-2027"})
    assert counter == {"_id": "FAC-2027", "last": 6, "pending": None}
    assert await billing.store.invoices.unnumbered() == []


async def test_a_repeated_batch_writes_the_same_events_again_under_the_same_ids(
    billing: Billing,
) -> None:
    """A helper finishing a claim writes its events again: same ids, so one entry each in the
    outbox, and consumers drop a copy published twice."""
    events = [f.submitted() for _ in range(4)]
    await handle_batch(billing, events)
    first = {e["_id"]: e["key"] async for e in billing.store.outbox.find({})}
    invoices = await billing.list_invoices(None, None, None)
    again = [billing.mapper.invoice_issued(i) for i in invoices]
    await billing.store.owe(again)
    assert {e.id: e.subject for e in again} == first
    assert await billing.store.outbox.count_documents({}) == 4


async def invoices_in_events_not(
    billing: Billing, writer: str, count: int
) -> tuple[list[CloudEvent[Any]], list[dict[str, Any]]]:
    """A batch of `count` claimed by `writer`, its invoices inserted, its events not written,
    the claim still pending: where a writer that died or failed at that point leaves it."""
    events = [f.submitted() for _ in range(count)]
    drafts = [invoice_draft(from_registration(e.data), billing.clock()) for e in events]
    stored = await billing.store.invoices.insert_drafts(drafts, writer)
    claim = BatchClaim(writer, tuple(d["_id"] for d in stored), 1, count)
    await billing.store.counters.update_one(
        {"_id": "FAC-2027"}, {"$set": {"last": count, "pending": claim.stored()}}, upsert=True
    )
    today = billing.today()
    numbered = [
        {**d, **number_fields("FAC", "FAC-2027", i + 1, today, 30)} for i, d in enumerate(stored)
    ]
    assert len(await billing.store.invoices.issue_many(numbered)) == count
    return events, numbered


async def test_a_writer_dead_between_its_invoices_and_their_events_owes_nothing_lost(
    billing: Billing,
) -> None:
    """The invoices of a claim went in, the writer died before their `invoice.issued` did:
    the claim is still pending, and whoever finishes it writes the events of all its
    invoices before releasing it."""
    _, numbered = await invoices_in_events_not(billing, "dead-writer", 5)
    assert await billing.store.outbox.count_documents({}) == 0

    await billing.recover()

    owed = {e["key"]: e["_id"] async for e in billing.store.outbox.find({})}
    assert owed == {d["_id"]: billing.mapper.invoice_issued(d).id for d in numbered}
    counter = await billing.store.counters.find_one({"_id": "FAC-2027"})
    assert counter == {"_id": "FAC-2027", "last": 5, "pending": None}


async def test_drafts_an_earlier_version_kept_among_the_invoices_move_and_get_numbered(
    billing: Billing,
) -> None:
    """Before drafts had their own collection they sat in `invoices` with a placeholder
    number; a start moves them (once) and recovery numbers them."""
    event = f.submitted()
    draft = invoice_draft(from_registration(event.data), billing.clock())
    old = {**draft, "number": f"draft:{draft['_id']}", "numbering": None}
    await billing.store.invoices.collection.insert_one(old)

    await billing.store.create_indexes()
    assert await billing.store.invoices.get(draft["_id"]) is None
    assert await billing.store.invoices.unnumbered() == [draft["_id"]]
    await billing.recover()

    assert await numbers(billing) == {event.data.registration_id: 1}


async def test_a_redelivery_after_a_batch_failed_before_its_events_owes_them_at_once(
    billing: Billing,
) -> None:
    """The writer's batch failed (a database error, not a crash) between its invoices and their
    `invoice.issued`: the claim stays pending, and the consumer hands the events again. Those
    are repeats now (their invoices are numbered), but the first of them must finish the
    claim, not leave the events unwritten until the next claim or the daily run."""
    events, numbered = await invoices_in_events_not(billing, "failed-writer", 3)

    await handle_batch(billing, events[:2])  # redelivered (a batch, or one by one: both)

    owed = {e["key"] async for e in billing.store.outbox.find({})}
    assert owed == {d["_id"] for d in numbered}
    counter = await billing.store.counters.find_one({"_id": "FAC-2027"})
    assert counter == {"_id": "FAC-2027", "last": 3, "pending": None}
