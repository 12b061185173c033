"""Events the billing service publishes on `billing.events`, keyed by invoice id."""

from datetime import datetime
from typing import ClassVar

from pydantic import ConfigDict, Field

from rencontres_contracts.envelope import EventData


class InvoicePaidV1(EventData):
    """An invoice is fully paid; registration confirms the registrations it covers."""

    event_type: ClassVar[str] = "invoice.paid.v1"
    topic: ClassVar[str] = "billing.events"
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "invoice_id": "0193a1c2-9000-7abc-8def-000000000001",
                    "invoice_number": "F-2027-000042",
                    "registration_ids": ["0193a1c2-7f00-7abc-8def-0123456789ab"],
                    "amount_paid_cents": 72000,
                    "paid_at": "2027-10-10T14:00:00Z",
                }
            ]
        }
    )

    invoice_id: str = Field(min_length=1, max_length=64)
    invoice_number: str = Field(min_length=1, max_length=32)
    registration_ids: list[str] = Field(min_length=1, max_length=10)
    amount_paid_cents: int = Field(ge=0)
    paid_at: datetime
