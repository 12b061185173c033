"""From bytes on the wire to a validated, typed event."""

import json
from typing import Any

from pydantic import ValidationError

from rencontres_contracts.envelope import CloudEvent, EventData
from rencontres_contracts.events.billing import InvoicePaidV1
from rencontres_contracts.events.ops import DeadLetterReplayedV1
from rencontres_contracts.events.pools import PoolClosedV1, PoolJoinedV1, PoolOpenedV1
from rencontres_contracts.events.registration import (
    ApplicationReviewedV1,
    RegistrationCancelledV1,
    RegistrationConfirmedV1,
    RegistrationErasedV1,
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
        ApplicationReviewedV1,
        PoolOpenedV1,
        PoolJoinedV1,
        PoolClosedV1,
        InvoicePaidV1,
        DeadLetterReplayedV1,
    )
}
"""Every event type the platform knows, by its CloudEvents `type`."""


class InvalidEvent(ValueError):
    """Bytes that are not a valid event of a known type; the message says why."""


def parse_event(raw: bytes | str) -> CloudEvent[Any]:
    """Validate the envelope, then `data` against the model its `type` names."""
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise InvalidEvent("not a JSON object")
    model = EVENT_TYPES.get(str(doc.get("type")))
    if model is None:
        raise InvalidEvent(f"unknown event type {doc.get('type')!r}")
    try:
        return CloudEvent[model].model_validate(doc)  # type: ignore[valid-type]
    except ValidationError as exc:
        raise InvalidEvent(f"{doc.get('type')}: {exc}") from exc
