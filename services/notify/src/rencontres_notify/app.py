"""Composition root: settings in, a FastAPI app that consumes events, records deliveries, and
sends them in the background (the dispatcher), with an outbox relay for delivery events."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI
from rencontres_contracts.topics import subscriptions
from rencontres_kit.business import Sampler
from rencontres_kit.consumer import EventConsumer
from rencontres_kit.health import health_router
from rencontres_kit.kafka import make_broker, publisher, subscribe
from rencontres_kit.limits import BodySizeLimit, NoControlCharacters
from rencontres_kit.mongo import connect, ping
from rencontres_kit.outbox import OutboxRelay

from rencontres_notify import figures
from rencontres_notify.dispatcher import Dispatcher, Policy
from rencontres_notify.handlers import router
from rencontres_notify.notifier import Notifier
from rencontres_notify.retry import Backoff
from rencontres_notify.routes import staff, webhooks
from rencontres_notify.senders import EmailSender, SinkSms, SmsProvider, TwilioSms
from rencontres_notify.settings import Settings
from rencontres_notify.store import DeliveryStore


def policy_of(settings: Settings) -> Policy:
    return Policy(
        lease=timedelta(seconds=settings.lease_seconds),
        backoff=Backoff(
            base=timedelta(seconds=settings.retry_base_seconds),
            cap=timedelta(seconds=settings.retry_cap_seconds),
            window=timedelta(hours=settings.retry_window_hours),
        ),
        sms_daily_cap=settings.sms_daily_cap,
        quiet=(settings.sms_quiet_start, settings.sms_quiet_end),
        poll_interval=settings.dispatch_poll_seconds,
        concurrency=settings.dispatch_concurrency,
        max_unsent=settings.dispatch_max_unsent,
    )


def sms_provider(settings: Settings, http: httpx.AsyncClient) -> SmsProvider:
    callback = f"{settings.public_base_url}/webhooks/sms/status"
    if settings.sms_provider == "twilio":
        return TwilioSms(
            settings.twilio_base_url,
            str(settings.twilio_account_sid),
            str(settings.twilio_auth_token),
            settings.sms_sender,
            http,
            callback,
        )
    return SinkSms(settings.sms_provider_url, settings.sms_sender, http, callback)


def email_sender(settings: Settings) -> EmailSender:
    return EmailSender(
        settings.smtp_host,
        settings.smtp_port,
        settings.mail_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        connections=settings.smtp_connections,
        timeout=settings.smtp_timeout_seconds,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    client = connect(settings.mongodb_uri, "notify")
    db = client[settings.database]
    store = DeliveryStore(db)
    http = httpx.AsyncClient()
    broker = make_broker(settings.kafka_bootstrap_servers, "notify")
    publish = publisher(broker)
    relay = OutboxRelay([store.deliveries], publish)
    email = email_sender(settings)
    dispatcher = Dispatcher(
        store,
        email,
        sms_provider(settings, http),
        publish,
        settings.consumer_group,
        policy_of(settings),
        wake_outbox=relay.wake,
    )
    notifier = Notifier(store, dispatcher, unsubscribe=settings.unsubscribe)
    sampler = Sampler(figures.Figures(store).sample, settings.metrics_interval_seconds)
    consumer = EventConsumer(
        settings.consumer_group,
        store.processed,
        publish,
        router.bind(notifier),
        batch_handlers=router.bind_batches(notifier),
        idempotent_batch_types=router.idempotent_batch_types,
    )
    subscribe(
        broker,
        consumer,
        subscriptions("notify"),
        settings.consumer_group,
        workers=settings.consumer_workers,
        batch_size=settings.consumer_batch_size or None,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await store.create_indexes()
        await broker.start()
        relay.start()
        dispatcher.start()
        sampler.start()
        yield
        await sampler.stop()
        await dispatcher.stop()
        await relay.stop()
        await broker.stop()
        await email.close()
        await http.aclose()
        await client.close()

    app = FastAPI(title="Rencontres — notify", version="0.2.0", lifespan=lifespan)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(NoControlCharacters)
    app.state.settings = settings
    app.state.deliveries = store
    app.include_router(
        health_router({"mongodb": lambda: ping(db), "kafka": lambda: broker.ping(timeout=2)})
    )
    app.include_router(staff)
    app.include_router(webhooks)
    return app
