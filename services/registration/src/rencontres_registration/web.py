"""The public HTML face: server-rendered forms that work without JavaScript.

Each POST checks the CSRF token and the honeypot, turns the form into the API's input model,
makes one call to the service, and either redirects to the owner's page (POST-redirect-GET)
or shows the form again with a message next to each field.
"""

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from rencontres_contracts.events.common import Language

from rencontres_registration import csrf
from rencontres_registration.deps import RegistrationsDep
from rencontres_registration.documents import LinkedRegistration, PoolDoc
from rencontres_registration.domain import (
    IdempotencyKeyReused,
    RegistrationRefused,
    TransitionRefused,
    allows,
    new_reference,
)
from rencontres_registration.formatting import format_day
from rencontres_registration.forms import (
    FORMS,
    FormName,
    FormSpec,
    field_errors,
    field_id,
    refusal_message,
    to_nested,
)
from rencontres_registration.i18n import format_euros, language_of, translate
from rencontres_registration.invoice_view import invoice_rows
from rencontres_registration.schemas import (
    IncubatorIn,
    PoolJoinIn,
    PoolOpenIn,
    StandIn,
    StudentPassIn,
)
from rencontres_registration.service import Registrations
from rencontres_registration.store import AlreadyRegistered

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["field_id"] = field_id

LANG_COOKIE = "lang"
HONEYPOT = "website_url"
PARIS = ZoneInfo("Europe/Paris")
_ONE_YEAR = 365 * 24 * 3600
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
_PATHS: dict[FormName, str] = {
    "stand": "/register/stand",
    "pool_open": "/pools/new",
    "student": "/register/student",
    "incubator": "/register/incubator",
}


# ---------------------------------------------------------------------- pages


@router.get("/")
async def landing(request: Request, registrations: RegistrationsDep) -> Response:
    language = _language(request)
    catalog = registrations.catalog
    call = catalog.incubator_call
    return _render(
        request,
        "landing.html",
        language,
        price=format_euros(catalog.offer("stand").unit_price_excl_vat_cents, language),
        pools=catalog.pools,
        call_title=call.title[language],
        call_closes=_when(call.closes, language, with_time=False),
    )


@router.get("/register/stand")
async def stand_form(request: Request, registrations: RegistrationsDep) -> Response:
    return _form_page(request, registrations, "stand", _language(request))


@router.post("/register/stand")
async def stand_submit(request: Request, registrations: RegistrationsDep) -> Response:
    return await _submit(request, registrations, "stand")


@router.get("/register/student")
async def student_form(request: Request, registrations: RegistrationsDep) -> Response:
    return _form_page(request, registrations, "student", _language(request))


@router.post("/register/student")
async def student_submit(request: Request, registrations: RegistrationsDep) -> Response:
    return await _submit(request, registrations, "student")


@router.get("/register/incubator")
async def incubator_form(request: Request, registrations: RegistrationsDep) -> Response:
    return _form_page(request, registrations, "incubator", _language(request))


@router.post("/register/incubator")
async def incubator_submit(request: Request, registrations: RegistrationsDep) -> Response:
    return await _submit(request, registrations, "incubator")


@router.get("/pools/new")
async def pool_form(request: Request, registrations: RegistrationsDep) -> Response:
    return _form_page(request, registrations, "pool_open", _language(request))


@router.post("/pools/new")
async def pool_submit(request: Request, registrations: RegistrationsDep) -> Response:
    return await _submit(request, registrations, "pool_open")


@router.get("/pools/{pool_id}/join")
async def join_form(
    request: Request, pool_id: str, registrations: RegistrationsDep, k: str = ""
) -> Response:
    language = _language(request)
    pool = await registrations.invited_pool(pool_id, k)
    if pool is None:
        return _message(request, language, "notfound", status_code=404)
    if pool.status not in ("opening", "open"):
        return _message(request, language, "notfound", status_code=409, text="refused.pool_closed")
    return _form_page(
        request, registrations, "pool_join", language, values={"invitation_key": k}, pool=pool
    )


