"""Issuing in batches against the real FerretDB: one claim numbers a whole batch, in order;
racing writers, redeliveries and a claim a crash left half done still give exactly 1..N."""

import asyncio
from typing import Any

import pytest
from rencontres_billing.billables import from_registration
from rencontres_billing.documents import invoice_draft, invoice_id
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
    docs = await billing.store.invoices.collection.find({}, {OUTBOX_FIELD: 1}).to_list()
    issued = [e for d in docs for e in d[OUTBOX_FIELD]]
    assert sorted(e["key"] for e in issued) == sorted(
        invoice_id(e.data.registration_id) for e in events
    )
    assert all(e["type"] == "invoice.issued.v1" for e in issued)

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


async def test_a_batch_claim_a_crash_left_half_stamped_is_finished_by_recovery(
    billing: Billing,
) -> None:
    """The writer died after its claim and two of its five stamps; one draft had been numbered
    by an earlier claim meanwhile. Recovery (or any writer) finishes it: 1..N, no gap."""
    events = [f.submitted() for _ in range(6)]
    await handle_batch(billing, events[:1])  # FAC-2027-000001
    drafts = [invoice_draft(from_registration(e.data), billing.clock()) for e in events[1:]]
    await billing.store.invoices.insert_drafts(drafts)
    ids = [d["_id"] for d in drafts]
    numbered = invoice_id(events[0].data.registration_id)
    claim = BatchClaim("dead-writer", (ids[0], numbered, *ids[1:]), 2, 7)
    await billing.store.counters.update_one(
        {"_id": "FAC-2027"}, {"$set": {"last": 7, "pending": claim.stored()}}
    )
    stamp = billing._stamper("FAC")
    assert await stamp(ids[0], "FAC-2027", 2)
    # the already numbered invoice (…000001) sits second in the claim: skipped, and ids[1]
    # gets 3
    assert await stamp(ids[1], "FAC-2027", 3)

    await billing.recover()

    got = await numbers(billing)
    assert sorted(got.values()) == list(range(1, 7))
    assert [got[e.data.registration_id] for e in events] == list(range(1, 7))
    counter = await billing.store.counters.find_one({"_id": "FAC-2027"})
    assert counter == {"_id": "FAC-2027", "last": 6, "pending": None}
