"""The running billing service (started by the session stack) over the real broker, database
and HTTP: events in from Kafka, the staff API, the PDF and its signed link, the card webhook,
the accounting export, and the events billing publishes out."""

import asyncio
import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import facturx
import httpx
import pytest
from pypdf import PdfReader
from rencontres_billing.documents import invoice_id
from rencontres_billing.settings import Settings
from rencontres_billing.signing import webhook_signature
from rencontres_infra.stack import Endpoints

from services.billing.tests import factories as f
from services.billing.tests.bus import BillingEvents, publish
from tests.helpers import STAFF, eventually

pytestmark = pytest.mark.infra
ARTEFACTS = Path(__file__).resolve().parents[3] / "artefacts" / "billing"
DEV = Settings()


async def issued(http: httpx.AsyncClient, base: str, registration_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        r = await http.get(
            f"{base}/api/staff/invoices", params={"registration_id": registration_id}, headers=STAFF
        )
        items: list[dict[str, Any]] = r.json()
        return items[0] if items else None

    return await eventually(probe, timeout=30)


async def invoice_a_stand(
    http: httpx.AsyncClient, endpoints: Endpoints, base: str
) -> tuple[str, dict[str, Any]]:
    """A reserved stand's submission published; its registration id and its invoice."""
    event = f.submitted()
    await publish(endpoints, event)
    rid = event.data.registration_id
    return rid, await issued(http, base, rid)


async def test_staff_api_needs_the_token(http: httpx.AsyncClient, urls: dict[str, str]) -> None:
    assert (await http.get(f"{urls['billing']}/api/staff/invoices")).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert (await http.get(f"{urls['billing']}/api/staff/invoices", headers=bad)).status_code == 401


async def test_a_reserved_stand_is_invoiced_paid_by_transfer_and_its_pdf_is_a_valid_factur_x(
    http: httpx.AsyncClient,
    urls: dict[str, str],
    endpoints: Endpoints,
    billing_events: BillingEvents,
) -> None:
    base = urls["billing"]
    rid, invoice = await invoice_a_stand(http, endpoints, base)
    number = invoice["number"]
    assert number.startswith("FAC-") and invoice["status"] == "issued"
    assert invoice["total_incl_vat_cents"] == 76010 and invoice["paid_cents"] == 0
    [out] = await billing_events.of(invoice_id(rid), ["invoice.issued.v1"])
    pdf_url = out["data"]["pdf_url"]

    # the PDF: text shows number, SIRET and totals; the embedded XML validates
    pdf = await http.get(f"{base}/api/staff/invoices/{number}.pdf", headers=STAFF)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for shown in (number, "73282932000074", "760,10", "636,45", "120,00", "FACTURE"):
        assert shown in text, shown
    _name, xml = facturx.get_xml_from_pdf(pdf.content, check_xsd=False)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="basic")
    assert f"<ram:ID>{number}</ram:ID>".encode() in xml
    again = await http.get(f"{base}/api/staff/invoices/{number}.pdf", headers=STAFF)
    assert again.content == pdf.content  # the same invoice renders to the same bytes
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "invoice.pdf").write_bytes(pdf.content)
    png = await asyncio.create_subprocess_exec(
        "pdftoppm",
        "-png",
        "-r",
        "80",
        "-singlefile",
        ARTEFACTS / "invoice.pdf",
        ARTEFACTS / "invoice",
    )
    assert await png.wait() == 0
    assert (ARTEFACTS / "invoice.png").stat().st_size > 10_000

    # the emailed link works without the staff token; a forged or expired one does not
    signed = await http.get(pdf_url)
    assert signed.status_code == 200 and signed.content == pdf.content
    forged = await http.get(pdf_url.replace("signature=", "signature=0"))
    assert forged.status_code == 401
    expired = await http.get(
        f"{base}/invoices/{number}.pdf", params={"expires": 1000, "signature": "00"}
    )
    assert expired.status_code == 401

    # staff record a partial, then the rest: paid, and registration is told
    url = f"{base}/api/staff/invoices/{number}/payments"
    part = {"amount_cents": 40000, "paid_on": "2026-11-20", "reference": "VIR SEPA 1"}
    once = {**STAFF, "Idempotency-Key": f"stmt-{rid[:8]}-1"}
    assert (await http.post(url, json=part, headers=once)).status_code == 201
    repeat = await http.post(url, json=part, headers=once)  # a double click: recorded once
    assert repeat.status_code == 201 and repeat.json()["paid_cents"] == 40000
    rest = {**part, "amount_cents": 36010, "reference": "VIR SEPA 2"}
    paid = await http.post(url, json=rest, headers=STAFF)
    assert paid.status_code == 201 and paid.json()["status"] == "paid"
    events = await billing_events.of(
        invoice_id(rid),
        ["invoice.issued.v1", "payment.received.v1", "payment.received.v1", "invoice.paid.v1"],
    )
    assert events[3]["data"]["registration_ids"] == [rid]
    assert events[3]["data"]["amount_paid_cents"] == 76010

    html = await http.get(f"{base}/api/staff/invoices/{number}.html", headers=STAFF)
    assert html.status_code == 200 and number in html.text
    metrics = (await http.get(f"{base}/metrics")).text
    assert 'billing_documents_issued_total{series="FAC"}' in metrics
    assert 'billing_payments_total{method="transfer"}' in metrics


