"""Billing against the real FerretDB, in-process, with a clock the tests move: every event in
makes the documents and the events out it should, once, whatever how often it arrives."""

import asyncio
import json
from datetime import date, timedelta
from typing import Any

import pytest
from rencontres_billing.errors import BillingRefused
from rencontres_billing.handlers import router
from rencontres_billing.scheduler import ReminderScheduler
from rencontres_billing.service import Billing
from rencontres_contracts import CloudEvent, parse_event
from rencontres_kit.outbox import OUTBOX_FIELD

from services.billing.tests import factories as f
from services.billing.tests.conftest import Clock

pytestmark = pytest.mark.infra


async def handle(billing: Billing, event: CloudEvent[Any]) -> None:
    await router.bind(billing)[event.type](parse_event(event.to_bytes()))


async def owed(billing: Billing, collection: str = "invoices") -> list[dict[str, Any]]:
    """Every event billing owes (recorded in outboxes), in order, parsed."""
    docs = await billing.store.db[collection].find({}, {OUTBOX_FIELD: 1}).to_list()
    return [json.loads(e["value"]) for d in docs for e in d.get(OUTBOX_FIELD) or []]


async def test_a_reserved_stand_gets_one_numbered_invoice_and_an_issued_event(
    billing: Billing,
) -> None:
    event = f.submitted()
    await handle(billing, event)
    await handle(billing, event)  # redelivered
    await handle(billing, event.model_copy(update={"id": "another-id"}))  # re-published

    [invoice] = await billing.list_invoices(event.data.registration_id, None, None)
    assert invoice["number"] == "FAC-2027-000001"
    assert invoice["status"] == "issued"
    assert invoice["issued_on"] == "2027-10-01"
    assert invoice["due_on"] == "2027-10-31"  # 30 days
    assert invoice["totals"]["incl_vat_cents"] == 63645 + 365 + 12000
    [issued] = await owed(billing)
    assert issued["type"] == "invoice.issued.v1"
    assert issued["subject"] == invoice["_id"]
    data = issued["data"]
    assert data["invoice_number"] == "FAC-2027-000001"
    assert data["total_incl_vat_cents"] == 76010
    assert data["payment"]["reference"] == "FAC-2027-000001"
    assert "/invoices/FAC-2027-000001.pdf?expires=" in data["pdf_url"]
    assert data["contact"]["email"] == event.data.contact.email


async def test_concurrent_writers_and_duplicate_events_leave_numbers_1_to_n(
    billing: Billing,
) -> None:
    """Two service instances (two replicas) issue the same 40 registrations at once, each event
    twice: racing claims on one draft give their extra number back, helpers finish others'."""
    other = Billing(billing.store, billing.settings, billing.clock)
    events = [f.submitted() for _ in range(40)]
    await asyncio.gather(
        *(handle(b, e) for e in events for b in (billing, other, billing)),
    )
    invoices = await billing.list_invoices(None, None, None)
    assert sorted(i["numbering"]["sequence"] for i in invoices) == list(range(1, 41))
    assert sorted(i["registration_ids"][0] for i in invoices) == sorted(
        e.data.registration_id for e in events
    )
    counter = await billing.store.counters.find_one({"_id": "FAC-2027"})
    assert counter == {"_id": "FAC-2027", "last": 40, "pending": None}
    assert len(await owed(billing)) == 40  # one invoice.issued.v1 each


async def test_free_and_waiting_registrations_are_never_invoiced(billing: Billing) -> None:
    await handle(billing, f.submitted(lines=[], status="confirmed"))
    await handle(billing, f.submitted(status="waitlisted"))
    assert await billing.list_invoices(None, None, None) == []


async def test_a_closed_pool_invoices_each_member_its_share_to_the_cent(billing: Billing) -> None:
    event = f.pool_closed(members=3, price=60001)
    await handle(billing, event)
    invoices = await billing.list_invoices(None, None, None)
    assert [i["number"] for i in invoices] == [f"FAC-2027-00000{n}" for n in (1, 2, 3)]
    by_member = {i["registration_ids"][0]: i for i in invoices}
    shares = [by_member[m.registration_id]["totals"]["excl_vat_cents"] for m in event.data.members]
    assert shares == [20001, 20000, 20000]  # the rounding cent to the first member
    assert sum(shares) == 60001


async def test_an_unfilled_pool_is_not_invoiced(billing: Billing) -> None:
    await handle(billing, f.pool_closed(members=1, reason="unfilled"))
    assert await billing.list_invoices(None, None, None) == []


