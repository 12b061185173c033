"""The local SMS sink that tests and people can read (emails go to Mailpit: mailpit.py).

An HTTP server with two SMS provider APIs: the sink's own `POST /sms/send` (JSON) and Twilio's
shape (`POST /2010-04-01/Accounts/{sid}/Messages.json`, basic auth, form body, 201 with a
`sid`, error 21211 for an invalid number), both calling the sender's status callback back with
`delivered`; a JSON API (`/api/sms`) and a page at `/` listing every SMS newest first, as
Mailpit lists emails. Nothing is ever sent further.

    python -m rencontres_infra.sinks --http-port 1080 --dir DIR
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import re
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import uvicorn
from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from rencontres_infra.sms_page import render_page

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_basic = HTTPBasic(auto_error=False)


async def _status_callback(url: str, sid: str, token: str | None = None) -> None:
    """POST the status as the provider does; signed like Twilio when we know its auth token."""
    await asyncio.sleep(0.2)
    params = {"MessageSid": sid, "MessageStatus": "delivered"}
    headers = {}
    if token:
        payload = url + "".join(k + params[k] for k in sorted(params))
        digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
        headers["X-Twilio-Signature"] = base64.b64encode(digest).decode()
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            await client.post(url, data=params, headers=headers)
    except httpx.HTTPError:
        pass  # a provider retries or gives up; the sink gives up


def create_app(directory: Path) -> FastAPI:
    sms_log = directory / "sms.jsonl"
    app = FastAPI(title="Rencontres local SMS sink")

    def sms() -> list[dict[str, Any]]:
        if not sms_log.exists():
            return []
        return [json.loads(line) for line in sms_log.read_text().splitlines() if line]

    callbacks: set[asyncio.Task[None]] = set()

    def record_sms(entry: dict[str, Any], callback: str | None, token: str | None = None) -> str:
        sid = "SM" + uuid.uuid4().hex
        entry = {**entry, "id": sid, "received_at": datetime.now(UTC).isoformat()}
        with sms_log.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        if callback:  # as a provider does, a moment later and out of band
            task = asyncio.create_task(_status_callback(callback, sid, token))
            callbacks.add(task)
            task.add_done_callback(callbacks.discard)
        return sid

    @app.post("/sms/send", status_code=202)
    async def send_sms(request: Request) -> dict[str, str]:
        body = await request.json()
        if not isinstance(body, dict) or not body.get("to") or not body.get("text"):
            raise HTTPException(422, "expected JSON with 'to' and 'text'")
        sid = record_sms({**body, "provider": "sink"}, body.get("status_callback"))
        return {"status": "accepted", "id": sid}

    @app.post("/2010-04-01/Accounts/{account_sid}/Messages.json", status_code=201)
    async def twilio_send(
        account_sid: str,
        credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
        To: Annotated[str, Form()],
        From: Annotated[str, Form()],
        Body: Annotated[str, Form()],
        StatusCallback: Annotated[str | None, Form()] = None,
    ) -> Any:
        if (
            credentials is None
            or not credentials.password
            or not secrets.compare_digest(credentials.username, account_sid)
        ):
            return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, 401)
        if not E164.match(To):
            message = f"The 'To' number {To} is not a valid phone number."
            return JSONResponse({"code": 21211, "message": message, "status": 400}, 400)
        entry = {"to": To, "from": From, "text": Body, "provider": "twilio"}
        sid = record_sms(entry, StatusCallback, credentials.password)
        return {"sid": sid, "status": "queued", "to": To, "from": From, "body": Body}

    @app.get("/api/sms")
    async def list_sms(to: str | None = None) -> list[dict[str, Any]]:
        return [s for s in sms() if to is None or s.get("to") == to]

    @app.delete("/api/sms", status_code=204)
    async def clear_sms() -> None:
        sms_log.unlink(missing_ok=True)

    @app.get("/", response_class=HTMLResponse)
    async def page(to: str | None = None) -> str:
        """Every SMS newest first: number, time, text, encoding and segments."""
        return render_page([s for s in sms() if not to or s.get("to") == to], to)

    return app


async def serve(directory: Path, http_port: int, host: str = "127.0.0.1") -> None:
    config = uvicorn.Config(create_app(directory), host=host, port=http_port, log_level="warning")
    await uvicorn.Server(config).serve()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--http-port", type=int, default=1080)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.dir, args.http_port))


if __name__ == "__main__":
    main()
