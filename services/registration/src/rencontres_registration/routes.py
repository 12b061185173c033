"""The public JSON API: parse, one call, a response model."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, status

from rencontres_registration.deps import OwnedDep, RegistrationsDep
from rencontres_registration.documents import LinkedRegistration, PoolDoc
from rencontres_registration.schemas import (
    UUID_PATTERN,
    PoolJoinIn,
    PoolOpenedOut,
    PoolOpenIn,
    PoolOut,
    RegistrationIn,
    RegistrationOut,
)

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Body is not valid JSON"},
    404: {"description": "No registration or shared stand at this link"},
    409: {"description": "Already registered, full, or not in a state that allows this"},
    413: {"description": "Request body too large"},
    429: {"description": "Too many requests from this address; see Retry-After"},
}
router = APIRouter(prefix="/api", tags=["public"], responses=ERRORS)
IdempotencyKey = Annotated[
    str | None,
    Header(max_length=128, description="repeat it to retry safely: the first result comes back"),
]


def registration_out(doc: LinkedRegistration) -> RegistrationOut:
    return RegistrationOut.model_validate(doc.model_dump())


def pool_out(pool: PoolDoc) -> PoolOut:
    return PoolOut.model_validate({**pool.model_dump(), "members": len(pool.members)})


@router.get("/catalog")
async def catalog(registrations: RegistrationsDep) -> dict[str, Any]:
    """Editions, offers, prices, deadlines and the incubator call."""
    raw: dict[str, Any] = registrations.catalog.raw
    return raw


@router.post("/registrations", status_code=status.HTTP_201_CREATED)
async def submit(
    body: Annotated[RegistrationIn, Body()],
    registrations: RegistrationsDep,
    idempotency_key: IdempotencyKey = None,
) -> RegistrationOut:
    """Book a stand or a student pass for one edition, or apply to the incubator."""
    return registration_out(await registrations.submit(body, idempotency_key))


@router.post("/pools", status_code=status.HTTP_201_CREATED)
async def open_pool(
    body: PoolOpenIn, registrations: RegistrationsDep, idempotency_key: IdempotencyKey = None
) -> PoolOpenedOut:
    """Open a shared stand and take its first seat; share the invitation link."""
    doc, pool, url = await registrations.open_pool(body, idempotency_key)
    return PoolOpenedOut(
        registration=registration_out(doc), pool=pool_out(pool), invitation_url=url
    )


@router.post("/pools/{pool_id}/members", status_code=status.HTTP_201_CREATED)
async def join_pool(
    pool_id: Annotated[str, Path(pattern=UUID_PATTERN)],
    body: PoolJoinIn,
    registrations: RegistrationsDep,
    idempotency_key: IdempotencyKey = None,
) -> RegistrationOut:
    """Take a seat in a shared stand with its invitation key."""
    return registration_out(await registrations.join_pool(pool_id, body, idempotency_key))


@router.get("/registrations/{registration_id}")
async def get_own(doc: OwnedDep) -> RegistrationOut:
    """The owner's view, reached through the private link (`t` is its token)."""
    return registration_out(doc)


@router.post("/registrations/{registration_id}/cancel")
async def cancel_own(doc: OwnedDep, registrations: RegistrationsDep) -> RegistrationOut:
    """Cancel a registration, or withdraw an incubator application."""
    return registration_out(await registrations.cancel(doc, by="owner"))


@router.post("/registrations/{registration_id}/accept")
async def accept_offer(doc: OwnedDep, registrations: RegistrationsDep) -> RegistrationOut:
    """Take the place offered from the waiting list, before it expires."""
    return registration_out(await registrations.accept_offer(doc))
