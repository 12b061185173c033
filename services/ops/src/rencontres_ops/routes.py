"""HTTP: the login, the dashboard page and its fragment, the dead-letter browser, and JSON.

Each route reads the collector's snapshot or makes one call to the dead-letter desk.
"""

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field, model_validator

from rencontres_ops import view
from rencontres_ops.auth import COOKIE, ApiStaff, PageStaff, Sessions
from rencontres_ops.collector import Collector
from rencontres_ops.deadletters import DeadLetterDesk
from rencontres_ops.domain import audited_ref, masked_payload

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["euros"] = view.euros
templates.env.filters["payload"] = masked_payload
templates.env.filters["utc"] = view.utc

router = APIRouter()


def _collector(request: Request) -> Collector:
    collector: Collector = request.app.state.collector
    return collector


def _desk(request: Request) -> DeadLetterDesk:
    desk: DeadLetterDesk = request.app.state.desk
    return desk


def _sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


# ------------------------------------------------------------------ sessions


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    return templates.TemplateResponse(request, "login.html", {"error": None})


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request, name: Annotated[str, Form()], password: Annotated[str, Form()]
) -> Response:
    sessions = _sessions(request)
    if not sessions.check_password(name, password):
        context = {"error": "Unknown name or wrong password."}
        return templates.TemplateResponse(request, "login.html", context, status_code=401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE, sessions.issue(name), max_age=sessions.max_age, httponly=True,
        samesite="strict", secure=sessions.secure,
    )  # fmt: skip
    return response


@router.post("/logout")
async def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


# ------------------------------------------------------------------ the dashboard


def _overview_context(request: Request, staff: str) -> dict[str, Any]:
    snap = _collector(request).snapshot
    data = view.overview(snap)
    return {"staff": staff, "o": data, "charts": view.charts_for(snap, data)}


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request, staff: PageStaff) -> Response:
    return templates.TemplateResponse(request, "dashboard.html", _overview_context(request, staff))


@router.get("/partials/overview", response_class=HTMLResponse)
async def overview_fragment(request: Request, staff: ApiStaff) -> Response:
    return templates.TemplateResponse(request, "_overview.html", _overview_context(request, staff))


@router.get("/api/overview")
async def overview_json(request: Request, staff: ApiStaff) -> dict[str, Any]:
    return view.overview(_collector(request).snapshot)


# ------------------------------------------------------------------ dead letters


class ReplayRequest(BaseModel):
    refs: list[Annotated[str, Field(pattern=r"^[\w.-]+/\d+/\d+$")]] | None = Field(
        default=None, max_length=1000, description="dead letters as topic/partition/offset"
    )
    all: bool = False

    @model_validator(mode="after")
    def _one_choice(self) -> "ReplayRequest":
        if (self.refs is None) == (not self.all):
            raise ValueError("give either refs or all=true")
        return self


@router.get("/dead-letters", response_class=HTMLResponse)
async def dead_letters_page(request: Request, staff: PageStaff) -> Response:
    desk = _desk(request)
    letters, audit = await desk.letters(), await desk.audit()
    context = {
        "staff": staff,
        "letters": letters,
        "replayed": {audited_ref(e.data) for e in audit},
        "audit": [e.data for e in reversed(audit[-20:])],
        "done": request.query_params,
    }
    return templates.TemplateResponse(request, "dead_letters.html", context)


@router.get("/dead-letters/{topic}/{partition}/{offset}", response_class=HTMLResponse)
async def dead_letter_page(
    request: Request, staff: PageStaff, topic: str, partition: int, offset: int
) -> Response:
    desk = _desk(request)
    ref = f"{topic}/{partition}/{offset}"
    letter = next((d for d in await desk.letters() if d.ref == ref), None)
    context = {"staff": staff, "letter": letter, "ref": ref, "replayed": await desk.replayed()}
    return templates.TemplateResponse(
        request, "dead_letter.html", context, status_code=200 if letter else 404
    )


@router.post("/dead-letters/replay")
async def replay_form(request: Request, staff: PageStaff) -> Response:
    form = await request.form()
    refs = None if form.get("all") else [str(r) for r in form.getlist("ref")]
    done, skipped = await _desk(request).replay(refs, staff)
    return RedirectResponse(
        f"/dead-letters?replayed={len(done)}&skipped={len(skipped)}", status_code=303
    )


@router.get("/api/dead-letters")
async def dead_letters_json(request: Request, staff: ApiStaff) -> list[dict[str, Any]]:
    desk = _desk(request)
    replayed = await desk.replayed()
    return [
        {
            "ref": d.ref, "topic": d.topic, "original_topic": d.original_topic,
            "timestamp_ms": d.timestamp_ms, "reason": d.reason, "headers": d.masked_headers(),
            "payload": masked_payload(d.value), "replayed": d.ref in replayed,
        }
        for d in await desk.letters()
    ]  # fmt: skip


@router.post("/api/dead-letters/replay")
async def replay_json(request: Request, staff: ApiStaff, body: ReplayRequest) -> dict[str, Any]:
    done, skipped = await _desk(request).replay(None if body.all else body.refs, staff)
    return {
        "replayed": [r.model_dump(mode="json") for r in done],
        "skipped": [{"ref": ref, "code": code} for ref, code in skipped],
    }


@router.get("/api/audit")
async def audit_json(request: Request, staff: ApiStaff) -> list[dict[str, Any]]:
    return [e.data.model_dump(mode="json") for e in await _desk(request).audit()]
