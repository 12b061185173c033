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
        return await self.handle_many([event])

    async def handle_many(self, events: Sequence[CloudEvent[Any]]) -> int:
        """Record the deliveries of the events with one insert for them all: a delivery
        recorded before (a redelivered event) is left as it is. Those to send at once form one
        send group, so that their acceptances are recorded together too."""
        lease = self.dispatcher.new_lease()
        docs = []
        for i, event in enumerate(events):
            docs += self._deliveries(event, lease)
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)  # let the sends in flight read their SMTP replies
        recorded, send_now = await self._record(docs, lease)
        if recorded:
            self.dispatcher.wake(*send_now)
            await self.dispatcher.room()  # wait while the dispatcher has too much unsent
        return len(recorded)

    async def _record(self, docs: list[Doc], lease: str) -> tuple[list[Doc], list[Doc]]:
        """Insert the deliveries, their send group opened first; the new ones, and those of
        them for the dispatcher to send at once (the group's, if it is still open).

        A group none of whose members is new (a redelivered batch) is closed at once. One
        released while its members were being inserted (the insert stalled past the lease:
        a failover, a lagging majority) has nobody left to release them: they are made
        `pending` and due here, for the dispatcher's scan, instead of being sent from memory."""
        now = self.now()
        if not any(d.get("group") == lease for d in docs):
            return await self.store.record_many(docs), []
        await self.dispatcher.open_group(lease, now)
        recorded = await self.store.record_many(docs)
        members = [d for d in recorded if d.get("group") == lease]
        if not members:
            await self.store.groups.sent(lease, [], now)
        elif not await self.store.groups.is_open(lease):
            await self.store.free_members(lease, now, "pending")
            return recorded, []
        return recorded, members

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
