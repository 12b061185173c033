"""The one place that maps delivery documents to the contract events notify publishes."""

from datetime import datetime
from typing import Any

from rencontres_contracts import EventData, new_event
from rencontres_contracts.events.notify import DeliveryFailedV1, DeliverySentV1
from rencontres_kit.outbox import outbox_entry

from rencontres_notify.deliveries import mask

PUBLISHES: tuple[type[EventData], ...] = (DeliverySentV1, DeliveryFailedV1)
"""Every event type notify publishes; the catalog test compares it with `topics`."""
SOURCE = "/notify"

Doc = dict[str, Any]


def _facts(doc: Doc, at: datetime) -> dict[str, Any]:
    return {
        "delivery_id": doc["_id"],
        "registration_id": doc.get("registration_id"),
        "source_event_type": doc["event_type"],
        "channel": doc["channel"],
        "template": doc["template"],
        "attempts": doc["attempts"],
        "at": at,
        "recipient_masked": mask(doc["channel"], doc.get("to", "")),
    }


def _subject(doc: Doc) -> str:
    return str(doc.get("registration_id") or doc["_id"])[:64]


def sent_entry(doc: Doc, at: datetime) -> dict[str, Any]:
    """`delivery.sent.v1` for the ops dashboard, as an outbox entry."""
    event = new_event(
        DeliverySentV1(**_facts(doc, at)),
        source=SOURCE,
        subject=_subject(doc),
        correlation_id=doc.get("correlation_id"),
        causation_id=doc.get("event_id"),
    )
    return outbox_entry(event)


def failed_entry(doc: Doc, at: datetime, error: str, permanent: bool) -> dict[str, Any]:
    """`delivery.failed.v1`: the reason, and whether retrying was pointless or just exhausted."""
    event = new_event(
        DeliveryFailedV1(**_facts(doc, at), error=error, permanent=permanent),
        source=SOURCE,
        subject=_subject(doc),
        correlation_id=doc.get("correlation_id"),
        causation_id=doc.get("event_id"),
    )
    return outbox_entry(event)