async def test_partial_payments_add_up_then_the_invoice_is_paid_and_overpayment_flagged(
    billing: Billing, clock: Clock
) -> None:
    event = f.submitted()
    await handle(billing, event)
    number = "FAC-2027-000001"
    today = clock().date()
    first = await billing.record_payment(number, 50000, today, "VIR 1", "transfer")
    assert first["status"] == "issued" and first["paid_cents"] == 50000
    paid = await billing.record_payment(number, 26110, today, "VIR 2", "transfer")
    assert paid["status"] == "paid" and paid["paid_cents"] == 76110
    assert paid["overpaid_cents"] == 100
    types = [e["type"] for e in await owed(billing)]
    assert types == [
        "invoice.issued.v1",
        "payment.received.v1",
        "payment.received.v1",
        "invoice.paid.v1",
    ]
    received = [e["data"] for e in await owed(billing) if e["type"] == "payment.received.v1"]
    assert [r["balance_cents"] for r in received] == [26010, 0]
    assert received[1]["overpaid_cents"] == 100
    # the same statement line entered twice by staff (no key) is recorded once
    twice = await billing.record_payment(number, 26110, today, "VIR 2", "transfer")
    assert twice["paid_cents"] == 76110 and len(twice["payments"]) == 2
    # the same card payment reported twice is applied once
    again = await billing.record_payment(number, 500, today, "x", "card", "card:evt_1")
    same = await billing.record_payment(number, 500, today, "x", "card", "card:evt_1")
    assert again["paid_cents"] == same["paid_cents"] == 76610


async def test_a_payment_for_an_unknown_invoice_or_in_the_future_is_refused(
    billing: Billing, clock: Clock
) -> None:
    with pytest.raises(BillingRefused) as refused:
        await billing.record_payment("FAC-2027-999999", 100, clock().date(), "r", "transfer")
    assert refused.value.code == "invoice_not_found"
    with pytest.raises(BillingRefused) as future:
        tomorrow = clock().date() + timedelta(days=1)
        await billing.record_payment("FAC-2027-000001", 100, tomorrow, "r", "transfer")
    assert future.value.code == "paid_on_in_future"


async def test_a_cancellation_credits_the_invoice_under_the_refund_policy(
    make_billing: Any, clock: Clock
) -> None:
    billing: Billing = await make_billing(cancellation_refund_percent=50)
    event = f.submitted()
    await handle(billing, event)
    await billing.record_payment("FAC-2027-000001", 76010, clock().date(), "VIR", "transfer")
    await handle(billing, f.cancelled(event.data.registration_id))
    await handle(billing, f.cancelled(event.data.registration_id))  # redelivered

    [invoice] = await billing.list_invoices(event.data.registration_id, None, None)
    assert invoice["status"] == "cancelled"
    [note] = await billing.store.credit_notes.find({})
    assert note["number"] == "AV-2027-000001"
    assert note["invoice_number"] == "FAC-2027-000001"
    assert note["refund_cents"] == 38005  # half of what was paid
    # what stays invoiced (the kept half) is what the buyer paid minus the refund
    assert 76010 - note["totals"]["incl_vat_cents"] == 76010 - 38005
    [credit] = await owed(billing, "credit_notes")
    assert credit["type"] == "credit_note.issued.v1"
    assert credit["data"]["credit_note_number"] == "AV-2027-000001"
    assert credit["data"]["reason"] == "cancelled"


async def test_reminders_on_the_due_date_and_15_days_later_then_lapse_and_credit(
    billing: Billing, clock: Clock
) -> None:
    event = f.submitted()
    await handle(billing, event)
    assert (await billing.run_reminders())["reminded"] == 0  # not due yet
    clock.now += timedelta(days=30)  # due date
    assert (await billing.run_reminders())["reminded"] == 1
    assert (await billing.run_reminders())["reminded"] == 0  # twice the same day: once
    clock.now += timedelta(days=15)
    assert (await billing.run_reminders())["reminded"] == 1
    clock.now += timedelta(days=14)
    assert (await billing.run_reminders())["lapsed"] == 0  # grace not over
    clock.now += timedelta(days=1)
    assert (await billing.run_reminders())["lapsed"] == 1

    overdue = [e["data"] for e in await owed(billing) if e["type"] == "invoice.overdue.v1"]
    assert [o["reminder"] for o in overdue] == [1, 2]
    assert overdue[0]["lapses_on"] == str(date(2027, 10, 31) + timedelta(days=30))
    assert [e["type"] for e in await owed(billing)][-1] == "invoice.lapsed.v1"
    [invoice] = await billing.list_invoices(None, "lapsed", None)
    [note] = await billing.store.credit_notes.find({})
    assert note["reason"] == "lapsed"
    assert note["totals"]["incl_vat_cents"] == invoice["totals"]["incl_vat_cents"]
    # registration then cancels with reason unpaid: no second credit note
    await handle(billing, f.cancelled(event.data.registration_id))
    assert len(await billing.store.credit_notes.find({})) == 1