async def test_a_bad_payment_gets_a_422_naming_the_field(
    http: httpx.AsyncClient, urls: dict[str, str]
) -> None:
    url = f"{urls['billing']}/api/staff/invoices/FAC-2026-000001/payments"
    for body, field in [
        ({"amount_cents": 0, "paid_on": "2026-11-20", "reference": "x"}, "amount_cents"),
        ({"amount_cents": 10, "paid_on": "not a date", "reference": "x"}, "paid_on"),
        ({"amount_cents": 10, "paid_on": "2026-11-20", "reference": "a\x00b"}, "reference"),
    ]:
        r = await http.post(url, json=body, headers=STAFF)
        assert r.status_code == 422, r.text
        assert [e["loc"] for e in r.json()["detail"]] == [["body", field]]
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    future = {"amount_cents": 10, "paid_on": tomorrow, "reference": "x"}
    r = await http.post(url, json=future, headers=STAFF)  # refused by the domain, not pydantic
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "paid_on"], r.text
    missing = f"{urls['billing']}/api/staff/invoices/FAC-1999-000001"
    r = await http.get(missing, headers=STAFF)
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["path", "number"]
    for garbage in ("FAC-2026-1%00", "drop%20table", "AV-2026-000001"):
        r = await http.get(f"{urls['billing']}/api/staff/invoices/{garbage}", headers=STAFF)
        assert r.status_code == 422 and "number" in r.text
    nul = await http.get(
        f"{urls['billing']}/api/staff/invoices", params={"registration_id": "a\x00"}, headers=STAFF
    )
    assert nul.status_code == 422 and "registration_id" in nul.text


def _signed(body: bytes, at: int | None = None, secret: str = DEV.webhook_secret) -> dict[str, str]:
    timestamp = str(at if at is not None else int(time.time()))
    return {
        "Payment-Timestamp": timestamp,
        "Payment-Signature": webhook_signature(secret, timestamp, body),
        "Content-Type": "application/json",
    }


async def test_card_webhook_valid_bad_signature_replayed_and_duplicate(
    http: httpx.AsyncClient, urls: dict[str, str], endpoints: Endpoints
) -> None:
    base = urls["billing"]
    rid, invoice = await invoice_a_stand(http, endpoints, base)
    number = invoice["number"]
    provider_id = f"evt_{rid[:8]}"
    body = json.dumps(
        {
            "id": provider_id,
            "type": "payment.succeeded",
            "invoice_number": number,
            "amount_cents": 76010,
            "paid_on": "2026-11-21",
        }
    ).encode()
    url = f"{base}/api/webhooks/payments"

    forged = await http.post(url, content=body, headers=_signed(body, secret="not-ours"))
    assert forged.status_code == 401
    assert forged.json()["detail"][0]["loc"] == ["header", "Payment-Signature"]
    unknown = body.replace(number.encode(), b"FAC-1999-000001")
    r = await http.post(url, content=unknown, headers=_signed(unknown))
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["body", "invoice_number"]
    replayed = await http.post(url, content=body, headers=_signed(body, int(time.time()) - 301))
    assert replayed.status_code == 401
    ok = await http.post(url, content=body, headers=_signed(body))
    assert ok.status_code == 200
    duplicate = await http.post(url, content=body, headers=_signed(body))
    assert duplicate.status_code == 200
    invoice = (await http.get(f"{base}/api/staff/invoices/{number}", headers=STAFF)).json()
    assert invoice["status"] == "paid" and invoice["paid_cents"] == 76010
    assert [p["method"] for p in invoice["payments"]] == ["card"]


