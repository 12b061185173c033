"""Dependencies shared by the routes: the service, and staff authentication."""

from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request, status
from rencontres_kit.staff import staff_guard

from rencontres_registration.documents import LinkedRegistration
from rencontres_registration.schemas import TOKEN_PATTERN, UUID_PATTERN
from rencontres_registration.service import Registrations


def _registrations(request: Request) -> Registrations:
    service: Registrations = request.app.state.registrations
    return service


RegistrationsDep = Annotated[Registrations, Depends(_registrations)]
staff_only = staff_guard("REGISTRATION_STAFF_TOKEN")
StaffDep = Annotated[str, Depends(staff_only)]


RegistrationId = Annotated[str, Path(pattern=UUID_PATTERN, description="the registration's id")]
Token = Annotated[str, Query(pattern=TOKEN_PATTERN, description="the private link's token")]


async def owned(
    registration_id: RegistrationId, t: Token, registrations: RegistrationsDep
) -> LinkedRegistration:
    """The registration behind a private link, or 404 (never saying whether the id exists)."""
    doc = await registrations.for_owner(registration_id, t)
    if doc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no registration at this link")
    return doc


async def by_id(
    registration_id: RegistrationId, registrations: RegistrationsDep
) -> LinkedRegistration:
    doc = await registrations.get(registration_id)
    if doc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such registration")
    return doc


OwnedDep = Annotated[LinkedRegistration, Depends(owned)]
RegistrationDep = Annotated[LinkedRegistration, Depends(by_id)]
