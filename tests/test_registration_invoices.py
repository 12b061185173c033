"""Billing's events, published by hand on the real broker as billing would: the owner's
status page shows each invoice and how to pay it; a lapsed invoice cancels the reservation
(reason `unpaid`) and offers its place to the first in line."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from rencontres_contracts import EventData, new_event
from rencontres_contracts.events.billing import (
    CreditNoteIssuedV1,
    InvoiceIssuedV1,
    InvoiceLapsedV1,
    PaymentInstructions,
    PaymentReceivedV1,
)
from rencontres_contracts.events.common import Contact
from rencontres_infra.stack import Endpoints
from rencontres_kit.kafka import make_broker, publisher
from rencontres_kit.outbox import Publish

from tests.helpers import eventually, stand_request, unique_email

pytestmark = pytest.mark.infra
EDITION = "billing-2027-11-19"


@pytest.fixture
async def billing(endpoints: Endpoints) -> AsyncIterator[Publish]:
    broker = make_broker(endpoints.kafka_bootstrap_servers, "test-billing")
    await broker.start()
    yield publisher(broker)
    await broker.stop()


async def _send(publish: Publish, data: EventData, invoice_id: str) -> None:
    event = new_event(data, source="/services/billing", subject=invoice_id)
    await publish(data.topic, invoice_id.encode(), event.to_bytes(), {})


async def test_the_status_page_follows_the_invoice_until_it_lapses(
    http: httpx.AsyncClient, urls: dict[str, str], billing: Publish
) -> None:
    base = f"{urls['registration']}/api/registrations"
    email = unique_email("invoiced")
    holder = (await http.post(base, json=stand_request(email, EDITION))).json()
    waiting = (await http.post(base, json=stand_request(unique_email("next"), EDITION))).json()
    assert (holder["status"], waiting["status"]) == ("reserved", "waitlisted")
    page = holder["status_url"].replace("/r/", "/r/", 1)
    invoice_id, number = str(uuid.uuid4()), f"FAC-2027-{uuid.uuid4().int % 10**6:06d}"
    facts: dict[str, Any] = {
        "invoice_id": invoice_id,
        "invoice_number": number,
        "registration_ids": [holder["id"]],
        "contact": Contact(name="Claire Martin", email=email),
    }
    await _send(
        billing,
        InvoiceIssuedV1(
            **facts,
            buyer_name="Céramiques du Gard SAS",
            issued_on=date(2027, 10, 6),
            due_on=date(2027, 11, 5),
            total_excl_vat_cents=60000,
            total_vat_cents=12000,
            total_incl_vat_cents=72000,
            pdf_url="http://127.0.0.1:8002/invoices/x.pdf?exp=1&sig=2",
            pdf_url_expires_at=datetime.now(UTC) + timedelta(days=30),
            payment=PaymentInstructions(
                holder="Rencontres Entreprises",
                iban="FR7630006000011234567890189",
                bic="AGRIFRPP",
                reference=number,
            ),
        ),
        invoice_id,
    )

    async def shows(*texts: str) -> str | None:
        html = (await http.get(page)).text
        return html if all(t in html for t in texts) else None

    html = await eventually(lambda: shows(number, "FR7630006000011234567890189"))
    assert "720,00\xa0€" in html and "5 novembre 2027" in html  # Babel, in French
    assert "x.pdf?exp=1&amp;sig=2" in html
    await _send(
        billing,
        PaymentReceivedV1(
            **facts,
            payment_id="pay-1",
            amount_cents=20000,
            method="transfer",
            paid_on=date(2027, 10, 20),
            paid_total_cents=20000,
            balance_cents=52000,
        ),
        invoice_id,
    )
    await eventually(lambda: shows("520,00\xa0€"))
    await _send(
        billing,
        InvoiceLapsedV1(**facts, lapsed_on=date(2027, 11, 6), balance_cents=52000),
        invoice_id,
    )

    async def status_of(created: dict[str, Any], wanted: str) -> bool:
        view = await http.get(created["status_url"].replace("/r/", "/api/registrations/", 1))
        return bool(view.json()["status"] == wanted)

    await eventually(lambda: status_of(holder, "cancelled"))
    await eventually(lambda: status_of(waiting, "offered"))  # the place went to the next
    await _send(
        billing,
        CreditNoteIssuedV1(
            **facts,
            credit_note_id="cn-1",
            credit_note_number="AV-2027-000001",
            reason="lapsed",
            issued_on=date(2027, 11, 6),
            total_incl_vat_cents=72000,
            refund_cents=20000,
            pdf_url="http://127.0.0.1:8002/credit-notes/AV-2027-000001.pdf",
        ),
        invoice_id,
    )
    await eventually(lambda: shows("AV-2027-000001"))

    async def nothing_to_pay() -> bool:
        # billing's own invoice of this stand is credited too once it sees the cancellation
        return "FR7630006000011234567890189" not in (await http.get(page)).text

    await eventually(nothing_to_pay, timeout=30)
