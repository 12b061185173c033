"""TEMPORARY stand-in until the foundation lands on main (its version wins on merge)."""

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from rencontres_contracts.envelope import EventData


class _Delivery(EventData):
    topic: ClassVar[str] = "notify.events"
    delivery_id: str = Field(min_length=1, max_length=200)
    registration_id: str | None = None
    source_event_type: str
    channel: Literal["email", "sms"]
    template: str
    attempts: int
    at: datetime
    recipient_masked: str


class DeliverySentV1(_Delivery):
    event_type: ClassVar[str] = "delivery.sent.v1"


class DeliveryFailedV1(_Delivery):
    event_type: ClassVar[str] = "delivery.failed.v1"
    error: str
    permanent: bool