async def test_cancellation_credit_note_and_the_accounting_export(
    http: httpx.AsyncClient,
    urls: dict[str, str],
    endpoints: Endpoints,
    billing_events: BillingEvents,
) -> None:
    base = urls["billing"]
    rid, invoice = await invoice_a_stand(http, endpoints, base)
    number = invoice["number"]
    await publish(endpoints, f.cancelled(rid))
    events = await billing_events.of(
        invoice_id(rid), ["invoice.issued.v1", "credit_note.issued.v1"]
    )
    note_number = events[1]["data"]["credit_note_number"]
    assert note_number.startswith("AV-")
    note = (await http.get(f"{base}/api/staff/credit-notes/{note_number}", headers=STAFF)).json()
    assert note["invoice_number"] == number and note["total_incl_vat_cents"] == 76010
    listed = await http.get(
        f"{base}/api/staff/credit-notes", params={"registration_id": rid}, headers=STAFF
    )
    assert [n["number"] for n in listed.json()] == [note_number]
    html = await http.get(f"{base}/api/staff/credit-notes/{note_number}.html", headers=STAFF)
    assert "AVOIR" in html.text and number in html.text
    pdf = await http.get(f"{base}/api/staff/credit-notes/{note_number}.pdf", headers=STAFF)
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "AVOIR" in text and number in text

    today = events[1]["data"]["issued_on"]
    r = await http.get(
        f"{base}/api/staff/export.csv", params={"from": today, "to": today}, headers=STAFF
    )
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["type", "number", "date"]
    mine = {row[1]: row for row in rows[1:]}
    assert mine[number][0] == "invoice" and mine[number][9] == "760,10"
    assert mine[note_number][0] == "credit_note" and mine[note_number][9] == "-760,10"
    assert mine[note_number][4] == "Céramiques du Gard SAS"


async def test_reminders_can_be_run_now_by_staff(
    http: httpx.AsyncClient, urls: dict[str, str]
) -> None:
    r = await http.post(f"{urls['billing']}/api/staff/reminders/run", headers=STAFF)
    assert r.status_code == 200 and set(r.json()) == {"reminded", "lapsed", "recovered"}
    await asyncio.sleep(0)


async def test_reserved_pool_closed_and_erased_events_from_the_broker(
    http: httpx.AsyncClient,
    urls: dict[str, str],
    endpoints: Endpoints,
    billing_events: BillingEvents,
) -> None:
    base = urls["billing"]
    reserved = f.reserved()
    pool = f.pool_closed(members=3, price=60001)
    await publish(endpoints, reserved, pool)

    invoice = await issued(http, base, reserved.data.registration_id)
    assert invoice["total_excl_vat_cents"] == 60000 + 3645
    shares = []
    for member in pool.data.members:
        share = await issued(http, base, member.registration_id)
        shares.append(share["total_excl_vat_cents"])
        await billing_events.of(invoice_id(member.registration_id), ["invoice.issued.v1"])
    assert shares == [20001, 20000, 20000]

    await publish(endpoints, f.erased(reserved.data.registration_id))

    async def erased() -> bool:
        r = await http.get(f"{base}/api/staff/invoices/{invoice['number']}", headers=STAFF)
        return bool(r.json()["contact"] is None)

    assert await eventually(erased, timeout=30)
    kept = (await http.get(f"{base}/api/staff/invoices/{invoice['number']}", headers=STAFF)).json()
    assert kept["buyer"]["legal_name"] == "Céramiques du Gard SAS"
    assert kept["total_incl_vat_cents"] == 76010
