"""Fixtures shared by every test folder: the real platform, started once per test session.

The stack resolves infrastructure like `make run` does (environment, then Docker, then local
processes) but on ports shifted by 1000 (or RENCONTRES_TEST_PORT_OFFSET), so tests can run
while a developer's `make run` is up. Everything is stopped when the session ends.
"""

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from rencontres_infra.stack import Endpoints, Ports, Stack, docker_answers
from rencontres_registration.catalog import DEFAULT_CATALOG

RUNS_LAST = "test_personal_data_scan.py"
"""Scans the logs the whole run wrote, so it goes after every other test."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: RUNS_LAST in item.nodeid)  # stable: the rest keep their order


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    """The platform every infra test shares. Its state (data and logs, about 50 MB) is removed
    after a run without failures and kept after one with failures, for its logs."""
    offset = int(os.environ.get("RENCONTRES_TEST_PORT_OFFSET", "1000"))
    state = Path(tempfile.mkdtemp(prefix="rencontres-test-"))
    cleanup_state = ExitStack()
    cleanup_state.callback(_forget_if_passed, request.session, state)
    with cleanup_state, ExitStack() as cleanup:
        given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("MONGODB_URI")
        if not given and docker_answers():
            _containers(cleanup)
        running = cleanup.enter_context(
            Stack(state, Ports.from_env(offset=offset), say=lambda line: None, ephemeral=True)
        )
        running.start_infra()
        running.start_services(extra_env=_service_env(state))
        yield running


def _forget_if_passed(session: pytest.Session, state: Path) -> None:
    if session.testsfailed == 0:
        shutil.rmtree(state, ignore_errors=True)
    else:
        print(f"\nthe test platform's state and logs are kept in {state}")


TEST_EDITIONS = """
  - {id: race-2027-11-19, campus: ales, campus_name: "IMT Mines Alès", date: 2027-11-19,
     stands: 10, student_passes: 2, registration_deadline: 2027-11-03T23:59:00+01:00}
  - {id: tiny-2027-11-19, campus: montpellier, campus_name: "ENSCM Montpellier",
     date: 2027-11-19, stands: 1, student_passes: 1,
     registration_deadline: 2027-11-03T23:59:00+01:00}
  - {id: billing-2027-11-19, campus: montpellier, campus_name: "ENSCM Montpellier",
     date: 2027-11-19, stands: 1, student_passes: 1,
     registration_deadline: 2027-11-03T23:59:00+01:00}
  - {id: fuzz-2027-11-19, campus: ales, campus_name: "IMT Mines Alès", date: 2027-11-19,
     stands: 1000, student_passes: 1000, registration_deadline: 2027-11-03T23:59:00+01:00}
"""
"""Editions only tests book, added to the shipped catalog: small, so full cases are cheap."""


def _service_env(state: Path) -> dict[str, str]:
    shipped = DEFAULT_CATALOG.read_text(encoding="utf-8")
    path = state / "catalog.yaml"
    path.write_text(shipped.replace("\noffers:", TEST_EDITIONS + "offers:", 1), encoding="utf-8")
    return {
        "REGISTRATION_CATALOG_PATH": str(path),
        "REGISTRATION_RATE_LIMIT_PER_SECOND": "0",  # load tests come from one address
        "REGISTRATION_JOBS_INTERVAL_SECONDS": "1",
        # SMS quiet hours off (tests run at any hour; notify's own tests inject a clock),
        # a daily cap no test reaches by accident, retries within seconds
        "NOTIFY_SMS_QUIET_START": "00:00",
        "NOTIFY_SMS_QUIET_END": "00:00",
        "NOTIFY_SMS_DAILY_CAP": "1000",
        "NOTIFY_RETRY_BASE_SECONDS": "1",
        "NOTIFY_RETRY_CAP_SECONDS": "5",
        "NOTIFY_LEASE_SECONDS": "10",
        "NOTIFY_DISPATCH_POLL_SECONDS": "0.2",
        "REGISTRATION_METRICS_INTERVAL_SECONDS": "2",
        "BILLING_METRICS_INTERVAL_SECONDS": "2",
        "NOTIFY_METRICS_INTERVAL_SECONDS": "2",
        "RENCONTRES_TRACE_FILE": str(state / "spans.jsonl"),  # every service's spans, one file
    }


def _containers(cleanup: ExitStack) -> None:
    """The Docker path: official images through testcontainers, handed over by environment."""
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.mongodb import MongoDbContainer

    if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        kafka = cleanup.enter_context(KafkaContainer("apache/kafka:4.1.1").with_kraft())
        os.environ["KAFKA_BOOTSTRAP_SERVERS"] = kafka.get_bootstrap_server()
    if not os.environ.get("MONGODB_URI"):
        mongo = cleanup.enter_context(MongoDbContainer("mongo:8"))
        os.environ["MONGODB_URI"] = mongo.get_connection_url()


@pytest.fixture(scope="session")
def endpoints(stack: Stack) -> Endpoints:
    assert stack.endpoints
    return stack.endpoints


@pytest.fixture(scope="session")
def urls(stack: Stack) -> dict[str, str]:
    return stack.service_urls


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.fixture
async def mongo(endpoints: Endpoints) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        endpoints.mongodb_uri, tz_aware=True
    )
    yield client
    await client.close()
