"""A local SMTP catcher and SMS sink that tests and people can read.

One process: an SMTP server (aiosmtpd) that writes every message into a Maildir, and an HTTP
server with two SMS provider APIs: the sink's own `POST /sms/send` (JSON) and Twilio's shape
(`POST /2010-04-01/Accounts/{sid}/Messages.json`, basic auth, form body, 201 with a `sid`,
error 21211 for an invalid number), both calling the sender's status callback back with
`delivered`; a JSON API (`/api/messages`, `/api/sms`) and a page at `/` listing both. Nothing
is ever sent further.

    python -m rencontres_infra.sinks --smtp-port 1025 --http-port 1080 --dir DIR
"""

import argparse
import asyncio
import base64
import email
import email.policy
import hashlib
import hmac
import json
import mailbox
import re
import secrets
import uuid
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Annotated, Any

import httpx
import uvicorn
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_basic = HTTPBasic(auto_error=False)


class MaildirHandler:
    """aiosmtpd handler: each accepted message becomes one Maildir file."""

    def __init__(self, maildir: mailbox.Maildir) -> None:
        self._maildir = maildir

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode()
        message = mailbox.MaildirMessage(data)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self._maildir.add(message)
        return "250 Message accepted for delivery"


def _summary(key: str, raw: bytes) -> dict[str, Any]:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    text = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    return {
        "id": key,
        "from": str(parsed["From"]),
        "to": str(parsed["To"]),
        "envelope_to": str(parsed["X-Envelope-To"] or ""),
        "subject": str(parsed["Subject"]),
        "message_id": str(parsed["Message-ID"] or ""),
        "date": str(parsed["Date"] or ""),
        "headers": {k: str(v) for k, v in parsed.items()},
        "text": text.get_content() if text is not None else "",
        "html": html.get_content() if html is not None else "",
    }


PAGE_SIZE = 200
SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe",
                 "X-Rencontres-Delivery")  # fmt: skip


def _mail_html(m: dict[str, Any]) -> str:
    headers = "".join(
        f"<tr><th>{escape(h)}</th><td>{escape(m['headers'][h])}</td></tr>"
        for h in SHOWN_HEADERS
        if h in m["headers"]
    )
    html = (
        f"<iframe sandbox srcdoc='{escape(m['html'], quote=True)}' title='HTML part'></iframe>"
        if m["html"]
        else ""
    )
    return (
        f"<details><summary><span>{escape(m['date'])}</span><span>{escape(m['envelope_to'])}"
        f"</span><strong>{escape(m['subject'])}</strong></summary><table>{headers}</table>"
        f"{html}<pre>{escape(m['text'])}</pre></details>"
    )


def _sms_row(s: dict[str, Any]) -> str:
    text = str(s.get("text", ""))
    who = f"{s.get('provider', 'sink')}, {s.get('reference') or s.get('id', '')}"
    return (
        f"<tr><td>{escape(str(s.get('received_at', '')))}</td><td>{escape(str(s['to']))}</td>"
        f"<td>{escape(text)}</td><td>{len(text)} characters</td><td>{escape(who)}</td></tr>"
    )


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


def create_app(directory: Path) -> tuple[FastAPI, mailbox.Maildir]:
    maildir = mailbox.Maildir(directory / "mail", create=True)
    sms_log = directory / "sms.jsonl"
    app = FastAPI(title="Rencontres local mail and SMS sink")

    parsed: dict[str, dict[str, Any]] = {}  # a Maildir message never changes: parse it once

    def messages(to: str | None = None) -> list[dict[str, Any]]:
        """Every message (or those whose raw bytes mention `to`), oldest first; a message is
        parsed once, and only when asked for: parsing all of them makes a poll slow."""
        keys = sorted(maildir.keys())  # Maildir keys start with the delivery time
        needle = to.lower().encode() if to else None
        found = []
        for key in keys:
            if key not in parsed:
                with maildir.get_file(key) as fh:
                    raw = fh.read()
                if needle is not None and needle not in raw.lower():
                    continue
                parsed[key] = _summary(key, raw)
            found.append(parsed[key])
        return found

    def sms() -> list[dict[str, Any]]:
        if not sms_log.exists():
            return []
        return [json.loads(line) for line in sms_log.read_text().splitlines() if line]

    @app.get("/api/messages")
    async def list_messages(to: str | None = None) -> list[dict[str, Any]]:
        found = messages(to)
        return [m for m in found if to is None or to.lower() in m["envelope_to"].lower()]

    @app.delete("/api/messages", status_code=204)
    async def clear_messages() -> None:
        maildir.clear()
        parsed.clear()

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

    @app.get("/", response_class=HTMLResponse)
    async def page() -> str:
        """Each email as it will arrive (its HTML part rendered, sandboxed, next to its text
        and headers), newest first; each SMS with its length in characters and segments."""
        mails = "".join(_mail_html(m) for m in list(reversed(messages()))[:PAGE_SIZE])
        texts = "".join(_sms_row(s) for s in list(reversed(sms()))[:PAGE_SIZE])
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<title>Local mail and SMS</title><style>"
            "body{font-family:sans-serif;margin:1.5rem;max-width:70rem}"
            "details{border:1px solid #ccc;border-radius:6px;margin:.4rem 0;padding:.4rem .8rem}"
            "summary{cursor:pointer}summary span{color:#555;margin-right:1rem}"
            "iframe{width:100%;height:24rem;border:1px solid #ddd;background:#fff}"
            "pre{white-space:pre-wrap;background:#f6f6f6;padding:.6rem}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem;"
            "text-align:left;vertical-align:top}</style></head><body>"
            f"<h1>Emails ({len(maildir)})</h1>{mails}"
            f"<h1>SMS</h1><table><tr><th>Received</th><th>To</th><th>Text</th>"
            f"<th>Length</th><th>Provider, reference</th></tr>{texts}</table></body></html>"
        )

    return app, maildir


async def serve(directory: Path, smtp_port: int, http_port: int, host: str = "127.0.0.1") -> None:
    app, maildir = create_app(directory)
    loop = asyncio.get_running_loop()
    handler = MaildirHandler(maildir)
    smtp_server = await loop.create_server(
        lambda: SMTP(handler, hostname="rencontres-sink", data_size_limit=10 * 1024 * 1024),
        host=host,
        port=smtp_port,
    )
    config = uvicorn.Config(app, host=host, port=http_port, log_level="warning")
    try:
        await uvicorn.Server(config).serve()
    finally:
        smtp_server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=1080)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(serve(args.dir, args.smtp_port, args.http_port))


if __name__ == "__main__":
    main()
