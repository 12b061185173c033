"""What every public page shares: rendering with the reader's language, security headers and
cookies, the CSRF token, dates for people, and the owner's private link."""

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from rencontres_contracts.events.common import Language

from rencontres_registration import csrf
from rencontres_registration.documents import LinkedRegistration
from rencontres_registration.formatting import format_day
from rencontres_registration.forms import field_id
from rencontres_registration.i18n import language_of, translate

templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
templates.env.globals["field_id"] = field_id

LANG_COOKIE = "lang"
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


def status_path(doc: LinkedRegistration, **extra: str) -> str:
    """The owner's private link as a path on this site, with `extra` query parameters."""
    url = urlsplit(doc.status_url)
    query = f"{url.query}&{urlencode(extra)}" if extra else url.query
    return f"{url.path}?{query}"


async def checked_form(request: Request) -> tuple[dict[str, str], Language, Response | None]:
    """The posted fields, the reader's language, and a 403 page when the CSRF check fails."""
    raw = await request.form()
    form = {key: value for key, value in raw.multi_items() if isinstance(value, str)}
    language = language_of(form.get("lang"), request.query_params.get("lang"), cookie_lang(request))
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
    return form, language, message_page(request, language, "csrf", status_code=403, link=reload)


def reader_language(request: Request) -> Language:
    return language_of(request.query_params.get("lang"), cookie_lang(request))


def cookie_lang(request: Request) -> str | None:
    return request.cookies.get(LANG_COOKIE)


def other(language: Language) -> Language:
    return "en" if language == "fr" else "fr"


def switch_url(request: Request, language: Language, keep_query: bool = True) -> str:
    params = dict(request.query_params) if keep_query else {}
    params["lang"] = other(language)
    return f"{request.url.path}?{urlencode(params)}"


def nonce(request: Request) -> str:
    """The browser's CSRF nonce, made (and set as a cookie by `render`) on first sight."""
    nonce: str | None = getattr(request.state, "csrf_nonce", None)
    if nonce is None:
        existing = request.cookies.get(csrf.COOKIE, "")
        nonce = existing if 16 <= len(existing) <= 64 else csrf.new_nonce()
        request.state.csrf_nonce = nonce
        request.state.csrf_new = nonce != existing
    return nonce


def csrf_token(request: Request) -> str:
    return csrf.make_token(request.app.state.settings.csrf_secret, nonce(request), time.time())


def idempotency_key(raw: str | None) -> str | None:
    try:
        return f"web:{uuid.UUID(raw or '')}"
    except ValueError:
        return None


def when(moment: datetime, language: Language, with_time: bool = True) -> str:
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(PARIS)
    day = format_day(local.date(), language)
    if not with_time:
        return day
    return f"{day}, {local:%H:%M}" if language == "en" else f"{day} à {local:%H h %M}"


def message_page(
    request: Request,
    language: Language,
    kind: str,
    status_code: int = 200,
    text: str | None = None,
    link: str | None = None,
    **values: Any,
) -> Response:
    return render(
        request,
        "message.html",
        language,
        status_code=status_code,
        kind=kind,
        title=translate(language, f"{kind}.title"),
        text=translate(language, text or f"{kind}.text", **values),
        link=link,
    )


def render(
    request: Request, template: str, language: Language, status_code: int = 200, **context: Any
) -> Response:
    context.setdefault("switch_url", switch_url(request, language))

    def t(key: str, **values: object) -> str:
        return translate(language, key, **values)

    response = templates.TemplateResponse(
        request,
        template,
        {"lang": language, "other_lang": other(language), "t": t, **context},
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
