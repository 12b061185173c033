"""One registration travels through all three services, over the real broker and database."""

from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from rencontres_infra.stack import Endpoints

from tests.helpers import eventually, stand_request, student_request, unique_email

pytestmark = pytest.mark.infra


async def _mails_to(http: httpx.AsyncClient, endpoints: Endpoints, email: str) -> list[Any]:
    response = await http.get(f"{endpoints.sinks_url}/api/messages", params={"to": email})
    return list(response.json())


async def test_stand_registration_is_stored_invoiced_and_emailed(
    http: httpx.AsyncClient,
    urls: dict[str, str],
    endpoints: Endpoints,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    email = unique_email("claire")
    body = stand_request(email, phone="06 12 34 56 78", sms_consent=True)
    response = await http.post(f"{urls['registration']}/api/registrations", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "reserved"

    stored = await mongo["registration"]["registrations"].find_one({"_id": created["id"]})
    assert stored is not None and stored["contact"]["phone"] == "+33612345678"

    async def invoice() -> dict[str, Any] | None:
        return await mongo["billing"]["invoices"].find_one({"registration_id": created["id"]})

    draft = await eventually(invoice)
    assert draft["status"] == "draft"
    assert draft["totals"]["excl_vat_cents"] == 60000
    assert draft["totals"]["incl_vat_cents"] == 72000
    assert draft["buyer"]["siret"] == "73282932000074"

    mails = await eventually(lambda: _mails_to(http, endpoints, email))
    assert len(mails) == 1
    assert created["reference"] in mails[0]["subject"]
    assert created["status_url"] in mails[0]["text"]
    assert "600,00 € HT" in mails[0]["text"]
    assert "Quand et où : IMT Mines Alès, 17 novembre 2027" in mails[0]["text"]

    async def our_sms() -> list[dict[str, Any]]:
        # other tests text the same number: wait for the one naming this registration
        sent = await _json(http, f"{endpoints.sinks_url}/api/sms", {"to": "+33612345678"})
        return [s for s in sent if created["reference"] in s["text"]]

    assert len(await eventually(our_sms)) == 1

    async def outbox_drained() -> bool:
        doc = await mongo["registration"]["registrations"].find_one({"_id": created["id"]})
        return doc is not None and doc["outbox"] == []

    await eventually(outbox_drained)


async def test_free_student_pass_is_confirmed_in_english_and_not_invoiced(
    http: httpx.AsyncClient,
    urls: dict[str, str],
    endpoints: Endpoints,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    email = unique_email("lea")
    response = await http.post(
        f"{urls['registration']}/api/registrations", json=student_request(email)
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "confirmed"
    mails = await eventually(lambda: _mails_to(http, endpoints, email))
    assert mails[0]["subject"].startswith("Registration received")
    assert "confirmed" in mails[0]["text"]
    assert "When and where: ENSCM Montpellier, November 18, 2027" in mails[0]["text"]
    assert (
        await mongo["billing"]["invoices"].count_documents({"registration_id": created["id"]}) == 0
    )


async def test_every_service_reports_ready_and_exposes_metrics(
    http: httpx.AsyncClient, urls: dict[str, str]
) -> None:
    for name, url in urls.items():
        ready = await http.get(f"{url}/readyz")
        assert ready.status_code == 200
        owns_data = name != "ops"  # the dashboard has no database: Kafka only
        expected = {"mongodb": "ok", "kafka": "ok"} if owns_data else {"kafka": "ok"}
        assert ready.json()["checks"] == expected
        assert (await http.get(f"{url}/healthz")).json() == {"status": "ok"}
        metrics = await http.get(f"{url}/metrics")
        assert "python_gc_objects_collected_total" in metrics.text
    registration_metrics = (await http.get(f"{urls['registration']}/metrics")).text
    assert "outbox_published_total" in registration_metrics


async def _json(http: httpx.AsyncClient, url: str, params: dict[str, str]) -> list[Any]:
    return list((await http.get(url, params=params)).json())
