"""Events the notify service publishes on `notify.events`, keyed by registration id.

They say who was told what, for the ops dashboard; the recipient travels masked only.
"""

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from rencontres_contracts.envelope import EventData
from rencontres_contracts.events.common import examples

Channel = Literal["email", "sms"]

_SENT = {
    "delivery_id": "0193a1c2-7f10-7abc-8def-0123456789ab:email",
    "registration_id": "0193a1c2-7f00-7abc-8def-0123456789ab",
    "source_event_type": "registration.submitted.v1",
    "channel": "email",
    "template": "registration_received",
    "attempts": 1,
    "at": "2027-10-02T09:15:03Z",
    "recipient_masked": "c***@example.fr",
}


class DeliveryFacts(EventData):
    delivery_id: str = Field(min_length=1, max_length=200)
    registration_id: str = Field(min_length=1, max_length=64)
    source_event_type: str = Field(min_length=1, max_length=100)
    channel: Channel
    template: str = Field(min_length=1, max_length=100)
    attempts: int = Field(ge=1)
    at: datetime
    recipient_masked: str = Field(max_length=200, description="never the address in clear")


class DeliverySentV1(DeliveryFacts):
    """A message was accepted by the mail server or the SMS provider."""

    event_type: ClassVar[str] = "delivery.sent.v1"
    topic: ClassVar[str] = "notify.events"
    model_config = examples(_SENT)


class DeliveryFailedV1(DeliveryFacts):
    """A message could not be delivered: permanently, or after retrying for the whole window."""

    event_type: ClassVar[str] = "delivery.failed.v1"
    topic: ClassVar[str] = "notify.events"
    model_config = examples(
        {**_SENT, "attempts": 3, "error": "550 5.1.1 mailbox unavailable", "permanent": True}
    )

    error: str = Field(max_length=1000)
    permanent: bool
