"""What every service refuses before routing: a body larger than it will ever need, before
reading it all (a webhook or a form is a few kilobytes; a stranger's 20 MB stays out of
memory), and a control character in the address (a NUL would reach the database and answer
500)."""

import json
import re
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class TooLarge(Exception):
    pass


class BodySizeLimit:
    """413 for a body larger than `max_bytes`, whether or not Content-Length is declared."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await refuse(send, 413, b'{"detail":"request body too large"}')
            return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, tracking_send)
        except TooLarge:
            if not started:
                await refuse(send, 413, b'{"detail":"request body too large"}')


async def refuse(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": body})


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class NoControlCharacters:
    """422 for a path or a query parameter holding a control character (a NUL would reach
    the database, which refuses it, and answer 500), naming the parameter to fix."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (where := _control_character_in(scope)):
            message = "control characters are not allowed"
            detail = [{"loc": where, "msg": message, "type": "value_error"}]
            await refuse(send, 422, json.dumps({"detail": detail}).encode())
            return
        await self.app(scope, receive, send)


def _control_character_in(scope: Scope) -> list[str] | None:
    if _CONTROL.search(scope["path"]):
        return ["path"]
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if _CONTROL.search(name) or _CONTROL.search(value):
            return ["query", name]
    return None
