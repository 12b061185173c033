"""Composition root: settings in; the billing service, its consumer, relay, scheduler and HTTP
faces wired together."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from rencontres_contracts.topics import subscriptions
from rencontres_kit.business import Sampler
from rencontres_kit.consumer import EventConsumer
from rencontres_kit.health import health_router
from rencontres_kit.kafka import make_broker, publisher, subscribe
from rencontres_kit.limits import BodySizeLimit
from rencontres_kit.mongo import connect, ping
from rencontres_kit.outbox import OutboxRelay

from rencontres_billing import figures
from rencontres_billing.errors import BillingRefused, RefusalCode
from rencontres_billing.handlers import router
from rencontres_billing.routes import public, staff
from rencontres_billing.scheduler import ReminderScheduler
from rencontres_billing.service import Billing, Clock, system_clock
from rencontres_billing.settings import Settings
from rencontres_billing.store.documents import BillingStore

WHERE = {
    "number": "path",
    "Payment-Signature": "header",
    "Payment-Timestamp": "header",
    "signature": "query",
    "expires": "query",
}
"""Where a refused field came from, as FastAPI's own errors say it (`["body", "paid_on"]`)."""
STATUS: dict[RefusalCode, int] = {
    "invoice_not_found": 404,
    "credit_note_not_found": 404,
    "invoice_not_payable": 409,
    "amount_not_positive": 422,
    "paid_on_in_future": 422,
    "refund_exceeds_due": 422,
    "bad_signature": 401,
    "stale_signature": 401,
    "link_expired": 410,
}
MESSAGES: dict[RefusalCode, str] = {
    "invoice_not_found": "no invoice has this number",
    "credit_note_not_found": "no credit note has this number",
    "invoice_not_payable": "this invoice was cancelled or lapsed: it takes no payment",
    "amount_not_positive": "the amount must be a positive number of cents",
    "paid_on_in_future": "the payment date is in the future",
    "refund_exceeds_due": "this refund exceeds what the credit note promises",
    "bad_signature": "the signature does not match",
    "stale_signature": "the timestamp is too old: refused as a replay",
    "link_expired": "this link has expired; ask for a new one",
}


def create_app(settings: Settings | None = None, clock: Clock = system_clock) -> FastAPI:
    settings = settings or Settings()
    client = connect(settings.mongodb_uri, "billing")
    db = client[settings.database]
    broker = make_broker(settings.kafka_bootstrap_servers, "billing")
    send = publisher(broker)
    relay = OutboxRelay(
        [db["invoices"], db["credit_notes"]],
        send,
        poll_interval=settings.outbox_poll_seconds,
        entry_collections=[db["outbox"]],
    )
    store = BillingStore(db, relay.wake, relay.wake_entries)
    billing = Billing(store, settings, clock)
    scheduler = ReminderScheduler(billing, db["jobs"])
    sampler = Sampler(lambda: figures.sample(store), settings.metrics_interval_seconds)
    consumer = EventConsumer(
        settings.consumer_group,
        store.processed,
        send,
        router.bind(billing),
        batch_handlers=router.bind_batches(billing),
        idempotent_batch_types=router.idempotent_batch_types,
    )
    topics = settings.subscribe_topics or subscriptions("billing")
    subscribe(
        broker, consumer, topics, settings.consumer_group, batch_size=settings.consume_batch_size
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await store.create_indexes()
        await billing.recover()  # a claim or draft a crash left behind gets its number first
        await broker.start()
        if settings.relay_enabled:
            relay.start()
        scheduler.start()
        sampler.start()
        yield
        await sampler.stop()
        await scheduler.stop()
        await relay.stop()
        await broker.stop()
        await client.close()

    app = FastAPI(title="Rencontres — billing", version="0.2.0", lifespan=lifespan)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.state.settings = settings
    app.state.billing = billing
    app.state.scheduler = scheduler
    app.include_router(
        health_router({"mongodb": lambda: ping(db), "kafka": lambda: broker.ping(timeout=2)})
    )
    app.include_router(staff)
    app.include_router(public)

    @app.exception_handler(BillingRefused)
    async def refused(_: Request, exc: BillingRefused) -> JSONResponse:
        loc = [WHERE.get(exc.field, "body"), exc.field] if exc.field else ["body"]
        detail = [{"loc": loc, "msg": MESSAGES[exc.code], "type": exc.code}]
        return JSONResponse({"detail": detail}, status_code=STATUS[exc.code])

    @app.exception_handler(ValidationError)
    async def invalid(_: Request, exc: ValidationError) -> JSONResponse:
        detail = [
            {"loc": ["body", *map(str, e["loc"])], "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    return app
