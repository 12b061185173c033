"""The abuse limits as ASGI middleware, on a tiny app: no database needed."""

import httpx
from rencontres_registration.security import BodySizeLimit, NoControlCharacters, RateLimit
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
