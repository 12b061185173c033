"""What notify does with an event: look up its row in the message table, render each message
once, and record one delivery per recipient and channel. Sending is the dispatcher's job, in
the background: a handler only writes to the database, so it never holds a partition."""

import asyncio
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from rencontres_contracts import CloudEvent

from rencontres_notify import sms
from rencontres_notify.deliveries import Channel, delivery_id, message_id
from rencontres_notify.dispatcher import Clock, Dispatcher, utcnow
from rencontres_notify.messages import MESSAGES, Message, Recipient
from rencontres_notify.rendering import render_email, render_sms
from rencontres_notify.store import DeliveryStore

Doc = dict[str, Any]
YIELD_EVERY = 10
"""Events rendered between two turns of the event loop: rendering a batch of 200 took the
loop for about 50 ms, while the dispatcher's SMTP connections waited for their replies."""


class Notifier:
    def __init__(
        self,
        store: DeliveryStore,
        dispatcher: Dispatcher,
        *,
        unsubscribe: str = "<mailto:unsubscribe@rencontres.example>",
        clock: Clock = utcnow,
    ) -> None:
        self.store, self.dispatcher, self.now = store, dispatcher, clock
        self._unsubscribe = unsubscribe

    async def handle(self, event: CloudEvent[Any]) -> int:
        """Record the deliveries the event's row asks for; how many were new."""
        lease = self.dispatcher.new_lease()
        docs = await self._grouped(self._deliveries(event, lease), lease)
        recorded = [doc for doc in docs if await self.store.record(doc)]
        await self._wake(recorded)
        return len(recorded)

    async def handle_many(self, events: Sequence[CloudEvent[Any]]) -> int:
        """What `handle` does for each event, with one insert for them all (the consumer's
        batch path): a delivery recorded before (a redelivered event) is left as it is. The
        deliveries to send at once are claimed under one lease, so that their acceptances are
        recorded together too."""
        lease = self.dispatcher.new_lease()
        docs = []
        for i, event in enumerate(events):
            docs += self._deliveries(event, lease)
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)  # let the sends in flight read their SMTP replies
        recorded = await self.store.record_many(await self._grouped(docs, lease))
        await self._wake(recorded)
        return len(recorded)

    async def _grouped(self, docs: list[Doc], lease: str) -> list[Doc]:
        """Open the send group of the deliveries to send at once, before they are recorded."""
        if any(d.get("group") == lease for d in docs):
            await self.dispatcher.open_group(lease, self.now())
        return docs

    def _deliveries(self, event: CloudEvent[Any], lease: str) -> list[Doc]:
        message = MESSAGES[event.type]
        docs = []
        for recipient in message.recipients(event.data):
            for channel in message.channels:
                if channel in recipient.channels:
                    doc = self._delivery(event, message, recipient, channel, lease)
                    if doc is not None:
                        docs.append(doc)
        return docs

    async def _wake(self, recorded: list[Doc]) -> None:
        """Hand what is to go at once to the dispatcher; wait while it has too much unsent."""
        if recorded:
            self.dispatcher.wake(*(d for d in recorded if d["status"] == "sending"))
            await self.dispatcher.room()

    async def erase(self, registration_id: str) -> int:
        return await self.store.erase(registration_id, self.now())

    def _delivery(
        self,
        event: CloudEvent[Any],
        message: Message,
        recipient: Recipient,
        channel: Channel,
        lease: str,
    ) -> Doc | None:
        contact = recipient.contact
        language = contact.language
        now = self.now()
        due = now
        if channel == "email":
            email = render_email(message.template, language, recipient.context)
            content: Doc = {"subject": email.subject, "text": email.text, "html": email.html}
            if not message.transactional:
                content["list_unsubscribe"] = self._unsubscribe
            to: str | None = contact.email
        else:
            to = sms.e164(contact.phone) if contact.phone and contact.sms_consent else None
            if to is None:  # no number, no consent, or not a phone number: email only
                return None
            content = {"text": render_sms(message.template, language, recipient.context)}
            due = (sms.quiet_until(now, *self.dispatcher.policy.quiet) or now).astimezone(UTC)
        ident = delivery_id(event.id, channel, recipient.key)
        doc = {
            "_id": ident,
            "registration_id": recipient.registration_ids[0],
            "registration_ids": list(recipient.registration_ids),
            "event_id": event.id,
            "event_type": event.type,
            "correlation_id": event.correlationid,
            "event": event.to_bytes().decode(),
            "template": message.template,
            "channel": channel,
            "language": language,
            "to": to,
            "name": contact.name,
            "content": content,
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            "due_at": due,
        }
        if channel == "email":  # known now: the sent record need not carry it
            doc["message_id"] = message_id(ident, self.dispatcher.domain)
        if due <= now:  # ours to send at once: recorded claimed, no claiming write
            del doc["due_at"]  # the send group's lease is theirs
            doc.update(self.dispatcher.claimed_now(lease))
        return doc
