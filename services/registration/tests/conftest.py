"""Registration tests: the service in-process against the real database, with a clock we move."""

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from rencontres_infra.stack import Endpoints
from rencontres_registration.catalog import parse_catalog
from rencontres_registration.links import Links
from rencontres_registration.service import Registrations
from rencontres_registration.store import RegistrationStore

CATALOG = """
forum: "Test forum"
editions:
  - {id: small-1, campus: ales, campus_name: "IMT Mines Alès", date: 2027-11-17, stands: 2,
     student_passes: 1, registration_deadline: 2027-11-03T23:59:00+01:00}
  - {id: small-2, campus: montpellier, campus_name: "ENSCM", date: 2027-11-18, stands: 1,
     student_passes: 1, registration_deadline: 2027-11-03T23:59:00+01:00}
offers:
  stand: {label: {fr: "Stand", en: "Stand"}, unit_price_excl_vat_cents: 60000, vat_rate_percent: 20}
  pool_seat:
    label: {fr: "Place partagée", en: "Shared seat"}
    unit_price_excl_vat_cents: 60000
    vat_rate_percent: 20
    pool_min_members: 2
    pool_max_members: 3
    pool_deadline_days_before_edition: 21
  student_pass: {label: {fr: "Pass", en: "Pass"}, unit_price_excl_vat_cents: 0, vat_rate_percent: 0}
  incubator_application:
    label: {fr: "Candidature", en: "Application"}
    unit_price_excl_vat_cents: 0
    vat_rate_percent: 0
incubator_call:
  id: incubateur-test
  title: {fr: "Appel", en: "Call"}
  opens: 2027-01-01T00:00:00+01:00
  closes: 2027-03-31T23:59:00+02:00
waiting_list: {offer_hold_hours: 48}
consent: {data_processing_version: "test-v1"}
"""

START = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def service(endpoints: Endpoints, clock: Clock) -> AsyncIterator[Registrations]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        endpoints.mongodb_uri, tz_aware=True
    )
    name = f"t_reg_{uuid.uuid4().hex[:10]}"
    store = RegistrationStore(client[name])
    await store.create_indexes()
    registrations = Registrations(
        parse_catalog(CATALOG), store, Links("http://test", "test-link-secret"), clock
    )
    await registrations.ensure_capacity()
    yield registrations
    await client.drop_database(name)
    await client.close()


def owed(doc_or_outbox: dict[str, Any] | list[dict[str, Any]]) -> list[str]:
    """Event types a document owes, oldest first."""
    entries = doc_or_outbox if isinstance(doc_or_outbox, list) else doc_or_outbox["outbox"]
    return [e["type"] for e in entries]


MakeEmail = Callable[[str], str]
