"""Dependencies shared by the routes: the service, and staff authentication."""

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rencontres_registration.schemas import TOKEN_PATTERN, UUID_PATTERN
from rencontres_registration.service import Doc, Registrations

_bearer = HTTPBearer(auto_error=False, description="the staff token (REGISTRATION_STAFF_TOKEN)")


def _registrations(request: Request) -> Registrations:
    service: Registrations = request.app.state.registrations
    return service


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


RegistrationsDep = Annotated[Registrations, Depends(_registrations)]
StaffDep = Annotated[str, Depends(_staff)]


RegistrationId = Annotated[str, Path(pattern=UUID_PATTERN, description="the registration's id")]
Token = Annotated[str, Query(pattern=TOKEN_PATTERN, description="the private link's token")]


async def owned(registration_id: RegistrationId, t: Token, registrations: RegistrationsDep) -> Doc:
    """The registration behind a private link, or 404 (never saying whether the id exists)."""
    doc = await registrations.for_owner(registration_id, t)
    if doc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no registration at this link")
    return doc


async def by_id(registration_id: RegistrationId, registrations: RegistrationsDep) -> Doc:
    doc = await registrations.get(registration_id)
    if doc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such registration")
    return doc


OwnedDep = Annotated[Doc, Depends(owned)]
RegistrationDep = Annotated[Doc, Depends(by_id)]