@router.post("/pools/{pool_id}/join")
async def join_submit(request: Request, pool_id: str, registrations: RegistrationsDep) -> Response:
    return await _submit(request, registrations, "pool_join", pool_id)


@router.get("/r/{registration_id}")
async def status_page(
    request: Request,
    registration_id: str,
    registrations: RegistrationsDep,
    t: str = "",
    new: str = "",
    done: str = "",
) -> Response:
    language = _language(request)
    doc = await registrations.for_owner(registration_id, t) if t else None
    if doc is None:
        return _message(request, language, "notfound", status_code=404)
    notice = {"cancelled": "status.cancelled.done", "accepted": "status.accepted.done"}.get(done)
    return await _status(request, registrations, doc, t, language, new=new == "1", notice=notice)


@router.post("/r/{registration_id}/cancel")
async def cancel(
    request: Request, registration_id: str, registrations: RegistrationsDep
) -> Response:
    form, language, refused = await _checked_form(request)
    if refused:
        return refused
    token = form.get("t", "")
    doc = await registrations.for_owner(registration_id, token) if token else None
    if doc is None:
        return _message(request, language, "notfound", status_code=404)
    if form.get("confirm") != "yes":
        return _render(
            request,
            "cancel.html",
            language,
            doc=doc,
            owner_token=token,
            csrf_token=_csrf_token(request),
            switch_url=_status_path(doc, lang=_other(language)),
            status_url=_status_path(doc),
        )
    try:
        await registrations.cancel(doc, by="owner")
    except TransitionRefused as exc:
        return await _status(request, registrations, doc, token, language, refused=exc)
    return RedirectResponse(_status_path(doc, done="cancelled"), status_code=303)


@router.post("/r/{registration_id}/accept")
async def accept(
    request: Request, registration_id: str, registrations: RegistrationsDep
) -> Response:
    form, language, refused = await _checked_form(request)
    if refused:
        return refused
    token = form.get("t", "")
    doc = await registrations.for_owner(registration_id, token) if token else None
    if doc is None:
        return _message(request, language, "notfound", status_code=404)
    try:
        await registrations.accept_offer(doc)
    except TransitionRefused as exc:
        return await _status(request, registrations, doc, token, language, refused=exc)
    return RedirectResponse(_status_path(doc, done="accepted"), status_code=303)


# ---------------------------------------------------------------------- submitting a form


async def _submit(
    request: Request, registrations: Registrations, name: FormName, pool_id: str | None = None
) -> Response:
    form, language, refused = await _checked_form(request)
    if refused:
        return refused
    if form.get(HONEYPOT):  # a bot: look like success, keep nothing
        return _message(request, language, "thanks", reference=new_reference())
    spec = FORMS[name]
    nested = to_nested(spec, form)
    nested.setdefault("contact", {})["language"] = language
    key = _idempotency_key(form.get("idempotency_key"))
    pool = None
    if pool_id is not None:
        pool = await registrations.invited_pool(pool_id, form.get("invitation_key", ""))
        if pool is None:
            return _message(request, language, "notfound", status_code=404)
    try:
        try:
            doc = await _call(registrations, name, nested, key, pool_id)
        except IdempotencyKeyReused:  # sent, then edited after going back: a new request
            key = str(uuid.uuid4())
            doc = await _call(registrations, name, nested, key, pool_id)
    except ValidationError as exc:
        errors = field_errors(spec, exc, language)
        return _form_page(request, registrations, name, language, form, errors, key, pool, 422)
    except RegistrationRefused as exc:
        message = refusal_message(exc.code, language)
        errors = {exc.field: message}
        return _form_page(request, registrations, name, language, form, errors, key, pool, 422)
    except AlreadyRegistered:
        return _message(request, language, "duplicate", status_code=409)
    return RedirectResponse(_status_path(doc, new="1"), status_code=303)


