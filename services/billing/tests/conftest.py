"""Billing's own fixtures: a Billing service on a fresh database of the real FerretDB."""

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient
from rencontres_billing.service import Billing
from rencontres_billing.settings import Settings
from rencontres_billing.store.documents import BillingStore
from rencontres_infra.stack import Endpoints

from services.billing.tests.bus import BillingEvents


class Clock:
    """A settable clock: tests move time instead of waiting for it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2027, 10, 1, 10, 0, tzinfo=UTC))


@pytest.fixture
def make_billing(mongo: AsyncMongoClient[dict[str, Any]], clock: Clock) -> Callable[..., Any]:
    async def make(**settings: Any) -> Billing:
        store = BillingStore(mongo[f"b_{uuid4().hex[:10]}"])
        await store.create_indexes()
        return Billing(store, Settings(**settings), clock)

    return make


@pytest.fixture
async def billing(make_billing: Callable[..., Any]) -> Billing:
    result: Billing = await make_billing()
    return result


@pytest.fixture
async def billing_events(endpoints: Endpoints) -> AsyncIterator[BillingEvents]:
    """billing.events from now on."""
    reader = BillingEvents(endpoints.kafka_bootstrap_servers)
    await reader.start()
    yield reader
    await reader.stop()
