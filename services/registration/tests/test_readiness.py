"""Readiness follows the database, not Kafka: the outbox accepts registrations without it."""

import socket
import uuid

import httpx
import pytest
from rencontres_infra.stack import Endpoints
from rencontres_registration.app import create_app
from rencontres_registration.settings import Settings

pytestmark = pytest.mark.infra


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there once the probe is closed


async def _readyz(settings: Settings) -> httpx.Response:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registration") as client:
        return await client.get("/readyz")


async def test_ready_without_kafka_and_says_so(endpoints: Endpoints) -> None:
    settings = Settings(
        mongodb_uri=endpoints.mongodb_uri,
        database=f"t_ready_{uuid.uuid4().hex[:8]}",
        kafka_bootstrap_servers=f"127.0.0.1:{_closed_port()}",
    )
    response = await _readyz(settings)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ready"] is True and body["checks"]["mongodb"] == "ok"
    assert body["checks"]["kafka"] != "ok" and body["not_required"] == ["kafka"]


async def test_not_ready_without_its_database(endpoints: Endpoints) -> None:
    settings = Settings(
        mongodb_uri=f"mongodb://127.0.0.1:{_closed_port()}/?serverSelectionTimeoutMS=300",
        kafka_bootstrap_servers=endpoints.kafka_bootstrap_servers,
    )
    response = await _readyz(settings)
    assert response.status_code == 503
    assert response.json()["checks"]["mongodb"] != "ok"


def test_registrations_are_accepted_while_kafka_is_away(endpoints: Endpoints) -> None:
    from fastapi.testclient import TestClient
    from pymongo import MongoClient

    from tests.helpers import student_request

    database = f"t_nokafka_{uuid.uuid4().hex[:8]}"
    settings = Settings(
        mongodb_uri=endpoints.mongodb_uri,
        database=database,
        kafka_bootstrap_servers=f"127.0.0.1:{_closed_port()}",
        jobs_interval_seconds=3600,
    )
    with TestClient(create_app(settings)) as client:  # starts although Kafka is away
        assert client.get("/readyz").status_code == 200
        email = f"nokafka.{uuid.uuid4().hex[:8]}@example.fr"
        created = client.post("/api/registrations", json=student_request(email))
        assert created.status_code == 201, created.text
    mongo: MongoClient[dict[str, object]] = MongoClient(endpoints.mongodb_uri)
    try:
        stored = mongo[database]["registrations"].find_one({"_id": created.json()["id"]})
        assert stored is not None and stored["outbox"]  # its event waits for the broker
    finally:
        mongo.drop_database(database)
        mongo.close()
