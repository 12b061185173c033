"""Billing's handler against the real FerretDB: one draft invoice per registration, whatever
how often its event arrives; none for a free registration."""

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient
from rencontres_billing.handlers import router
from rencontres_billing.store import InvoiceStore
from rencontres_contracts import CloudEvent, new_event, parse_event
from rencontres_contracts.events.common import Address, BillableLine, Contact, Organisation
from rencontres_contracts.events.registration import RegistrationSubmittedV1

pytestmark = pytest.mark.infra

TYPE = RegistrationSubmittedV1.event_type


@pytest.fixture
async def store(mongo: AsyncMongoClient[dict[str, Any]]) -> InvoiceStore:
    store = InvoiceStore(mongo[f"t_{uuid4().hex[:8]}"])
    await store.create_indexes()
    return store


def submitted(lines: list[BillableLine]) -> CloudEvent[RegistrationSubmittedV1]:
    rid = str(uuid4())
    data = RegistrationSubmittedV1(
        registration_id=rid,
        reference="RC-BILL-0001",
        offer="stand" if lines else "student_pass",
        edition_ids=["ales-2027-11-17"],
        status="reserved" if lines else "confirmed",
        contact=Contact(name="Claire Martin", email="claire@example.fr"),
        organisation=Organisation(
            legal_name="Céramiques du Gard SAS",
            siret="73282932000074",
            billing_address=Address(
                line1="6 avenue de Clavières", postal_code="30100", city="Alès"
            ),
        )
        if lines
        else None,
        lines=lines,
        status_url=f"http://127.0.0.1/r/{rid}",
        submitted_at=datetime.now(UTC),
    )
    return new_event(data, source="/tests/billing", subject=rid)


STAND_LINES = [
    BillableLine(description="Stand", quantity=1, unit_price_excl_vat_cents=60000),
    BillableLine(
        description="Repas", quantity=3, unit_price_excl_vat_cents=1215, vat_rate_percent=10
    ),
]


async def test_same_event_twice_makes_one_draft_with_the_right_totals(store: InvoiceStore) -> None:
    on_submitted = router.bind(store)[TYPE]
    event = submitted(STAND_LINES)

    await on_submitted(event)
    await on_submitted(parse_event(event.to_bytes()))  # the redelivery, as a consumer parses it

    invoices = await store.for_registration(event.data.registration_id)
    assert len(invoices) == 1
    [invoice] = invoices
    assert invoice["_id"] == f"draft-{event.data.registration_id}"
    assert invoice["status"] == "draft"
    assert invoice["source_event_id"] == event.id
    assert invoice["registration_reference"] == "RC-BILL-0001"
    assert invoice["buyer"]["siret"] == "73282932000074"
    assert invoice["currency"] == "EUR"
    assert [line["quantity"] for line in invoice["lines"]] == [1, 3]
    # 3 x 12.15 € = 36.45 € at 10 % -> 3.645 € -> 3.65 € (half up); 600 € at 20 % -> 120 €.
    assert invoice["totals"] == {
        "excl_vat_cents": 60000 + 3645,
        "vat": [
            {"rate_percent": 10, "base_cents": 3645, "vat_cents": 365},
            {"rate_percent": 20, "base_cents": 60000, "vat_cents": 12000},
        ],
        "incl_vat_cents": 63645 + 365 + 12000,
    }


async def test_a_new_event_for_the_same_registration_keeps_the_first_draft(
    store: InvoiceStore,
) -> None:
    on_submitted = router.bind(store)[TYPE]
    event = submitted(STAND_LINES)
    again = event.model_copy(update={"id": str(uuid4())})  # re-published under a new id

    await on_submitted(event)
    await on_submitted(again)

    [invoice] = await store.for_registration(event.data.registration_id)
    assert invoice["source_event_id"] == event.id


async def test_free_registration_creates_no_invoice(store: InvoiceStore) -> None:
    event = submitted([])
    await router.bind(store)[TYPE](event)
    assert await store.for_registration(event.data.registration_id) == []
    assert await store.invoices.count_documents({}) == 0
