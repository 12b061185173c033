"""Every service refuses an oversized body with 413 before reading it whole (the kit's limit),
and a control character in the address with 422 naming the parameter instead of a 500 from the
database (the kit's middleware; billing's own parameter patterns)."""

import httpx
import pytest

from tests.helpers import STAFF

pytestmark = pytest.mark.infra

ENDPOINTS = [
    ("billing", "/api/webhooks/payments"),
    ("notify", "/webhooks/sms/inbound"),
    ("ops", "/login"),
    ("registration", "/api/registrations"),
]


@pytest.mark.parametrize(("service", "path"), ENDPOINTS, ids=[s for s, _ in ENDPOINTS])
async def test_a_body_over_the_limit_gets_413(
    http: httpx.AsyncClient, urls: dict[str, str], service: str, path: str
) -> None:
    response = await http.post(f"{urls[service]}{path}", content=b"a" * 2_000_000)
    assert response.status_code == 413, response.text[:300]
    assert response.json() == {"detail": "request body too large"}


READS = [
    ("billing", "/api/staff/invoices", "registration_id"),
    ("notify", "/api/staff/deliveries", "registration_id"),
    ("ops", "/api/dead-letters", "topic"),
    ("registration", "/api/staff/registrations", "q"),
]


@pytest.mark.parametrize(("service", "path", "name"), READS, ids=[s for s, _, _ in READS])
async def test_a_control_character_in_a_query_parameter_gets_422_naming_it(
    http: httpx.AsyncClient, urls: dict[str, str], service: str, path: str, name: str
) -> None:
    # with a staff token: billing checks its parameters after authentication
    response = await http.get(f"{urls[service]}{path}", params={name: "ab\x00c"}, headers=STAFF)
    assert response.status_code == 422, response.text[:300]
    assert response.json()["detail"][0]["loc"] == ["query", name]
