"""Composition root: settings in, the dashboard with its collector and dead-letter desk out."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import REGISTRY
from rencontres_kit.health import health_router
from rencontres_kit.limits import BodySizeLimit, NoControlCharacters

from rencontres_ops import routes
from rencontres_ops.auth import LoginRequired, Sessions
from rencontres_ops.collector import Collector, SnapshotMetrics
from rencontres_ops.deadletters import DeadLetterDesk
from rencontres_ops.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    collector = Collector(
        settings.services,
        settings.kafka_bootstrap_servers,
        interval=settings.poll_seconds,
        probe_timeout=settings.probe_timeout_seconds,
    )
    desk = DeadLetterDesk(settings.kafka_bootstrap_servers, settings.dead_letters_shown)
    metrics = SnapshotMetrics(collector)
    REGISTRY.register(metrics)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await desk.start()
        await collector.start()
        yield
        await collector.stop()
        await desk.stop()
        REGISTRY.unregister(metrics)

    app = FastAPI(title="Rencontres — ops dashboard", version="0.1.0", lifespan=lifespan)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(NoControlCharacters)
    app.state.settings = settings
    app.state.collector = collector
    app.state.desk = desk
    app.state.sessions = Sessions(settings)
    app.include_router(routes.router)
    app.include_router(health_router({"kafka": lambda: _kafka_read(collector)}))
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def to_login(_: Request, __: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    return app


async def _kafka_read(collector: Collector) -> bool:
    """Ready once a poll has read Kafka's offsets (the services may be down: that is news)."""
    return collector.polled.is_set() and collector.snapshot.kafka.error is None
