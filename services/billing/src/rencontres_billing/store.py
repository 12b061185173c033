"""The only code that talks to the billing database."""

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from rencontres_contracts.events.registration import (
    RegistrationReservedV1,
    RegistrationSubmittedV1,
)

from rencontres_billing.domain import Totals

Doc = dict[str, Any]


class InvoiceStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.invoices = db["invoices"]
        self.processed = db["processed_events"]

    async def create_indexes(self) -> None:
        await self.invoices.create_index([("registration_id", ASCENDING)])
        await self.invoices.create_index([("status", ASCENDING)])

    async def draft(
        self,
        event_id: str,
        data: RegistrationSubmittedV1 | RegistrationReservedV1,
        sums: Totals,
    ) -> None:
        """One draft per registration, whatever how often the event arrives."""
        document = {
            "registration_id": data.registration_id,
            "registration_reference": data.reference,
            "status": "draft",
            "buyer": data.organisation.model_dump() if data.organisation else None,
            "contact": data.contact.model_dump(),
            "lines": [line.model_dump() for line in data.lines],
            "totals": asdict(sums),
            "currency": "EUR",
            "source_event_id": event_id,
            "created_at": datetime.now(UTC),
        }
        await self.invoices.update_one(
            {"_id": f"draft-{data.registration_id}"}, {"$setOnInsert": document}, upsert=True
        )

    async def for_registration(self, registration_id: str) -> list[Doc]:
        return await self.invoices.find({"registration_id": registration_id}).to_list()
