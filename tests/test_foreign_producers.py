"""Another team's producer, through the real broker, reaches our consumers in either mode.

Events made with the official CloudEvents SDK's Kafka binding, carrying only the attributes
the spec requires (plus subject), are published to `registration.events`; notify must email
each one, as it does for our own producers' events.
"""

import json
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from cloudevents.v1.http import CloudEvent as SdkEvent
from cloudevents.v1.kafka import KafkaMessage, to_binary, to_structured
from rencontres_contracts.events.registration import RegistrationSubmittedV1
from rencontres_contracts.export import EXAMPLES_DIR
from rencontres_contracts.ids import new_id
from rencontres_infra.stack import Endpoints

from tests.helpers import eventually, mails_to, unique_email

TYPE = RegistrationSubmittedV1.event_type


def _event(email: str) -> SdkEvent:
    data: dict[str, Any] = json.loads(next((EXAMPLES_DIR / TYPE).glob("*.json")).read_text())
    registration_id = new_id()
    data |= {
        "registration_id": registration_id,
        "status": "waitlisted",
        "lines": [],
        "contact": {**data["contact"], "email": email, "sms_consent": False},
    }
    attributes = {
        "type": TYPE,
        "source": "urn:other-team:crm",
        "subject": registration_id,
        "datacontenttype": "application/json",
    }
    return SdkEvent(attributes, data)


@pytest.mark.parametrize("mode", [to_binary, to_structured], ids=["binary", "structured"])
async def test_an_sdk_event_without_our_extensions_is_handled(
    endpoints: Endpoints, http: httpx.AsyncClient, mode: Any
) -> None:
    email = unique_email("foreign")
    message: KafkaMessage = mode(_event(email))
    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(
            "registration.events",
            message.value,
            key=message.key,
            headers=list(message.headers.items()),
        )
    finally:
        await producer.stop()

    async def mail() -> list[Any]:
        return await mails_to(http, endpoints.mail_url, email)

    assert len(await eventually(mail, timeout=30)) == 1
