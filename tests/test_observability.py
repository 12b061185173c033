"""Traces, metrics and logs of the running platform.

- One registration is one trace: the HTTP request, the relay's Kafka send, billing's invoice
  and notify's email all carry the trace id the client started; an event a consumer causes
  (registration confirming on `invoice.paid.v1`) continues the trace of the event it consumed.
- The metrics the dashboard, the alerts and Grafana read are exported with real values.
- A service that stops answering shows as down on the dashboard within ten seconds.
"""

import asyncio
import json
import os
import secrets
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families
from rencontres_contracts import new_event
from rencontres_contracts.events.billing import InvoicePaidV1
from rencontres_infra.stack import Endpoints, Stack

from tests.helpers import eventually, mails_to, registration_mails, stand_request, unique_email

pytestmark = pytest.mark.infra


def spans(stack: Stack) -> list[dict[str, Any]]:
    path = Path(stack.state_dir) / "spans.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def in_trace(stack: Stack, trace_id: str) -> list[dict[str, Any]]:
    return [s for s in spans(stack) if s["trace_id"] == trace_id]


def has(found: list[dict[str, Any]], service: str, name: str) -> bool:
    return any(s["service"] == service and name in s["name"] for s in found)


async def test_a_submission_its_invoice_and_its_email_share_one_trace(
    stack: Stack, urls: dict[str, str], endpoints: Endpoints, http: httpx.AsyncClient
) -> None:
    trace_id = secrets.token_hex(16)
    email = unique_email("traced")
    response = await http.post(
        f"{urls['registration']}/api/registrations",
        json=stand_request(email),
        headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
    )
    assert response.status_code == 201, response.text

    async def whole_trace() -> list[dict[str, Any]] | None:
        found = in_trace(stack, trace_id)
        wanted = [
            ("registration", "POST /api/registrations"),
            ("registration", "registration.events send"),  # the relay, in the request's trace
            ("billing", "billing process registration.submitted.v1"),
            ("billing", "billing.insert"),  # the invoice written
            ("notify", "notify process registration.submitted.v1"),
        ]
        return found if all(has(found, *w) for w in wanted) else None

    found = await eventually(whole_trace, timeout=20)
    mails = await mails_to(http, endpoints.mail_url, email)
    # the email was sent inside notify's span of that trace
    assert len(registration_mails(mails)) == 1
    notify_writes = [s for s in found if s["service"] == "notify" and s["kind"] == "CLIENT"]
    assert notify_writes, "notify's delivery log write belongs to the trace"


async def test_an_event_a_consumer_causes_continues_the_trace_it_consumed(
    stack: Stack, urls: dict[str, str], endpoints: Endpoints, http: httpx.AsyncClient
) -> None:
    created = await http.post(
        f"{urls['registration']}/api/registrations", json=stand_request(unique_email("paid"))
    )
    assert created.status_code == 201 and created.json()["status"] == "reserved"
    trace_id = secrets.token_hex(16)
    paid = InvoicePaidV1(
        invoice_id=f"inv-{secrets.token_hex(6)}",
        invoice_number="F-2027-009999",
        registration_ids=[created.json()["id"]],
        amount_paid_cents=72000,
        paid_at="2027-10-10T14:00:00Z",  # type: ignore[arg-type]
    )
    event = new_event(
        paid,
        source="tests",
        subject=paid.invoice_id,
        traceparent=f"00-{trace_id}-{secrets.token_hex(8)}-01",
    )
    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait("billing.events", event.to_bytes(), key=b"inv")
    finally:
        await producer.stop()

    async def continued() -> list[dict[str, Any]] | None:
        found = in_trace(stack, trace_id)
        ok = has(found, "registration", "registration process invoice.paid.v1") and has(
            found, "notify", "notify process registration.confirmed.v1"
        )
        return found if ok else None

    await eventually(continued, timeout=20)


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, []).append((dict(s.labels), float(s.value)))
    return out


