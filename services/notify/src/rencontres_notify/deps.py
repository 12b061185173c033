"""Dependencies of the routes: the store, the clock, and staff authentication."""

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rencontres_notify.senders import twilio_signature
from rencontres_notify.store import DeliveryStore

_bearer = HTTPBearer(auto_error=False, description="the staff token (NOTIFY_STAFF_TOKEN)")


def _store(request: Request) -> DeliveryStore:
    store: DeliveryStore = request.app.state.deliveries
    return store


def _staff(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    expected: str = request.app.state.settings.staff_token
    if credentials is None or not secrets.compare_digest(
        credentials.credentials.encode(), expected.encode()
    ):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a staff bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return "staff"


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
StaffDep = Annotated[str, Depends(_staff)]
ProviderSignedDep = Annotated[None, Depends(_provider_signed)]