async def _call(
    registrations: Registrations,
    name: FormName,
    nested: dict[str, Any],
    key: str | None,
    pool_id: str | None,
) -> LinkedRegistration:
    if name == "stand":
        return await registrations.submit(StandIn.model_validate({**nested, "offer": "stand"}), key)
    if name == "student":
        request = StudentPassIn.model_validate({**nested, "offer": "student_pass"})
        return await registrations.submit(request, key)
    if name == "incubator":
        application = IncubatorIn.model_validate({**nested, "offer": "incubator_application"})
        return await registrations.submit(application, key)
    if name == "pool_open":
        doc, _, _ = await registrations.open_pool(PoolOpenIn.model_validate(nested), key)
        return doc
    assert pool_id is not None
    return await registrations.join_pool(pool_id, PoolJoinIn.model_validate(nested), key)


def _form_page(
    request: Request,
    registrations: Registrations,
    name: FormName,
    language: Language,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    idempotency_key: str | None = None,
    pool: PoolDoc | None = None,
    status_code: int = 200,
) -> Response:
    spec = FORMS[name]
    catalog = registrations.catalog
    submitted = values is not None and "csrf_token" in values
    shown = dict(values or {})
    if not submitted:
        for known in spec.fields():
            if known.default is not None:
                shown.setdefault(known.name, known.default)
    errors = errors or {}
    visible = {f.name for f in spec.fields()}
    intro_values: dict[str, Any] = {
        "price": format_euros(catalog.offer("stand").unit_price_excl_vat_cents, language),
        "min": catalog.pools.min_members,
        "max": catalog.pools.max_members,
        "call": catalog.incubator_call.title[language],
    }
    if pool is not None:
        intro_values |= {
            "name": pool.name,
            "edition": catalog.edition_label(pool.edition_id, language),
        }
    action = _PATHS.get(name, "/")
    if name == "pool_join" and pool is not None:
        action = f"/pools/{pool.id}/join?{urlencode({'k': shown.get('invitation_key', '')})}"
    return _render(
        request,
        "form.html",
        language,
        status_code=status_code,
        spec=spec,
        form_name=name,
        action=action,
        intro=translate(language, f"form.{name}.intro", **intro_values),
        values=shown,
        errors={f.name: errors[f.name] for f in spec.fields() if f.name in errors},
        general_errors=[v for k, v in errors.items() if k not in visible],
        choices=_choices(registrations, spec, language),
        csrf_token=_csrf_token(request),
        idempotency_key=idempotency_key or str(uuid.uuid4()),
        consent_version=catalog.consent_version,
        switch_url=_switch_url(request, language, keep_query=name == "pool_join"),
    )


def _choices(
    registrations: Registrations, spec: FormSpec, language: Language
) -> dict[str, list[tuple[str, str]]]:
    choices: dict[str, list[tuple[str, str]]] = {}
    for known in spec.fields():
        if known.name == "edition_id":
            editions = sorted(
                registrations.catalog.editions.values(), key=lambda e: (e.date, e.campus)
            )
            choices[known.name] = [
                (e.id, registrations.catalog.edition_label(e.id, language)) for e in editions
            ]
        elif known.options:
            choices[known.name] = [
                (option, translate(language, f"field.{known.name}.{option}"))
                for option in known.options
            ]
    return choices


