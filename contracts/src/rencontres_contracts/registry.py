"""From bytes on the wire to a validated, typed event."""

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from rencontres_contracts.envelope import CloudEvent, EventData, envelope_of
from rencontres_contracts.events.billing import (
    CreditNoteIssuedV1,
    InvoiceIssuedV1,
    InvoiceLapsedV1,
    InvoiceOverdueV1,
    InvoicePaidV1,
    PaymentReceivedV1,
)
from rencontres_contracts.events.notify import DeliveryFailedV1, DeliverySentV1
from rencontres_contracts.events.ops import DeadLetterReplayedV1
from rencontres_contracts.events.pools import PoolClosedV1, PoolJoinedV1, PoolOpenedV1
from rencontres_contracts.events.registration import (
    ApplicationReviewedV1,
    RegistrationCancelledV1,
    RegistrationConfirmedV1,
    RegistrationErasedV1,
    RegistrationLinkRequestedV1,
    RegistrationPromotedV1,
    RegistrationReservedV1,
    RegistrationSubmittedV1,
)

EVENT_TYPES: dict[str, type[EventData]] = {
    model.event_type: model
    for model in (
        RegistrationSubmittedV1,
        RegistrationPromotedV1,
        RegistrationReservedV1,
        RegistrationConfirmedV1,
        RegistrationCancelledV1,
        RegistrationErasedV1,
        RegistrationLinkRequestedV1,
        ApplicationReviewedV1,
        PoolOpenedV1,
        PoolJoinedV1,
        PoolClosedV1,
        InvoiceIssuedV1,
        PaymentReceivedV1,
        InvoicePaidV1,
        InvoiceOverdueV1,
        InvoiceLapsedV1,
        CreditNoteIssuedV1,
        DeliverySentV1,
        DeliveryFailedV1,
        DeadLetterReplayedV1,
    )
}
"""Every event type the platform knows, by its CloudEvents `type`."""


class InvalidEvent(ValueError):
    """Bytes that are not a valid event of a known type; the message says why."""


Headers = Mapping[str, bytes | str] | Iterable[tuple[str, bytes | str]]
"""Kafka record headers, as a mapping or as the (name, value) pairs clients hand over."""


def parse_event(
    raw: bytes | str | None, headers: Headers | None = None, key: bytes | str | None = None
) -> CloudEvent[Any]:
    """Validate the envelope, then `data` against the model its `type` names.

    Both content modes of the CloudEvents Kafka protocol binding are accepted: *structured*
    (the whole event as JSON in the value, what our producers send) and *binary* (attributes
    in `ce_*` headers, `data` alone in the value, the default of several official SDKs).
    A missing `subject` falls back to the record's key, the aggregate id by our convention.
    """
    attributes = _binary_attributes(headers)
    doc = _binary_event(attributes, raw) if attributes else _structured_event(raw)
    if doc.get("subject") in (None, "") and key:
        doc["subject"] = key.decode(errors="replace") if isinstance(key, bytes) else key
    model = EVENT_TYPES.get(str(doc.get("type")))
    if model is None:
        raise InvalidEvent(f"unknown event type {doc.get('type')!r}")
    try:
        return envelope_of(model).model_validate(doc)
    except ValidationError as exc:
        raise InvalidEvent(f"{doc.get('type')}: {exc}") from exc


def _json(raw: bytes | str | None) -> Any:
    if raw is None:
        raise InvalidEvent("no value")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"not JSON: {exc}") from exc


def _structured_event(raw: bytes | str | None) -> dict[str, Any]:
    doc = _json(raw)
    if not isinstance(doc, dict):
        raise InvalidEvent("not a JSON object")
    return doc


def _binary_attributes(headers: Headers | None) -> dict[str, str]:
    """`ce_*` headers as attributes, plus `content-type` as `datacontenttype`; {} if none."""
    if not headers:
        return {}
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    found: dict[str, str] = {}
    for name, value in pairs:
        text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
        lowered = name.lower()
        if lowered.startswith("ce_"):
            found[lowered[3:]] = text
        elif lowered == "content-type":
            found["datacontenttype"] = text
    return found if "specversion" in found else {}


def _binary_event(attributes: dict[str, str], raw: bytes | str | None) -> dict[str, Any]:
    content_type = attributes.get("datacontenttype", "application/json")
    if "json" not in content_type:
        raise InvalidEvent(f"binary-mode data of content type {content_type!r}; JSON expected")
    return {**attributes, "data": _json(raw)}