async def test_erasure_drops_the_contact_and_keeps_buyer_and_amounts(billing: Billing) -> None:
    event = f.submitted()
    await handle(billing, event)
    await handle(billing, f.erased(event.data.registration_id))
    [invoice] = await billing.list_invoices(event.data.registration_id, None, None)
    assert invoice["contact"] is None
    assert invoice["buyer"]["siret"] == "73282932000074"
    assert invoice["totals"]["incl_vat_cents"] == 76010


async def test_the_daily_run_happens_once_a_day_from_the_configured_paris_hour(
    make_billing: Any, clock: Clock
) -> None:
    billing: Billing = await make_billing(reminder_hour=9)
    jobs = billing.store.db["jobs"]
    replicas = [ReminderScheduler(billing, jobs), ReminderScheduler(billing, jobs)]
    clock.now = clock.now.replace(hour=6, minute=30)  # 08:30 in Paris (UTC+2 in October)
    assert [await s.tick() for s in replicas] == [False, False]
    clock.now = clock.now.replace(hour=7, minute=0)  # 09:00 in Paris
    assert [await s.tick() for s in replicas] == [True, False]  # one replica runs it
    clock.now += timedelta(hours=8)
    assert [await s.tick() for s in replicas] == [False, False]  # once a day
    clock.now += timedelta(days=1)  # the next day, whichever replica ticks first runs it
    assert [await s.tick() for s in reversed(replicas)] == [True, False]


async def test_refunds_are_recorded_up_to_what_the_credit_note_promises(
    billing: Billing, clock: Clock
) -> None:
    event = f.submitted()
    await handle(billing, event)
    await billing.record_payment("FAC-2027-000001", 76010, clock().date(), "VIR", "transfer")
    await handle(billing, f.cancelled(event.data.registration_id))
    [note] = await billing.store.credit_notes.find({})
    assert note["refund_cents"] == 76010  # the default policy refunds everything paid
    first = await billing.record_refund(note["number"], 50000, clock().date(), "REMB 1")
    assert first["refunded_cents"] == 50000
    with pytest.raises(BillingRefused) as too_much:
        await billing.record_refund(note["number"], 26011, clock().date(), "REMB 2")
    assert too_much.value.code == "refund_exceeds_due"
    done = await billing.record_refund(note["number"], 26010, clock().date(), "REMB 2")
    assert done["refunded_cents"] == 76010
    again = await billing.record_refund(note["number"], 26010, clock().date(), "REMB 2")
    assert again["refunded_cents"] == 76010 and len(again["refunds"]) == 2


async def test_a_seat_cancelled_before_its_pool_closing_arrives_is_invoiced_then_credited(
    billing: Billing,
) -> None:
    """pool.closed (keyed by pool) and the seat's cancellation (keyed by registration) travel
    on different partitions: the cancellation may come first."""
    pool = f.pool_closed(members=2, price=60000)
    seat = pool.data.members[1].registration_id
    await handle(billing, f.cancelled(seat))
    await handle(billing, pool)
    invoices = {i["registration_ids"][0]: i for i in await billing.list_invoices(None, None, None)}
    assert invoices[seat]["status"] == "cancelled"
    assert invoices[pool.data.members[0].registration_id]["status"] == "issued"
    [note] = await billing.store.credit_notes.find({})
    assert note["invoice_number"] == invoices[seat]["number"]


async def test_a_seat_erased_before_its_pool_closing_arrives_is_invoiced_without_its_contact(
    billing: Billing,
) -> None:
    """The erasure (keyed by registration) may overtake the pool's closing (keyed by pool),
    whose event still names the member's contact person: the seat's invoice, its draft and
    its `invoice.issued.v1` are made without it, and the other member's keep theirs."""
    pool = f.pool_closed(members=2, price=60000)
    seat, other = (m.registration_id for m in pool.data.members[1::-1])
    await handle(billing, f.erased(seat))
    await handle(billing, pool)

    invoices = {i["registration_ids"][0]: i for i in await billing.list_invoices(None, None, None)}
    assert invoices[seat]["contact"] is None and invoices[seat]["buyer"] is not None
    assert invoices[other]["contact"] is not None
    [draft] = await billing.store.invoices.drafts.find({"registration_ids": seat}).to_list()
    assert draft["contact"] is None
    owed = await billing.store.invoices.collection.find_one({"_id": invoices[seat]["_id"]})
    assert owed is not None
    [issued] = [json.loads(e["value"]) for e in owed["outbox"]]
    assert issued["type"] == "invoice.issued.v1" and issued["data"].get("contact") is None
