"""The Twilio-shaped provider against the sink's implementation of Twilio's API (basic auth,
form body, 201 with a sid, error 21211), and the status callback end to end: the running
service sends an SMS, the provider calls back, staff see `delivered`."""

import random
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from rencontres_infra.stack import Endpoints
from rencontres_notify.retry import SendError
from rencontres_notify.senders import OutgoingSms, TwilioSms

from services.notify.tests.conftest import free_port, sms_to
from services.notify.tests.test_sms_policy import confirmed
from tests.helpers import STAFF, eventually

pytestmark = pytest.mark.infra

SID = "AC" + "0" * 32


def twilio(endpoints: Endpoints, client: httpx.AsyncClient, token: str = "secret") -> TwilioSms:
    assert endpoints.sinks_url
    return TwilioSms(endpoints.sinks_url, SID, token, "Rencontres", client)


async def test_twilio_shape_sends_with_basic_auth_and_a_form_body(
    endpoints: Endpoints, sms_client: httpx.AsyncClient, http: httpx.AsyncClient
) -> None:
    phone = f"+33612{random.randrange(10**6):06d}"
    sid = await twilio(endpoints, sms_client).send(OutgoingSms(phone, "Bonjour", "d-1:sms"))
    [sms] = await sms_to(http, endpoints, phone)
    assert sms["provider"] == "twilio" and sms["text"] == "Bonjour" and sms["id"] == sid


@pytest.mark.parametrize(
    ("to", "token", "kind", "says"),
    [
        ("0612", "secret", "permanent", "21211"),
        ("+33612345678", "", "permanent", "401"),
    ],
)
async def test_twilio_refusals_are_permanent(
    endpoints: Endpoints, sms_client: httpx.AsyncClient, to: str, token: str, kind: str, says: str
) -> None:
    with pytest.raises(SendError) as refused:
        await twilio(endpoints, sms_client, token).send(OutgoingSms(to, "x", "d-2:sms"))
    assert refused.value.kind == kind and says in refused.value.reason


async def test_a_provider_that_does_not_answer_is_transient(sms_client: httpx.AsyncClient) -> None:
    down = TwilioSms(f"http://127.0.0.1:{free_port()}", SID, "s", "Rencontres", sms_client)
    with pytest.raises(SendError) as failed:
        await down.send(OutgoingSms("+33612345678", "x", "d-3:sms"))
    assert failed.value.kind == "transient" and not failed.value.maybe_delivered


async def test_the_providers_status_callback_reaches_the_delivery_log(
    kafka: AIOKafkaProducer, http: httpx.AsyncClient, urls: dict[str, str]
) -> None:
    email, phone = f"cb.{uuid4().hex[:8]}@example.fr", f"+33612{random.randrange(10**6):06d}"
    event = confirmed(email, phone)
    await kafka.send_and_wait("registration.events", event.to_bytes(), key=event.subject.encode())

    async def delivered() -> dict[str, str] | None:
        response = await http.get(
            f"{urls['notify']}/api/staff/deliveries",
            params={"registration_id": event.subject},
            headers=STAFF,
        )
        rows = {r["channel"]: r for r in response.json()}
        sms = rows.get("sms")
        return sms if sms and sms["provider_status"] == "delivered" else None

    row = await eventually(delivered)
    assert row["status"] == "sent" and row["to"] == phone[:3] + "*" * 7 + phone[-2:]
