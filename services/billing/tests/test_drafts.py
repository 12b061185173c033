"""Drafts in their own collection, against the real FerretDB: what erasure must reach there, and
what an upgrade from the layout where drafts sat among the invoices must finish correctly."""

from typing import Any

import pytest
from rencontres_billing.billables import from_registration
from rencontres_billing.documents import invoice_draft, number_fields
from rencontres_billing.handlers import router
from rencontres_billing.numbering import BatchClaim
from rencontres_billing.service import Billing
from rencontres_contracts import CloudEvent, parse_event

from services.billing.tests import factories as f

pytestmark = pytest.mark.infra


async def handle(billing: Billing, event: CloudEvent[Any]) -> None:
    await router.bind(billing)[event.type](parse_event(event.to_bytes()))


async def handle_batch(billing: Billing, events: list[CloudEvent[Any]]) -> None:
    parsed = [parse_event(e.to_bytes()) for e in events]
    await router.bind_batches(billing)[events[0].type](parsed)


async def contacts_left(billing: Billing, registration_id: str) -> list[str]:
    """Where a contact person of the registration is still stored: collection names."""
    left = []
    for name in ("invoices", "invoice_drafts", "credit_notes", "credit_note_drafts"):
        query = {"registration_ids": registration_id, "contact": {"$ne": None}}
        left += [name] * await billing.store.db[name].count_documents(query)
    return left


async def test_erasure_drops_the_contact_from_drafts_too(billing: Billing) -> None:
    """Drafts are kept once numbered (a repeat finds them): they hold the contact person as
    the invoice and the credit note do, so erasure must reach them too."""
    batch, single = f.submitted(), f.submitted()
    await handle_batch(billing, [batch])
    await handle(billing, single)
    await handle(billing, f.cancelled(single.data.registration_id))  # a credit note's draft
    assert await contacts_left(billing, single.data.registration_id) == [
        "invoices",
        "invoice_drafts",
        "credit_notes",
        "credit_note_drafts",
    ]

    for event in (batch, single):
        await handle(billing, f.erased(event.data.registration_id))

    assert await contacts_left(billing, batch.data.registration_id) == []
    assert await contacts_left(billing, single.data.registration_id) == []


async def test_a_draft_erased_before_its_number_gives_an_invoice_without_the_contact(
    billing: Billing,
) -> None:
    """The writer died between the draft and its number; the registration is erased; the
    daily run numbers the draft: the invoice must not bring the erased contact back."""
    event = f.submitted()
    draft = invoice_draft(from_registration(event.data), billing.clock())
    await billing.store.invoices.insert_drafts([draft], "dead-writer")

    await handle(billing, f.erased(event.data.registration_id))
    await billing.recover()

    [invoice] = await billing.list_invoices(event.data.registration_id, None, None)
    assert invoice["number"] == "FAC-2027-000001"
    assert invoice["contact"] is None
    assert await contacts_left(billing, event.data.registration_id) == []


async def test_a_batch_claim_left_pending_by_the_previous_layout_is_finished_without_a_gap(
    billing: Billing,
) -> None:
    """The version before kept drafts among the invoices (no `batch` tag) and numbered them in
    place. One of its writers died in the middle of a batch: two invoices numbered, two drafts
    not, the claim pending. The new version starts (moves the drafts, recovers): 1..4, each
    once, and the counter free; the two numbered now owe their `invoice.issued`."""
    events = [f.submitted() for _ in range(4)]
    drafts = [invoice_draft(from_registration(e.data), billing.clock()) for e in events]
    today = billing.today()
    old_numbered = [
        {**d, **number_fields("FAC", "FAC-2027", i + 1, today, 30)}
        for i, d in enumerate(drafts[:2])
    ]
    old_drafts = [{**d, "number": f"draft:{d['_id']}", "numbering": None} for d in drafts[2:]]
    await billing.store.invoices.collection.insert_many([*old_numbered, *old_drafts])
    ids = [d["_id"] for d in drafts]
    pending = {"claim": "a-token-of-the-old-version", "ids": ids, "first": 1, "last": 4}
    await billing.store.counters.insert_one({"_id": "FAC-2027", "last": 4, "pending": pending})

    await billing.store.create_indexes()  # moves the old drafts
    await billing.recover()

    invoices = await billing.list_invoices(None, None, None)
    assert [(i["_id"], i["numbering"]["sequence"]) for i in invoices] == [
        (doc_id, n) for n, doc_id in enumerate(ids, 1)
    ]
    counter = await billing.store.counters.find_one({"_id": "FAC-2027"})
    assert counter == {"_id": "FAC-2027", "last": 4, "pending": None}
    # the old version wrote its invoices' events with them; the two numbered now owe theirs
    assert {e["key"] async for e in billing.store.outbox.find({})} == set(ids[2:])

    await handle_batch(billing, [f.submitted()])  # numbering goes on after them
    assert len(await billing.list_invoices(None, None, None)) == 5


async def test_cancelling_a_registration_whose_draft_a_dead_batch_left_pending_credits_it(
    billing: Billing,
) -> None:
    """A batch writer died after its claim, before any invoice; one of its registrations is
    cancelled: the cancellation finishes the claim (the invoice gets its number in the batch's
    range, not a new one), then credits it. Numbers stay 1..N in both series."""
    events = [f.submitted() for _ in range(3)]
    drafts = [invoice_draft(from_registration(e.data), billing.clock()) for e in events]
    await billing.store.invoices.insert_drafts(drafts, "dead-writer")
    claim = BatchClaim("dead-writer", tuple(d["_id"] for d in drafts), 1, 3)
    await billing.store.counters.update_one(
        {"_id": "FAC-2027"}, {"$set": {"last": 3, "pending": claim.stored()}}, upsert=True
    )

    await handle(billing, f.cancelled(events[1].data.registration_id))

    invoices = await billing.list_invoices(None, None, None)
    assert [(i["_id"], i["number"], i["status"]) for i in invoices] == [
        (drafts[0]["_id"], "FAC-2027-000001", "issued"),
        (drafts[1]["_id"], "FAC-2027-000002", "cancelled"),
        (drafts[2]["_id"], "FAC-2027-000003", "issued"),
    ]
    [note] = await billing.list_credit_notes(None, None)
    assert note["number"] == "AV-2027-000001" and note["invoice_id"] == drafts[1]["_id"]
    counters = await billing.store.counters.find({}).sort("_id").to_list()
    assert [(c["_id"], c["last"], c["pending"]) for c in counters] == [
        ("AV-2027", 1, None),
        ("FAC-2027", 3, None),
    ]
