"""Event handlers: which message each event produces, on which channels."""

from typing import Any

from rencontres_contracts import CloudEvent
from rencontres_contracts.events.registration import RegistrationSubmittedV1
from rencontres_kit.consumer import Handler

from rencontres_notify.rendering import render_email, render_sms
from rencontres_notify.senders import EmailSender, SmsSender
from rencontres_notify.store import DeliveryLog


class Notifier:
    """Sends each message at most once per (event, channel), recording the outcome."""

    def __init__(self, log: DeliveryLog, email: EmailSender, sms: SmsSender) -> None:
        self.log, self.email, self.sms = log, email, sms

    async def notify(self, event: CloudEvent[Any], context: dict[str, Any]) -> None:
        contact = context["contact"]
        record = {"event_type": event.type, "registration_id": event.subject}
        email_id = f"{event.id}:email"
        if await self.log.claim(email_id, {**record, "channel": "email", "to": contact["email"]}):
            message = render_email(event.type, contact["language"], context)
            await self.email.send(contact["email"], message, email_id)
            await self.log.mark(email_id, "sent")
        if contact.get("phone") and contact.get("sms_consent"):
            sms_id = f"{event.id}:sms"
            if await self.log.claim(sms_id, {**record, "channel": "sms", "to": contact["phone"]}):
                await self.sms.send(
                    contact["phone"], render_sms(event.type, contact["language"], context), sms_id
                )
                await self.log.mark(sms_id, "sent")


def handlers(notifier: Notifier) -> dict[str, Handler]:
    async def on_submitted(event: CloudEvent[Any]) -> None:
        data: RegistrationSubmittedV1 = event.data
        await notifier.notify(event, data.model_dump(mode="json"))

    return {RegistrationSubmittedV1.event_type: on_submitted}
