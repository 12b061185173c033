"""Composition root: settings in, a FastAPI app with its database, broker, relay and jobs out."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from rencontres_contracts.topics import subscriptions
from rencontres_kit.business import Sampler
from rencontres_kit.consumer import EventConsumer
from rencontres_kit.health import health_router
from rencontres_kit.kafka import make_broker, publisher, subscribe
from rencontres_kit.limits import BodySizeLimit, NoControlCharacters
from rencontres_kit.mongo import connect, ping
from rencontres_kit.outbox import OutboxRelay
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from rencontres_registration import figures, routes, staff, web
from rencontres_registration.catalog import load_catalog
from rencontres_registration.domain import (
    IdempotencyKeyReused,
    RefusalCode,
    RegistrationRefused,
    TransitionRefused,
)
from rencontres_registration.handlers import router
from rencontres_registration.invoices import Invoices
from rencontres_registration.links import Links
from rencontres_registration.security import (
    RateLimit,
    RedactSecrets,
)
from rencontres_registration.service import Registrations
from rencontres_registration.settings import Settings
from rencontres_registration.store import AlreadyRegistered, RegistrationStore

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    catalog = load_catalog(settings.catalog_path)
    client = connect(settings.mongodb_uri, "registration")
    db = client[settings.database]
    broker = make_broker(settings.kafka_bootstrap_servers, "registration")
    relay = OutboxRelay(
        [db["registrations"], db["pools"]],
        publisher(broker),
        poll_interval=settings.outbox_poll_seconds,
    )
    store = RegistrationStore(db, relay.wake)
    links = Links(settings.public_base_url, settings.link_secret)
    registrations = Registrations(catalog, store, links)
    consumer = EventConsumer(
        settings.consumer_group,
        db["processed_events"],
        publisher(broker),
        router.bind(Invoices(registrations, store)),
    )
    subscribe(broker, consumer, subscriptions("registration"), settings.consumer_group)
    sampler = Sampler(lambda: figures.sample(store, catalog), settings.metrics_interval_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await store.create_indexes()
        await registrations.ensure_capacity()
        connecting = asyncio.create_task(_start_broker(broker))
        relay.start()  # publishing fails, and is retried, until the broker is up
        sampler.start()
        jobs = asyncio.create_task(_jobs(registrations, settings.jobs_interval_seconds))
        forget = asyncio.create_task(_forget_recorded(store, settings.pending_flush_seconds))
        yield
        for task in (connecting, jobs, forget):
            task.cancel()
        await asyncio.gather(connecting, jobs, forget, return_exceptions=True)
        await store.places.forget_recorded()
        await sampler.stop()
        await relay.stop()
        await broker.stop()
        await client.close()

    app = FastAPI(
        title="Rencontres — registration",
        version="0.1.0",
        description="Registrations for the company forum and the joint incubator.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.registrations = registrations
    app.include_router(routes.router)
    app.include_router(staff.router)
    app.include_router(web.router)
    app.include_router(
        health_router(  # the outbox accepts registrations while Kafka is away
            {"mongodb": lambda: ping(db)}, reported={"kafka": lambda: broker.ping(timeout=2)}
        )
    )
    _map_errors(app)
    _document_editions(app, sorted(catalog.editions))
    app.add_middleware(
        RateLimit, rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(NoControlCharacters)
    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)  # outermost: runs first
    _redact_access_log()
    return app


def _document_editions(app: FastAPI, editions: list[str]) -> None:
    """The OpenAPI document names the editions the catalog offers: a client generated from
    it sends an edition the service accepts."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for model in schema.get("components", {}).get("schemas", {}).values():
                prop = model.get("properties", {}).get("edition_id")
                if prop is not None and prop.get("type") == "string":
                    prop["enum"] = editions
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in access.filters):
        access.addFilter(RedactSecrets())


async def _start_broker(broker: KafkaBroker, retry_seconds: float = 5.0) -> None:
    """Connect to Kafka, retrying while it is away: registrations are accepted meanwhile
    (their events wait in the outbox), and `/readyz` reports the broker as not required."""
    while True:
        try:
            await broker.start()
            return
        except Exception as exc:
            log.warning("Kafka unreachable (%s); retrying in %.0f s", exc, retry_seconds)
            await asyncio.sleep(retry_seconds)


async def _jobs(registrations: Registrations, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            report = await registrations.run_jobs()
        except Exception:
            log.exception("periodic jobs failed; next run in %.0f s", interval)
            continue
        if any(report.values()):
            log.info("jobs: %s", report)


async def _forget_recorded(store: RegistrationStore, interval: float) -> None:
    """One write per capacity every `interval` instead of one per registration."""
    while True:
        await asyncio.sleep(interval)
        try:
            await store.places.forget_recorded()
        except Exception:
            log.exception("forgetting recorded places failed; the jobs will")


REFUSAL_STATUS: dict[RefusalCode, int] = {
    "edition_full": 409,
    "no_stand_to_share": 409,
    "pool_closed": 409,
    "pool_full": 409,
    "invitation_unknown": 404,
    "try_again": 503,
    "not_reviewable": 409,
}
"""The HTTP status of each refusal code; any other is 422."""


def _map_errors(app: FastAPI) -> None:
    @app.exception_handler(RegistrationRefused)
    async def refused(_: Request, exc: RegistrationRefused) -> JSONResponse:
        loc = ["body", *exc.field.split(".")]
        detail = [{"loc": loc, "msg": exc.message, "type": "refused", "code": exc.code}]
        return JSONResponse({"detail": detail}, status_code=REFUSAL_STATUS.get(exc.code, 422))

    @app.exception_handler(IdempotencyKeyReused)
    async def key_reused(_: Request, exc: IdempotencyKeyReused) -> JSONResponse:
        message = "this Idempotency-Key was already used for a different request; use a new key"
        detail = [
            {"loc": ["header", "Idempotency-Key"], "msg": message, "type": "idempotency_key_reused"}
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(TransitionRefused)
    async def transition(_: Request, exc: TransitionRefused) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "status": exc.status}, status_code=409)

    @app.exception_handler(AlreadyRegistered)
    async def duplicate(_: Request, exc: AlreadyRegistered) -> JSONResponse:
        return JSONResponse(
            {
                "detail": "this email is already registered for this offer and edition",
                "hint": "its private link was sent to that email address",
            },
            status_code=409,
        )
