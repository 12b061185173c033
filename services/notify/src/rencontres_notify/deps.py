"""Dependencies of the routes: the store, the clock, and staff authentication."""

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from rencontres_kit.staff import staff_guard

from rencontres_notify.senders import twilio_signature
from rencontres_notify.store import DeliveryStore


def _store(request: Request) -> DeliveryStore:
    store: DeliveryStore = request.app.state.deliveries
    return store


async def _provider_signed(request: Request) -> None:
    """With Twilio, a webhook counts only if signed with our auth token (anyone could post a
    STOP for someone else's number otherwise). The local sink's webhooks are not signed."""
    settings = request.app.state.settings
    if settings.sms_provider != "twilio":
        return
    form = await request.form()
    url = settings.public_base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    params = {k: str(v) for k, v in form.items()}
    expected = twilio_signature(str(settings.twilio_auth_token), url, params)
    if not hmac.compare_digest(expected, request.headers.get("X-Twilio-Signature", "")):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "X-Twilio-Signature: missing or wrong")


StoreDep = Annotated[DeliveryStore, Depends(_store)]
StaffDep = Annotated[str, Depends(staff_guard("NOTIFY_STAFF_TOKEN"))]
ProviderSignedDep = Annotated[None, Depends(_provider_signed)]