def value(found: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    return sum(
        v for lab, v in found.get(name, []) if all(lab.get(k) == w for k, w in labels.items())
    )


async def test_metrics_carry_the_figures_after_traffic(
    urls: dict[str, str], endpoints: Endpoints, http: httpx.AsyncClient
) -> None:
    edition = {"edition": "montpellier-2027-11-18"}
    stand = {**edition, "resource": "stand"}
    await asyncio.sleep(2.5)  # one sampling interval: the figures before are current
    before = samples((await http.get(f"{urls['registration']}/metrics")).text)
    booked_before = value(before, "registrations", offer="stand", **edition)
    left_before = value(before, "edition_places_left", **stand)
    billing_before = samples((await http.get(f"{urls['billing']}/metrics")).text)
    invoiced_before = value(billing_before, "invoiced_amount_cents", currency="EUR")
    notify_before = samples((await http.get(f"{urls['notify']}/metrics")).text)
    sent_before = value(notify_before, "messages", channel="email", outcome="sent")
    for _ in range(2):
        body = stand_request(unique_email("metrics"), edition="montpellier-2027-11-18")
        assert (await http.post(f"{urls['registration']}/api/registrations", json=body)).is_success
    producer = AIOKafkaProducer(bootstrap_servers=endpoints.kafka_bootstrap_servers)
    await producer.start()
    try:  # poison: both consumers of registration.events park it
        await producer.send_and_wait("registration.events", b"{not json", key=b"poison")
    finally:
        await producer.stop()

    async def scraped() -> dict[str, Any] | None:
        pages = {n: samples((await http.get(f"{u}/metrics")).text) for n, u in urls.items()}
        reg, notify, ops = pages["registration"], pages["notify"], pages["ops"]
        ready = (
            # two stands invoiced (600 EUR + VAT each) and their emails sent, read from the
            # billing and notify databases by each service's sampler
            value(pages["billing"], "invoiced_amount_cents", currency="EUR")
            >= invoiced_before + 2 * 72000
            and value(notify, "messages", channel="email", outcome="sent") >= sent_before + 2
            and value(reg, "registrations", offer="stand", **edition) >= booked_before + 2
            and value(reg, "edition_places_left", **stand) <= left_before - 2
            and value(notify, "dead_letters_total", topic="registration.events") >= 1
            and value(ops, "dead_letter_messages", topic="registration.events.dlt") >= 1
        )
        return pages if ready else None

    pages = await eventually(scraped, timeout=30)
    reg, billing, notify, ops = (pages[n] for n in ("registration", "billing", "notify", "ops"))
    route = {"handler": "/api/registrations", "method": "POST", "status": "201"}
    assert value(reg, "http_requests_total", **route) >= 2
    assert value(reg, "http_request_duration_seconds_count", handler="/api/registrations") >= 2
    assert value(reg, "events_produced_total", type="registration.submitted.v1") >= 2
    assert "outbox_pending" in reg and "outbox_oldest_entry_age_seconds" in reg
    assert value(reg, "edition_places_total", **stand) == 30  # the catalog's figure
    for consumer in (billing, notify):
        applied = value(consumer, "events_consumed_total", type="registration.submitted.v1")
        assert applied >= 2
        assert value(consumer, "event_handle_seconds_count") >= 1
        assert value(consumer, "events_consumed_total", outcome="dead_lettered") >= 1
    assert value(ops, "rencontres_service_up", service="billing") == 1
    assert {lab["group"] for lab, _ in ops["kafka_consumergroup_lag"]} >= {"billing", "notify"}
    assert "kafka_consumergroup_lag_seconds" in ops and "kafka_topic_messages_total" in ops


async def test_a_stopped_service_shows_down_within_ten_seconds(
    stack: Stack, urls: dict[str, str]
) -> None:
    group = stack.process_groups()["billing"]
    async with httpx.AsyncClient(base_url=urls["ops"], timeout=10) as ops:
        login = {"name": "staff", "password": "dev-ops-password-change-me"}
        assert (await ops.post("/login", data=login)).status_code == 303

        async def billing(up: bool) -> bool:
            services = (await ops.get("/api/overview")).json()["services"]
            return any(s["name"] == "billing" and s["up"] is up for s in services)

        os.killpg(group, signal.SIGSTOP)  # frozen: it answers nothing, like a dead process
        started = asyncio.get_running_loop().time()
        try:
            await eventually(lambda: billing(False), timeout=10)
            assert asyncio.get_running_loop().time() - started <= 10
        finally:
            os.killpg(group, signal.SIGCONT)
        await eventually(lambda: billing(True), timeout=10)
