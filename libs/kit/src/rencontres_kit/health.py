"""`/healthz`, `/readyz` and `/metrics`, the same on every service.

`/healthz` says the process answers; `/readyz` says it can do its job, so an orchestrator
routes traffic only to ready replicas. Only the `checks` a service cannot work without decide
readiness; the `reported` ones (the broker, for a service whose outbox accepts writes while
Kafka is away) are shown with their state but never make a replica unready.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

Check = Callable[[], Awaitable[object]]


def health_router(
    checks: Mapping[str, Check], timeout: float = 2.0, reported: Mapping[str, Check] | None = None
) -> APIRouter:
    reported = reported or {}
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        every = {**checks, **reported}
        results = await asyncio.gather(*(_run(check, timeout) for check in every.values()))
        report = dict(zip(every, results, strict=True))
        ready = all(report[name] == "ok" for name in checks)
        body = {"ready": ready, "checks": report, "not_required": sorted(reported)}
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get(
        "/metrics",
        response_class=Response,
        responses={
            200: {
                "description": "Prometheus text exposition format",
                "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
            }
        },
    )
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def _run(check: Check, timeout: float) -> str:
    try:
        async with asyncio.timeout(timeout):
            result = await check()
    except Exception as exc:
        return f"failing: {type(exc).__name__}: {exc}"[:300]
    return "ok" if result is not False else "failing"
