"""Staff preview: any message rendered with sample data, in either language. The sample data
are the contract's own examples (exported with its schema), so a preview is what a real event
of that type produces. Pure: no I/O."""

from dataclasses import dataclass
from typing import Any

from rencontres_contracts import EVENT_TYPES

from rencontres_notify import sms
from rencontres_notify.messages import MESSAGES
from rencontres_notify.rendering import render_email, render_sms


class UnknownMessage(LookupError):
    """No row of the message table for this event type (code: `unknown_message`)."""

    code = "unknown_message"


@dataclass(frozen=True)
class Preview:
    event_type: str
    template: str
    language: str
    subject: str
    text: str
    html: str
    sms: str | None
    sms_segments: int | None


def samples(event_type: str) -> list[Any]:
    """The contract's examples of this type, oldest first, as its model."""
    model = EVENT_TYPES[event_type]
    extra: Any = model.model_config.get("json_schema_extra") or {}
    return [model.model_validate(example) for example in extra["examples"]]


def preview(event_type: str, language: str) -> Preview:
    message = MESSAGES.get(event_type)
    if message is None:
        raise UnknownMessage(event_type)
    # the first example that tells somebody: an older one may predate the fields a message
    # needs (pool.opened.v1's first example has no contact, kept as history)
    recipients = next(
        (found for data in samples(event_type) if (found := message.recipients(data))), []
    )
    if not recipients:  # the example says "nobody to tell" (e.g. an erasure): show the words anyway
        raise UnknownMessage(event_type)
    context = {**recipients[0].context}
    email = render_email(message.template, language, context)
    text = render_sms(message.template, language, context) if "sms" in message.channels else None
    return Preview(
        event_type,
        message.template,
        language,
        email.subject,
        email.text,
        email.html,
        text,
        sms.segments(text) if text is not None else None,
    )
