"""Composition root: settings in, a FastAPI app consuming registration events out."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from rencontres_contracts.topics import subscriptions
from rencontres_kit.consumer import EventConsumer
from rencontres_kit.health import health_router
from rencontres_kit.kafka import make_broker, publisher, subscribe
from rencontres_kit.mongo import connect, ping

from rencontres_billing.handlers import router
from rencontres_billing.settings import Settings
from rencontres_billing.store import InvoiceStore


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    client = connect(settings.mongodb_uri, "billing")
    db = client[settings.database]
    store = InvoiceStore(db)
    broker = make_broker(settings.kafka_bootstrap_servers, "billing")
    consumer = EventConsumer(
        settings.consumer_group, store.processed, publisher(broker), router.bind(store)
    )
    subscribe(broker, consumer, subscriptions("billing"), settings.consumer_group)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await store.create_indexes()
        await broker.start()
        yield
        await broker.stop()
        await client.close()

    app = FastAPI(title="Rencontres — billing", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.store = store
    app.include_router(
        health_router({"mongodb": lambda: ping(db), "kafka": lambda: broker.ping(timeout=2)})
    )
    return app
