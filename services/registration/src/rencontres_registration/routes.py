"""HTTP routes of the JSON API: parse, one call, a response model."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, status

from rencontres_registration.schemas import RegistrationIn, RegistrationOut
from rencontres_registration.service import Registrations

router = APIRouter(prefix="/api/registrations", tags=["registrations"])


def _service(request: Request) -> Registrations:
    service: Registrations = request.app.state.registrations
    return service


def _out(doc: dict[str, Any]) -> RegistrationOut:
    return RegistrationOut.model_validate({**doc, "id": doc["_id"]})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RegistrationOut)
async def submit(
    body: RegistrationIn,
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> RegistrationOut:
    """Register for an offer. A repeated `Idempotency-Key` returns the first registration."""
    return _out(await _service(request).submit(body, idempotency_key))


@router.get("/{registration_id}", response_model=RegistrationOut)
async def get_own(registration_id: str, t: str, request: Request) -> RegistrationOut:
    """The owner's view, reached through the private link sent by email."""
    doc = await _service(request).for_owner(registration_id, t)
    if doc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no registration at this link")
    return _out(doc)
