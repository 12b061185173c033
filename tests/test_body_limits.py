"""Every service refuses an oversized body with 413 before reading it whole (the kit's limit)."""

import httpx
import pytest

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
