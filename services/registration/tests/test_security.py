"""The abuse limits as ASGI middleware, on a tiny app: no database needed."""

import logging
from typing import Any

import httpx
import pytest
from rencontres_kit.limits import BodySizeLimit, NoControlCharacters
from rencontres_registration.security import RateLimit
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"size": len(await request.body())})


def _client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")  # type: ignore[arg-type]


async def test_posts_beyond_the_burst_get_429_with_retry_after() -> None:
    app = RateLimit(
        Starlette(routes=[Route("/", echo, methods=["GET", "POST"])]), rate=0.5, burst=3
    )
    async with _client(app) as client:
        codes = [(await client.post("/", content=b"x")).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        limited = await client.post("/", content=b"x")
        assert limited.headers["retry-after"] == "2"
        assert (await client.get("/")).status_code == 200  # reading is never limited


async def test_bodies_over_the_limit_get_413_declared_or_streamed() -> None:
    app = Starlette(
        routes=[Route("/", echo, methods=["POST"])],
        middleware=[Middleware(BodySizeLimit, max_bytes=100)],  # placed as create_app does
    )
    async with _client(app) as client:
        assert (await client.post("/", content=b"x" * 100)).json() == {"size": 100}
        assert (await client.post("/", content=b"x" * 101)).status_code == 413

        async def chunks():  # type: ignore[no-untyped-def]
            for _ in range(5):
                yield b"x" * 50

        assert (await client.post("/", content=chunks())).status_code == 413


async def test_control_characters_in_the_address_get_422_naming_the_parameter() -> None:
    app = NoControlCharacters(Starlette(routes=[Route("/{name}", echo, methods=["GET"])]))
    async with _client(app) as client:
        assert (await client.get("/x", params={"edition_id": "ales-2027"})).status_code == 200
        refused = await client.get("/x", params={"edition_id": "ales\x002027"})
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["query", "edition_id"]
        assert (await client.get("/x%00y")).json()["detail"][0]["loc"] == ["path"]


async def _post(app: Any, peer: str, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://registration") as client:
        response = await client.post("/api/registrations", json={}, headers=headers)
    return response.status_code


def _limited_app(trusted: str) -> Any:
    from rencontres_registration.app import create_app
    from rencontres_registration.settings import Settings

    settings = Settings(rate_limit_per_second=0.001, rate_limit_burst=1, trusted_proxies=trusted)
    return create_app(settings)


async def test_behind_a_trusted_proxy_each_client_has_its_own_bucket() -> None:
    app = _limited_app("10.0.0.1, 10.1.0.0/16")
    assert await _post(app, "10.0.0.1", "203.0.113.7") == 422  # reached validation
    assert await _post(app, "10.0.0.1", "203.0.113.8") == 422  # another client, its own bucket
    assert await _post(app, "10.1.2.3", "203.0.113.7") == 429  # the first again, any proxy
    assert await _post(app, "10.1.2.3", "198.51.100.1, 203.0.113.9") == 422  # rightmost


async def test_forwarded_headers_from_anyone_else_are_ignored() -> None:
    app = _limited_app("10.0.0.1")
    assert await _post(app, "192.0.2.50", "203.0.113.7") == 422
    assert await _post(app, "192.0.2.50", "203.0.113.8") == 429  # a spoofed header: same peer


def test_private_link_tokens_never_reach_the_access_log(caplog: pytest.LogCaptureFixture) -> None:
    from rencontres_registration.app import _redact_access_log

    _redact_access_log()
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):  # uvicorn's own format
        access.info(
            '%s - "%s %s HTTP/%s" %d', "203.0.113.7:1", "GET", "/r/abc?t=s3cr3t", "1.1", 200
        )
        access.info(
            '%s - "%s %s HTTP/%s" %d', "203.0.113.7:1", "GET", "/pools/p/join?k=K3y", "1.1", 200
        )
    assert "s3cr3t" not in caplog.text and "K3y" not in caplog.text
    assert "/r/abc?t=redacted" in caplog.text
