"""An unpaid invoice's whole life over the real broker: a billing process configured with a
zero-day policy (due at once, second reminder and lapse the same day) is run by staff's
endpoint; its relay publishes overdue 1, overdue 2, lapsed and the credit note on
billing.events, in order, keyed by the invoice."""

import time
from typing import Any

import httpx
import pytest
from rencontres_billing.documents import invoice_id
from rencontres_infra.procs import stop_group, tail
from rencontres_infra.stack import Endpoints

from services.billing.tests import factories as f
from services.billing.tests.bus import BillingEvents
from services.billing.tests.replica import Replica
from tests.helpers import STAFF, eventually

pytestmark = pytest.mark.infra


async def test_reminders_lapse_and_credit_note_are_published_in_order(
    endpoints: Endpoints, http: httpx.AsyncClient, billing_events: BillingEvents
) -> None:
    billing = Replica(
        endpoints,
        BILLING_PAYMENT_TERMS_DAYS="0",
        BILLING_SECOND_REMINDER_DAYS="0",
        BILLING_GRACE_DAYS="0",
    )
    await billing.create_topic()
    proc = billing.start()
    try:

        async def ready() -> bool:
            assert proc.poll() is None, tail(billing.logs / "replica-0.log")
            try:
                return (await http.get(f"{billing.url}/readyz")).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(ready, timeout=60, interval=0.3)
        event = f.submitted()
        await billing.publish([event])
        key = invoice_id(event.data.registration_id)
        await billing_events.of(key, ["invoice.issued.v1"])

        expected = [
            "invoice.issued.v1",
            "invoice.overdue.v1",
            "invoice.overdue.v1",
            "invoice.lapsed.v1",
            "credit_note.issued.v1",
        ]
        runs: list[Any] = []
        deadline = time.monotonic() + 30
        while len(runs) < 5 and time.monotonic() < deadline:
            r = await http.post(f"{billing.url}/api/staff/reminders/run", headers=STAFF)
            assert r.status_code == 200
            runs.append(r.json())
            if r.json()["lapsed"]:
                break
        events = await billing_events.of(key, expected)
        assert [e["type"] for e in events] == expected
        overdue = [e["data"] for e in events if e["type"] == "invoice.overdue.v1"]
        assert [o["reminder"] for o in overdue] == [1, 2]
        assert overdue[0]["balance_cents"] == 76010
        assert events[3]["data"]["balance_cents"] == 76010
        assert events[4]["data"]["reason"] == "lapsed"
        assert events[4]["data"]["total_incl_vat_cents"] == 76010
        listed = await http.get(
            f"{billing.url}/api/staff/invoices",
            params={"registration_id": event.data.registration_id},
            headers=STAFF,
        )
        assert listed.json()[0]["status"] == "lapsed"
    finally:
        stop_group(proc)
