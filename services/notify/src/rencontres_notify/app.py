"""Composition root: settings in, a FastAPI app that consumes events and sends messages out."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from rencontres_contracts.topics import subscriptions
from rencontres_kit.consumer import EventConsumer
from rencontres_kit.health import health_router
from rencontres_kit.kafka import make_broker, publisher, subscribe
from rencontres_kit.mongo import connect, ping

from rencontres_notify.handlers import Notifier, router
from rencontres_notify.senders import EmailSender, SmsSender
from rencontres_notify.settings import Settings
from rencontres_notify.store import DeliveryLog


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    client = connect(settings.mongodb_uri, "notify")
    db = client[settings.database]
    log = DeliveryLog(db)
    http = httpx.AsyncClient()
    notifier = Notifier(
        log,
        EmailSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.mail_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        ),
        SmsSender(settings.sms_provider_url, settings.sms_sender, http),
    )
    broker = make_broker(settings.kafka_bootstrap_servers, "notify")
    consumer = EventConsumer(
        settings.consumer_group, log.processed, publisher(broker), router.bind(notifier)
    )
    subscribe(broker, consumer, subscriptions("notify"), settings.consumer_group)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await log.create_indexes()
        await broker.start()
        yield
        await broker.stop()
        await http.aclose()
        await client.close()

    app = FastAPI(title="Rencontres — notify", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.deliveries = log
    app.include_router(
        health_router({"mongodb": lambda: ping(db), "kafka": lambda: broker.ping(timeout=2)})
    )
    return app
