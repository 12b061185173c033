"""Small helpers for cross-service tests: polling and request bodies."""

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]], timeout: float = 20.0, interval: float = 0.1
) -> T:
    """Poll until `probe` returns something truthy; fail with the timeout otherwise."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"nothing after {timeout}s from {probe}")
        await asyncio.sleep(interval)


def unique_email(prefix: str = "person") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@example.fr"


def stand_request(email: str, edition: str = "ales-2027-11-17", **contact: Any) -> dict[str, Any]:
    return {
        "offer": "stand",
        "edition_id": edition,
        "contact": {"name": "Claire Martin", "email": email, **contact},
        "organisation": {
            "legal_name": "Céramiques du Gard SAS",
            "siret": "732 829 320 00074",
            "billing_address": {
                "line1": "6 avenue de Clavières",
                "postal_code": "30100",
                "city": "Alès",
            },
        },
        "data_consent": True,
    }


def student_request(email: str, edition: str = "montpellier-2027-11-18") -> dict[str, Any]:
    return {
        "offer": "student_pass",
        "edition_id": edition,
        "contact": {"name": "Léa Dubois", "email": email, "language": "en"},
        "student": {"school": "enscm", "programme": "Chimie", "year": 2},
        "data_consent": True,
    }


STAFF_TOKEN = "dev-staff-token-change-me"
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}


BILLING_DOCUMENT = re.compile(r"\b(?:FAC|AV)-\d{4}-\d{6}\b")
"""An invoice or credit note number, as billing's emails name it in their subject."""


def registration_mails(mails: list[Any]) -> list[Any]:
    """The registration's own emails, without those about its invoices and credit notes
    (a reserved stand is also invoiced, and that email goes to the same address)."""
    return [m for m in mails if not BILLING_DOCUMENT.search(m["subject"])]