# ---------------------------------------------------------------------- the owner's page


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
    response = _render(
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
        offered_until=_when(expires, language) if expires else None,
        pool=pool,
        pool_deadline=_when(pool.deadline, language, with_time=False) if pool else None,
        invitation=invitation,
        invoices=invoice_rows(current.invoices, language),
        can_cancel=allows("cancel", current.status),
        csrf_token=_csrf_token(request),
        switch_url=_status_path(current, lang=_other(language)),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _status_path(doc: LinkedRegistration, **extra: str) -> str:
    """The owner's private link as a path on this site, with `extra` query parameters."""
    url = urlsplit(doc.status_url)
    query = f"{url.query}&{urlencode(extra)}" if extra else url.query
    return f"{url.path}?{query}"


# ---------------------------------------------------------------------- plumbing


async def _checked_form(request: Request) -> tuple[dict[str, str], Language, Response | None]:
    """The posted fields, the reader's language, and a 403 page when the CSRF check fails."""
    raw = await request.form()
    form = {key: value for key, value in raw.multi_items() if isinstance(value, str)}
    language = language_of(
        form.get("lang"), request.query_params.get("lang"), _cookie_lang(request)
    )
    ok = csrf.check_token(
        request.app.state.settings.csrf_secret,
        request.cookies.get(csrf.COOKIE),
        form.get(csrf.FIELD),
        time.time(),
    )
    if ok:
        return form, language, None
    reload = request.url.path if request.url.path.startswith(("/register/", "/pools/")) else "/"
    if request.url.query:
        reload = f"{reload}?{request.url.query}"
    return form, language, _message(request, language, "csrf", status_code=403, link=reload)


def _language(request: Request) -> Language:
    return language_of(request.query_params.get("lang"), _cookie_lang(request))


def _cookie_lang(request: Request) -> str | None:
    return request.cookies.get(LANG_COOKIE)


def _other(language: Language) -> Language:
    return "en" if language == "fr" else "fr"


def _switch_url(request: Request, language: Language, keep_query: bool = True) -> str:
    params = dict(request.query_params) if keep_query else {}
    params["lang"] = _other(language)
    return f"{request.url.path}?{urlencode(params)}"


def _nonce(request: Request) -> str:
    """The browser's CSRF nonce, made (and set as a cookie by `_render`) on first sight."""
    nonce: str | None = getattr(request.state, "csrf_nonce", None)
    if nonce is None:
        existing = request.cookies.get(csrf.COOKIE, "")
        nonce = existing if 16 <= len(existing) <= 64 else csrf.new_nonce()
        request.state.csrf_nonce = nonce
        request.state.csrf_new = nonce != existing
    return nonce


def _csrf_token(request: Request) -> str:
    return csrf.make_token(request.app.state.settings.csrf_secret, _nonce(request), time.time())


def _idempotency_key(raw: str | None) -> str | None:
    try:
        return f"web:{uuid.UUID(raw or '')}"
    except ValueError:
        return None


def _when(moment: datetime, language: Language, with_time: bool = True) -> str:
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(PARIS)
    day = format_day(local.date(), language)
    if not with_time:
        return day
    return f"{day}, {local:%H:%M}" if language == "en" else f"{day} à {local:%H h %M}"


def _message(
    request: Request,
    language: Language,
    kind: str,
    status_code: int = 200,
    text: str | None = None,
    link: str | None = None,
    **values: Any,
) -> Response:
    return _render(
        request,
        "message.html",
        language,
        status_code=status_code,
        kind=kind,
        title=translate(language, f"{kind}.title"),
        text=translate(language, text or f"{kind}.text", **values),
        link=link,
    )


def _render(
    request: Request, template: str, language: Language, status_code: int = 200, **context: Any
) -> Response:
    context.setdefault("switch_url", _switch_url(request, language))

    def t(key: str, **values: object) -> str:
        return translate(language, key, **values)

    response = templates.TemplateResponse(
        request,
        template,
        {"lang": language, "other_lang": _other(language), "t": t, **context},
        status_code=status_code,
    )
    secure = request.app.state.settings.public_base_url.startswith("https://")
    response.set_cookie(
        LANG_COOKIE, language, max_age=_ONE_YEAR, samesite="lax", httponly=True, secure=secure
    )
    if getattr(request.state, "csrf_new", False):
        response.set_cookie(
            csrf.COOKIE, request.state.csrf_nonce, samesite="lax", httponly=True, secure=secure
        )
    response.headers.update(_SECURITY_HEADERS)
    return response
