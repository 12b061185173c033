"""Notify tests: a real Notifier (SMTP catcher and SMS sink) over a fresh delivery log, and
readers of what the sink received."""

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from pymongo import AsyncMongoClient
from rencontres_infra.stack import Endpoints
from rencontres_notify.handlers import Notifier
from rencontres_notify.senders import EmailSender, SmsSender
from rencontres_notify.store import DeliveryLog

FROM = "Rencontres Entreprises <forum@rencontres.example>"


@pytest.fixture
async def log(mongo: AsyncMongoClient[dict[str, Any]]) -> DeliveryLog:
    log = DeliveryLog(mongo[f"t_{uuid4().hex[:8]}"])
    await log.create_indexes()
    return log


@pytest.fixture
async def sms_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def notifier(endpoints: Endpoints, log: DeliveryLog, sms_client: httpx.AsyncClient) -> Notifier:
    return Notifier(
        log,
        EmailSender(endpoints.smtp_host, endpoints.smtp_port, FROM),
        SmsSender(endpoints.sms_provider_url, "Rencontres", sms_client),
    )


async def mails_to(http: httpx.AsyncClient, endpoints: Endpoints, email: str) -> list[Any]:
    response = await http.get(f"{endpoints.sinks_url}/api/messages", params={"to": email})
    response.raise_for_status()
    return list(response.json())


async def sms_to(http: httpx.AsyncClient, endpoints: Endpoints, phone: str) -> list[Any]:
    response = await http.get(f"{endpoints.sinks_url}/api/sms", params={"to": phone})
    response.raise_for_status()
    return list(response.json())
