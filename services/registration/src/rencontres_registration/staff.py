"""The staff API: find, review, cancel on behalf, erase, export. Every route needs the token."""

import csv
import io
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from rencontres_contracts.events.registration import OfferKind, RegistrationStatus

from rencontres_registration.deps import RegistrationDep, RegistrationsDep, staff_only
from rencontres_registration.documents import RegistrationDoc
from rencontres_registration.schemas import ReviewIn, StaffRegistrationOut
from rencontres_registration.store import StaffSearch

router = APIRouter(
    prefix="/api/staff",
    tags=["staff"],
    dependencies=[Depends(staff_only)],
    responses={
        400: {"description": "Body is not valid JSON"},
        401: {"description": "Missing or wrong staff bearer token"},
        404: {"description": "No such registration"},
        409: {"description": "Not in a state that allows this"},
        422: {"description": "Invalid request"},
    },
)

CSV_COLUMNS = [
    "reference", "status", "offer", "edition", "created_at", "name", "email", "phone",
    "sms_consent", "organisation", "siret", "school", "project", "pool_id",
]  # fmt: skip


def staff_out(doc: RegistrationDoc) -> StaffRegistrationOut:
    """Staff never see the owner's private link."""
    return StaffRegistrationOut.model_validate({**doc.model_dump(), "status_url": ""})


class Search:
    """Query parameters of the list and the CSV export."""

    def __init__(
        self,
        q: Annotated[
            str | None,
            Query(
                max_length=100,
                pattern=r"^[^\x00-\x1f\x7f]*$",
                description="reference, name, email, company",
            ),
        ] = None,
        offer: OfferKind | None = None,
        status: Annotated[
            RegistrationStatus | Literal["placing"] | None,
            Query(description="`placing`: between submission and its first status"),
        ] = None,
        edition_id: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9-]*$")] = None,
    ) -> None:
        self.filters = StaffSearch(q=q, offer=offer, status=status, edition_id=edition_id)


@router.get("/registrations")
async def list_registrations(
    registrations: RegistrationsDep,
    search: Annotated[Search, Depends()],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    docs = await registrations.store.registrations.staff_search(search.filters, limit, offset)
    total = await registrations.store.registrations.staff_count(search.filters)
    return {"total": total, "items": [staff_out(d) for d in docs]}


@router.get("/registrations.csv", response_class=StreamingResponse)
async def export_csv(
    registrations: RegistrationsDep, search: Annotated[Search, Depends()]
) -> StreamingResponse:
    """Every matching registration as CSV (UTF-8 with BOM, so spreadsheets read accents)."""
    docs = await registrations.store.registrations.staff_search(search.filters, limit=100_000)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(CSV_COLUMNS)
    for doc in docs:
        writer.writerow(_csv_row(doc))
    return StreamingResponse(
        iter([buffer.getvalue()]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="registrations.csv"'},
    )


def _csv_row(doc: RegistrationDoc) -> list[str]:
    contact, org = doc.contact, doc.organisation or {}
    student, startup = doc.student or {}, doc.startup or {}
    cells = [
        doc.reference, doc.status, doc.offer, ",".join(doc.edition_ids),
        doc.created_at.isoformat(), contact.name, contact.email,
        contact.phone or "", "yes" if contact.sms_consent else "no",
        org.get("legal_name", ""), org.get("siret", ""), student.get("school", ""),
        startup.get("project_name", ""), doc.pool_id or "",
    ]  # fmt: skip
    return [_defuse(str(cell)) for cell in cells]


def _defuse(cell: str) -> str:
    """Stop a spreadsheet from running a cell as a formula (CSV injection)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


@router.get("/registrations/{registration_id}")
async def get_registration(doc: RegistrationDep) -> StaffRegistrationOut:
    return staff_out(doc)


@router.post("/registrations/{registration_id}/review")
async def review(
    doc: RegistrationDep, body: ReviewIn, registrations: RegistrationsDep
) -> StaffRegistrationOut:
    """Move an incubator application to under review, accepted or rejected."""
    return staff_out(await registrations.review(doc, body.decision, body.message))


@router.post("/registrations/{registration_id}/cancel")
async def cancel(doc: RegistrationDep, registrations: RegistrationsDep) -> StaffRegistrationOut:
    """Cancel on the person's behalf; the place goes to the first in line."""
    return staff_out(await registrations.cancel(doc, by="staff"))


@router.post("/registrations/{registration_id}/settle")
async def settle(doc: RegistrationDep, registrations: RegistrationsDep) -> StaffRegistrationOut:
    """Finish a registration stuck in `placing`, or abandon it and give back what it held."""
    return staff_out(await registrations.settle_by_staff(doc))


@router.delete("/registrations/{registration_id}/personal-data")
async def erase(doc: RegistrationDep, registrations: RegistrationsDep) -> StaffRegistrationOut:
    """Erase the person's data here and, through `registration.erased.v1`, everywhere."""
    return staff_out(await registrations.erase(doc))


@router.get("/capacity")
async def capacity(registrations: RegistrationsDep) -> list[dict[str, Any]]:
    """Places per edition: total, taken, free, and how many wait."""
    rows = []
    for cap in await registrations.store.places.capacities():
        taken = cap.taken
        waiting = await registrations.store.registrations.waitlisted_count(
            cap.edition_id, cap.resource
        )
        rows.append(
            {
                "edition_id": cap.edition_id,
                "resource": cap.resource,
                "total": cap.total,
                "taken": taken,
                "free": max(cap.total - taken, 0),
                "waitlisted": waiting,
            }
        )
    return rows


@router.post("/capacity/reconcile")
async def reconcile_capacity(registrations: RegistrationsDep) -> list[dict[str, Any]]:
    """Recount every edition's places from their holders and repair a counter that drifted."""
    drifts = await registrations.reconciler.reconcile(now=True)
    return [asdict(d) for d in drifts]


@router.post("/jobs/run")
async def run_jobs(registrations: RegistrationsDep) -> dict[str, int]:
    """Expire offers, close pools at their deadline, promote from waiting lists, now."""
    return await registrations.run_jobs()
