"""Dependencies of the routes: the store, the clock, and staff authentication."""

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

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


StoreDep = Annotated[DeliveryStore, Depends(_store)]
StaffDep = Annotated[str, Depends(_staff)]
