"""HTTP: the staff delivery log, and the SMS provider's webhooks (status callback, inbound)."""

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Query, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from rencontres_notify import sms
from rencontres_notify.deliveries import Channel, Status, mask
from rencontres_notify.deps import ProviderSignedDep, StaffDep, StoreDep
from rencontres_notify.preview import Preview, UnknownMessage, preview

staff = APIRouter(prefix="/api/staff", tags=["staff"])
webhooks = APIRouter(prefix="/webhooks/sms", tags=["sms provider"])


Language = Literal["fr", "en"]


class PreviewOut(BaseModel):
    event_type: str
    template: str
    language: Language
    subject: str
    text: str
    html: str
    sms: str | None
    sms_segments: int | None


class DeliveryOut(BaseModel):
    id: str
    registration_id: str
    event_type: str
    channel: Channel
    template: str
    to: str
    status: Status
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime | None
    sent_at: datetime | None
    next_attempt_at: datetime | None
    provider_status: str | None


def delivery_out(doc: dict[str, Any]) -> DeliveryOut:
    """A delivery as staff see it: the address masked, never the message's content."""
    return DeliveryOut(
        id=doc["_id"],
        registration_id=doc["registration_id"],
        event_type=doc["event_type"],
        channel=doc["channel"],
        template=doc["template"],
        to=mask(doc["channel"], doc.get("to", "")),
        status=doc["status"],
        attempts=doc.get("attempts", 0),
        last_error=doc.get("last_error") or None,
        created_at=doc["created_at"],
        updated_at=doc.get("updated_at"),
        sent_at=doc.get("sent_at"),
        next_attempt_at=doc.get("due_at") if doc["status"] in ("pending", "retrying") else None,
        provider_status=doc.get("provider_status"),
    )


@staff.get("/deliveries")
async def deliveries(
    registration_id: Annotated[str, Query(min_length=1, max_length=64)],
    store: StoreDep,
    _: StaffDep,
) -> list[DeliveryOut]:
    """Every message sent (or not yet, or not at all) for one registration."""
    return [delivery_out(d) for d in await store.for_registration(registration_id)]


@webhooks.post("/status", status_code=status.HTTP_204_NO_CONTENT)
async def status_callback(
    delivery_id: Annotated[str, Query(min_length=1, max_length=200)],
    MessageStatus: Annotated[str, Form(max_length=40)],
    store: StoreDep,
    _: ProviderSignedDep,
) -> None:
    """The provider's status callback (Twilio: `MessageStatus` queued/sent/delivered/failed…)."""
    if not await store.provider_status(delivery_id, MessageStatus, datetime.now(UTC)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such delivery")


@webhooks.post("/inbound", status_code=status.HTTP_204_NO_CONTENT)
async def inbound(
    From: Annotated[str, Form(min_length=1, max_length=40)],
    Body: Annotated[str, Form(max_length=1600)],
    store: StoreDep,
    _: ProviderSignedDep,
) -> None:
    """An SMS someone sent back: STOP (ARRET, …) opts their number out of every later SMS."""
    number = sms.e164(From)
    if number is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "From: not a phone number")
    if sms.is_stop(Body):
        await store.opt_out(number, datetime.now(UTC))


@staff.get("/preview/{event_type}")
async def preview_message(
    event_type: str, _: StaffDep, language: Annotated[Language, Query()] = "fr"
) -> PreviewOut:
    """A message rendered with the contract's sample data: subject, text, HTML and SMS."""
    return PreviewOut(**asdict(_preview(event_type, language)))


@staff.get("/preview/{event_type}/email.html", response_class=HTMLResponse)
async def preview_html(
    event_type: str, _: StaffDep, language: Annotated[Language, Query()] = "fr"
) -> str:
    """The email's HTML part as the recipient's mail client shows it."""
    return _preview(event_type, language).html


def _preview(event_type: str, language: str) -> Preview:
    try:
        return preview(event_type, language)
    except UnknownMessage as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{exc.code}: {event_type}") from exc
