"""The owner's private page (`/r/{id}?t=…`): where a registration stands, its invoices, and
what its owner may do (cancel, accept a place offered from the waiting list)."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from rencontres_contracts.events.common import Language

from rencontres_registration.deps import RegistrationsDep
from rencontres_registration.documents import LinkedRegistration
from rencontres_registration.domain import TransitionRefused, allows
from rencontres_registration.i18n import translate
from rencontres_registration.invoice_view import invoice_rows
from rencontres_registration.service import Registrations
from rencontres_registration.web.pages import (
    checked_form,
    csrf_token,
    message_page,
    other,
    reader_language,
    render,
    status_path,
    when,
)

router = APIRouter(include_in_schema=False)


@router.get("/r/{registration_id}")
async def status_page(
    request: Request,
    registration_id: str,
    registrations: RegistrationsDep,
    t: str = "",
    new: str = "",
    done: str = "",
) -> Response:
    language = reader_language(request)
    doc = await registrations.for_owner(registration_id, t) if t else None
    if doc is None:
        return message_page(request, language, "notfound", status_code=404)
    notice = {"cancelled": "status.cancelled.done", "accepted": "status.accepted.done"}.get(done)
    return await _status(request, registrations, doc, t, language, new=new == "1", notice=notice)


@router.post("/r/{registration_id}/cancel")
async def cancel(
    request: Request, registration_id: str, registrations: RegistrationsDep
) -> Response:
    form, language, token, doc = await _owner_post(request, registration_id, registrations)
    if isinstance(doc, Response):
        return doc
    if form.get("confirm") != "yes":
        return render(
            request,
            "cancel.html",
            language,
            doc=doc,
            owner_token=token,
            csrf_token=csrf_token(request),
            switch_url=status_path(doc, lang=other(language)),
            status_url=status_path(doc),
        )
    try:
        await registrations.cancel(doc, by="owner")
    except TransitionRefused as exc:
        return await _status(request, registrations, doc, token, language, refused=exc)
    return RedirectResponse(status_path(doc, done="cancelled"), status_code=303)


@router.post("/r/{registration_id}/accept")
async def accept(
    request: Request, registration_id: str, registrations: RegistrationsDep
) -> Response:
    _, language, token, doc = await _owner_post(request, registration_id, registrations)
    if isinstance(doc, Response):
        return doc
    try:
        await registrations.accept_offer(doc)
    except TransitionRefused as exc:
        return await _status(request, registrations, doc, token, language, refused=exc)
    return RedirectResponse(status_path(doc, done="accepted"), status_code=303)


async def _owner_post(
    request: Request, registration_id: str, registrations: Registrations
) -> tuple[dict[str, str], Language, str, LinkedRegistration | Response]:
    """An owner's form: its fields, language and private token, and the registration, or
    the page to answer instead (CSRF refused, or no registration for that token)."""
    form, language, refused = await checked_form(request)
    token = form.get("t", "")
    if refused:
        return form, language, token, refused
    doc = await registrations.for_owner(registration_id, token) if token else None
    if doc is None:
        return form, language, token, message_page(request, language, "notfound", status_code=404)
    return form, language, token, doc


async def _status(
    request: Request,
    registrations: Registrations,
    doc: LinkedRegistration,
    token: str,
    language: Language,
    new: bool = False,
    notice: str | None = None,
    refused: TransitionRefused | None = None,
) -> Response:
    catalog = registrations.catalog
    current = await registrations.get(doc.id) or doc
    pool = await registrations.pool_for_member(current)
    invitation = None
    if pool and current.pool_role == "opener" and pool.status in ("opening", "open"):
        invitation = registrations.links.invitation_url(pool.id)
    editions = [
        catalog.edition_label(eid, language)
        if eid in catalog.editions
        else catalog.incubator_call.title[language]
        for eid in current.edition_ids
    ]
    status_words = translate(language, f"status.{current.status}")
    problem = None
    if refused is not None:
        problem = translate(language, "status.transition_refused", status=status_words)
    expires = current.offer_expires_at
    response = render(
        request,
        "status.html",
        language,
        status_code=409 if refused else 200,
        doc=current,
        owner_token=token,
        new=new,
        notice=notice,
        problem=problem,
        offer_label=catalog.offer(current.offer).label[language],
        editions=editions,
        status_words=status_words,
        hold_hours=catalog.offer_hold_hours,
        offered_until=when(expires, language) if expires else None,
        pool=pool,
        pool_deadline=when(pool.deadline, language, with_time=False) if pool else None,
        invitation=invitation,
        invoices=invoice_rows(current.invoices, language),
        can_cancel=allows("cancel", current.status),
        csrf_token=csrf_token(request),
        switch_url=status_path(current, lang=other(language)),
    )
    response.headers["Cache-Control"] = "no-store"
    return response
