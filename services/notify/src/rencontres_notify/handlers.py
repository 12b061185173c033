"""Event handlers: which message each event produces, on which channels.

One function per event type below, registered on `router` by the model it takes.
Pool opened/joined carry no contact and are not mapped (the consumer ignores them).
"""

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rencontres_contracts import CloudEvent
from rencontres_contracts.events.pools import PoolClosedV1, PoolMember
from rencontres_contracts.events.registration import (
    ApplicationReviewedV1,
    RegistrationCancelledV1,
    RegistrationConfirmedV1,
    RegistrationErasedV1,
    RegistrationPromotedV1,
    RegistrationReservedV1,
    RegistrationSubmittedV1,
)
from rencontres_kit.handlers import EventRouter

from rencontres_notify.rendering import render_email, render_sms
from rencontres_notify.senders import EmailSender, SmsSender
from rencontres_notify.store import DeliveryLog


class Notifier:
    """Sends each message at most once per (event, recipient, channel), recording the outcome.

    Delivery ids are `{event id}:{channel}`, or `{event id}:{recipient}:{channel}` when one
    event speaks to several people (a closed pool's members).
    """

    def __init__(self, log: DeliveryLog, email: EmailSender, sms: SmsSender) -> None:
        self.log, self.email, self.sms = log, email, sms

    async def notify(
        self,
        event: CloudEvent[Any],
        context: dict[str, Any],
        *,
        registration_id: str | None = None,
        recipient: str | None = None,
        sms: bool = True,
    ) -> None:
        """Email the context's contact, and SMS them too when `sms` and they consented.

        `registration_id` is what the delivery log files the messages under (default: the
        event's subject); `recipient` tells apart several messages of one event.
        """
        contact = context["contact"]
        record = {"event_type": event.type, "registration_id": registration_id or event.subject}
        prefix = f"{event.id}:{recipient}" if recipient else event.id
        email_id = f"{prefix}:email"
        if await self.log.claim(email_id, {**record, "channel": "email", "to": contact["email"]}):
            message = render_email(event.type, contact["language"], context)
            await self._sent(email_id, self.email.send(contact["email"], message, email_id))
        if sms and contact.get("phone") and contact.get("sms_consent"):
            sms_id = f"{prefix}:sms"
            if await self.log.claim(sms_id, {**record, "channel": "sms", "to": contact["phone"]}):
                text = render_sms(event.type, contact["language"], context)
                await self._sent(sms_id, self.sms.send(contact["phone"], text, sms_id))

    async def _sent(self, delivery_id: str, sending: Awaitable[object]) -> None:
        """Record the outcome: `sent`, or `failed` with the reason (and the event is retried,
        then dead-lettered), so the log never shows a message stuck in `sending`."""
        try:
            await sending
        except Exception as exc:
            await self.log.mark(delivery_id, "failed", f"{type(exc).__name__}: {exc}")
            raise
        await self.log.mark(delivery_id, "sent")


PARIS = "Europe/Paris"
FR_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _last_sunday(year: int, month: int) -> datetime:
    day = datetime(year, month, 31, 1, tzinfo=UTC)  # March and October have 31 days
    return day - timedelta(days=(day.weekday() + 1) % 7)


def paris_time(moment: datetime) -> datetime:
    """`moment` on the wall clocks of Paris (the EU summer-time rule when tzdata is absent)."""
    try:
        return moment.astimezone(ZoneInfo(PARIS))
    except ZoneInfoNotFoundError:  # a slim image without tzdata
        utc = moment.astimezone(UTC)
        summer = _last_sunday(utc.year, 3) <= utc < _last_sunday(utc.year, 10)
        return utc.astimezone(timezone(timedelta(hours=2 if summer else 1)))


def format_deadline(moment: datetime, language: str) -> str:
    """« 4 octobre 2027 à 11 h 15 » / "4 October 2027 at 11:15 (Paris time)"."""
    local = paris_time(moment)
    if language == "en":
        month = EN_MONTHS[local.month - 1]
        return f"{local.day} {month} {local.year} at {local:%H:%M} (Paris time)"
    day = "1er" if local.day == 1 else str(local.day)
    return f"{day} {FR_MONTHS[local.month - 1]} {local.year} à {local.hour} h {local:%M}"


def promoted_context(data: RegistrationPromotedV1) -> dict[str, Any]:
    """The promotion's data, plus its `deadline` written for the contact's language."""
    return {
        **data.model_dump(mode="json"),
        "deadline": format_deadline(data.expires_at, data.contact.language),
    }


def member_context(data: PoolClosedV1, member: PoolMember) -> dict[str, Any]:
    """What one member of a closed pool reads: the pool, their share, how many share it."""
    return {
        **data.model_dump(mode="json", exclude={"members"}),
        **member.model_dump(mode="json"),
        "member_count": len(data.members),
    }


router: EventRouter[Notifier] = EventRouter("notify")


@router.on(RegistrationSubmittedV1)
async def on_submitted(event: CloudEvent[RegistrationSubmittedV1], notifier: Notifier) -> None:
    data = event.data
    await notifier.notify(event, data.model_dump(mode="json"), registration_id=data.registration_id)


@router.on(RegistrationPromotedV1)
async def on_promoted(event: CloudEvent[RegistrationPromotedV1], notifier: Notifier) -> None:
    data = event.data
    await notifier.notify(event, promoted_context(data), registration_id=data.registration_id)


@router.on(RegistrationReservedV1)
async def on_reserved(event: CloudEvent[RegistrationReservedV1], notifier: Notifier) -> None:
    data = event.data
    await notifier.notify(
        event, data.model_dump(mode="json"), registration_id=data.registration_id, sms=False
    )


@router.on(RegistrationConfirmedV1)
async def on_confirmed(event: CloudEvent[RegistrationConfirmedV1], notifier: Notifier) -> None:
    data = event.data
    await notifier.notify(event, data.model_dump(mode="json"), registration_id=data.registration_id)


@router.on(RegistrationCancelledV1)
async def on_cancelled(event: CloudEvent[RegistrationCancelledV1], notifier: Notifier) -> None:
    data = event.data
    if data.reason == "erased":  # the person asked to be forgotten, not to be written to
        return
    await notifier.notify(event, data.model_dump(mode="json"), registration_id=data.registration_id)


@router.on(ApplicationReviewedV1)
async def on_reviewed(event: CloudEvent[ApplicationReviewedV1], notifier: Notifier) -> None:
    data = event.data
    await notifier.notify(
        event,
        data.model_dump(mode="json"),
        registration_id=data.registration_id,
        sms=data.decision != "under_review",
    )


@router.on(PoolClosedV1)
async def on_pool_closed(event: CloudEvent[PoolClosedV1], notifier: Notifier) -> None:
    data = event.data
    if data.reason == "unfilled":  # each member gets its registration.cancelled instead
        return
    for member in data.members:
        await notifier.notify(
            event,
            member_context(data, member),
            registration_id=member.registration_id,
            recipient=member.registration_id,
            sms=False,
        )


@router.on(RegistrationErasedV1)
async def on_erased(event: CloudEvent[RegistrationErasedV1], notifier: Notifier) -> None:
    await notifier.log.erase(event.data.registration_id)
