"""Event handlers: each event notify consumes goes to the notifier, which looks its messages
up in the message table (`messages.py`); an erasure blanks the delivery log."""

from typing import Any

from rencontres_contracts import CloudEvent
from rencontres_contracts.events.registration import RegistrationErasedV1
from rencontres_kit.consumer import Handler

from rencontres_notify.messages import MESSAGES
from rencontres_notify.notifier import Notifier


def handlers(notifier: Notifier) -> dict[str, Handler]:
    async def on_message(event: CloudEvent[Any]) -> None:
        await notifier.handle(event)

    async def on_erased(event: CloudEvent[Any]) -> None:
        data: RegistrationErasedV1 = event.data
        await notifier.erase(data.registration_id)

    return {**{t: on_message for t in MESSAGES}, RegistrationErasedV1.event_type: on_erased}
