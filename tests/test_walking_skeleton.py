"""One registration travels through all three services, over the real broker and database."""

from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from rencontres_infra.stack import Endpoints

from tests.helpers import STAFF, eventually, mails_to, stand_request, student_request, unique_email

pytestmark = pytest.mark.infra


async def _mails_to(http: httpx.AsyncClient, endpoints: Endpoints, email: str) -> list[Any]:
    return await mails_to(http, endpoints.mail_url, email)


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
        return await mongo["billing"]["invoices"].find_one(
            {"registration_ids": created["id"], "status": "issued"}
        )

    issued = await eventually(invoice)
    assert issued["number"].startswith("FAC-")
    assert issued["totals"]["excl_vat_cents"] == 60000
    assert issued["totals"]["incl_vat_cents"] == 72000
    assert issued["buyer"]["siret"] == "73282932000074"

    async def both_mails() -> list[Any] | None:
        mails = await _mails_to(http, endpoints, email)
        return mails if len(mails) >= 2 else None

    received, invoiced = sorted(
        await eventually(both_mails, timeout=40), key=lambda m: issued["number"] in m["subject"]
    )
    assert len(await _mails_to(http, endpoints, email)) == 2
    assert issued["number"] in invoiced["subject"]
    # the invoice email's signed link gives the PDF, to whoever holds the email, no token
    [link] = [w for w in invoiced["text"].split() if "/invoices/" in w and "signature=" in w]
    pdf = await http.get(link)
    assert pdf.status_code == 200, pdf.text[:300]
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "FR76" in invoiced["text"], "the transfer details are in the invoice email"
    mails = [received]
    assert created["reference"] in mails[0]["subject"]
    assert created["status_url"] in mails[0]["text"]
    assert "600,00\xa0€ HT" in mails[0]["text"]  # Babel: a no-break space before the sign
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
        await mongo["billing"]["invoices"].count_documents({"registration_ids": created["id"]}) == 0
    )


async def test_a_stand_paid_through_billing_staff_api_becomes_confirmed(
    http: httpx.AsyncClient, urls: dict[str, str]
) -> None:
    """Public form → invoice issued → staff record the transfer → invoice.paid.v1 →
    registration confirms the stand, as its owner's private link shows."""
    email = unique_email("paid")
    response = await http.post(
        f"{urls['registration']}/api/registrations", json=stand_request(email)
    )
    assert response.status_code == 201, response.text
    created = response.json()

    async def invoice() -> dict[str, Any] | None:
        listed = await http.get(
            f"{urls['billing']}/api/staff/invoices",
            params={"registration_id": created["id"]},
            headers=STAFF,
        )
        items: list[dict[str, Any]] = listed.json()
        return items[0] if items else None

    issued = await eventually(invoice, timeout=30)
    paid = await http.post(
        f"{urls['billing']}/api/staff/invoices/{issued['number']}/payments",
        json={"amount_cents": 72000, "paid_on": "2026-11-20", "reference": "VIR SEPA 0042"},
        headers=STAFF,
    )
    assert paid.status_code == 201 and paid.json()["status"] == "paid"

    token = created["status_url"].split("t=")[1]
    own = f"{urls['registration']}/api/registrations/{created['id']}"

    async def confirmed() -> bool:
        r = await http.get(own, params={"t": token})
        return bool(r.json()["status"] == "confirmed")

    assert await eventually(confirmed, timeout=30)


async def test_every_service_reports_ready_and_exposes_metrics(
    http: httpx.AsyncClient, urls: dict[str, str]
) -> None:
    for name, url in urls.items():

        async def answers_ready(url: str = url) -> httpx.Response | None:
            response = await http.get(f"{url}/readyz")
            return response if response.status_code == 200 else None

        try:  # a check that timed out on a loaded machine may take one more round
            ready = await eventually(answers_ready, timeout=20, interval=1)
        except AssertionError:
            raise AssertionError(f"{name}: {(await http.get(f'{url}/readyz')).text}") from None
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
