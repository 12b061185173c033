"""The public forms: server-rendered, working without JavaScript.

Each POST checks the CSRF token and the honeypot, turns the form into the API's input model,
makes one call to the service, and either redirects to the owner's page (POST-redirect-GET)
or shows the form again with a message next to each field.
"""

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from rencontres_contracts.events.common import Language

from rencontres_registration.deps import RegistrationsDep
from rencontres_registration.documents import LinkedRegistration, PoolDoc
from rencontres_registration.domain import IdempotencyKeyReused, RegistrationRefused, new_reference
from rencontres_registration.forms import (
    FORMS,
    FormName,
    FormSpec,
    field_errors,
    refusal_message,
    to_nested,
)
from rencontres_registration.i18n import format_euros, translate
from rencontres_registration.schemas import (
    IncubatorIn,
    PoolJoinIn,
    PoolOpenIn,
    StandIn,
    StudentPassIn,
)
from rencontres_registration.service import Registrations
from rencontres_registration.store import AlreadyRegistered
from rencontres_registration.web.pages import (
    checked_form,
    csrf_token,
    idempotency_key,
    message_page,
    reader_language,
    render,
    status_path,
    switch_url,
    when,
)

router = APIRouter(include_in_schema=False)
HONEYPOT = "website_url"
_PATHS: dict[FormName, str] = {
    "stand": "/register/stand",
    "pool_open": "/pools/new",
    "student": "/register/student",
    "incubator": "/register/incubator",
}


@router.get("/")
async def landing(request: Request, registrations: RegistrationsDep) -> Response:
    language = reader_language(request)
    catalog = registrations.catalog
    call = catalog.incubator_call
    return render(
        request,
        "landing.html",
        language,
        price=format_euros(catalog.offer("stand").unit_price_excl_vat_cents, language),
        pools=catalog.pools,
        call_title=call.title[language],
        call_closes=when(call.closes, language, with_time=False),
    )


def _form_routes(name: FormName, path: str) -> None:
    """The page (GET) and the submission (POST) of one of the forms without a pool to join."""

    async def show(request: Request, registrations: RegistrationsDep) -> Response:
        return _form_page(request, registrations, name, reader_language(request))

    async def submit(request: Request, registrations: RegistrationsDep) -> Response:
        return await _submit(request, registrations, name)

    router.add_api_route(path, show, methods=["GET"], name=f"{name}_form")
    router.add_api_route(path, submit, methods=["POST"], name=f"{name}_submit")


for _name, _path in _PATHS.items():
    _form_routes(_name, _path)


@router.get("/pools/{pool_id}/join")
async def join_form(
    request: Request, pool_id: str, registrations: RegistrationsDep, k: str = ""
) -> Response:
    language = reader_language(request)
    pool = await registrations.invited_pool(pool_id, k)
    if pool is None:
        return message_page(request, language, "notfound", status_code=404)
    if pool.status not in ("opening", "open"):
        return message_page(
            request, language, "notfound", status_code=409, text="refused.pool_closed"
        )
    return _form_page(
        request, registrations, "pool_join", language, values={"invitation_key": k}, pool=pool
    )


@router.post("/pools/{pool_id}/join")
async def join_submit(request: Request, pool_id: str, registrations: RegistrationsDep) -> Response:
    return await _submit(request, registrations, "pool_join", pool_id)


async def _submit(
    request: Request, registrations: Registrations, name: FormName, pool_id: str | None = None
) -> Response:
    form, language, refused = await checked_form(request)
    if refused:
        return refused
    if form.get(HONEYPOT):  # a bot: look like success, keep nothing
        return message_page(request, language, "thanks", reference=new_reference())
    spec = FORMS[name]
    nested = to_nested(spec, form)
    nested.setdefault("contact", {})["language"] = language
    key = idempotency_key(form.get("idempotency_key"))
    pool = None
    if pool_id is not None:
        pool = await registrations.invited_pool(pool_id, form.get("invitation_key", ""))
        if pool is None:
            return message_page(request, language, "notfound", status_code=404)
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
        return message_page(request, language, "duplicate", status_code=409)
    return RedirectResponse(status_path(doc, new="1"), status_code=303)


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
    return render(
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
        csrf_token=csrf_token(request),
        idempotency_key=idempotency_key or str(uuid.uuid4()),
        consent_version=catalog.consent_version,
        switch_url=switch_url(request, language, keep_query=name == "pool_join"),
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
