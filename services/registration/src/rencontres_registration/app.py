"""Composition root: settings in, a FastAPI app with its database, broker and relay out."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from rencontres_kit.health import health_router
from rencontres_kit.kafka import make_broker, publisher
from rencontres_kit.mongo import connect, ping
from rencontres_kit.outbox import OutboxRelay

from rencontres_registration import routes
from rencontres_registration.catalog import load_catalog
from rencontres_registration.domain import RegistrationRefused
from rencontres_registration.service import Registrations
from rencontres_registration.settings import Settings
from rencontres_registration.store import AlreadyRegistered, RegistrationStore


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    catalog = load_catalog(settings.catalog_path)
    client = connect(settings.mongodb_uri, "registration")
    db = client[settings.database]
    store = RegistrationStore(db)
    broker = make_broker(settings.kafka_bootstrap_servers, "registration")
    relay = OutboxRelay(
        [store.registrations], publisher(broker), poll_interval=settings.outbox_poll_seconds
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await store.create_indexes()
        await broker.start()
        relay.start()
        yield
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
    app.state.registrations = Registrations(catalog, store, settings.public_base_url, relay.wake)
    app.include_router(routes.router)
    app.include_router(
        health_router({"mongodb": lambda: ping(db), "kafka": lambda: broker.ping(timeout=2)})
    )
    _map_errors(app)
    return app


def _map_errors(app: FastAPI) -> None:
    @app.exception_handler(RegistrationRefused)
    async def refused(_: Request, exc: RegistrationRefused) -> JSONResponse:
        detail = [{"loc": ["body", *exc.field.split(".")], "msg": exc.message, "type": "refused"}]
        return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

    @app.exception_handler(AlreadyRegistered)
    async def duplicate(_: Request, exc: AlreadyRegistered) -> JSONResponse:
        existing = exc.existing
        return JSONResponse(
            {
                "detail": "this email is already registered for this offer and edition",
                "existing_reference": existing["reference"],
                "hint": "the private link to that registration was sent to this email address",
            },
            status_code=status.HTTP_409_CONFLICT,
        )
