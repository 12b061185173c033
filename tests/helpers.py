"""Small helpers for cross-service tests: polling, request bodies, and reading Mailpit."""

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from email.header import decode_header, make_header
from typing import Any, TypeVar

import httpx

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


# ---------------------------------------------------------------- Mailpit (the SMTP catcher)

PAGE = 500


async def mail_summaries(http: httpx.AsyncClient, mail_url: str | None, query: str) -> list[Any]:
    """Every email Mailpit's search finds for `query` (its syntax: `to:x@y`), oldest first, as
    Mailpit lists them (`ID`, `MessageID`, `To`, `Subject`, `Created`, ...), page by page."""
    found: list[Any] = []
    while True:
        response = await http.get(
            f"{mail_url}/api/v1/search",
            params={"query": query, "start": len(found), "limit": PAGE},
        )
        response.raise_for_status()
        page = response.json()
        found += page["messages"]
        if not page["messages"] or len(found) >= page["messages_count"]:
            return found[::-1]  # Mailpit lists newest first


def _header(values: list[str]) -> str:
    return ", ".join(str(make_header(decode_header(v))) for v in values)


async def mail(http: httpx.AsyncClient, mail_url: str | None, mailpit_id: str) -> dict[str, Any]:
    """One email as Mailpit parsed it: its text and HTML parts and its headers (decoded)."""
    message = await http.get(f"{mail_url}/api/v1/message/{mailpit_id}")
    message.raise_for_status()
    headers = await http.get(f"{mail_url}/api/v1/message/{mailpit_id}/headers")
    headers.raise_for_status()
    m, h = message.json(), {k: _header(v) for k, v in headers.json().items()}
    envelope = [a["Address"] for a in (m["To"] or []) + (m["Cc"] or []) + (m["Bcc"] or [])]
    return {
        "id": m["ID"],
        "message_id": f"<{m['MessageID']}>",
        "subject": m["Subject"],
        "from": h.get("From", ""),
        "to": h.get("To", ""),
        "envelope_to": ", ".join(envelope),
        "date": h.get("Date", ""),
        "headers": h,
        "text": m["Text"],
        "html": m["HTML"],
    }


def _recipients(summary: dict[str, Any]) -> list[str]:
    """Where the email went: its To and Cc addresses, and Bcc (Mailpit lists there the envelope
    recipients no header names)."""
    listed = (summary["To"] or []) + (summary["Cc"] or []) + (summary["Bcc"] or [])
    return [str(a["Address"]).lower() for a in listed]


async def _sent_to(http: httpx.AsyncClient, mail_url: str | None, address: str) -> list[Any]:
    """Summaries of the emails one of whose recipient addresses contains `address`: Mailpit's
    `to:` search also matches display names, which must not count (a name may quote an
    address without it being one)."""
    found = await mail_summaries(http, mail_url, f"to:{address}")
    return [s for s in found if any(address.lower() in a for a in _recipients(s))]


async def mails_to(http: httpx.AsyncClient, mail_url: str | None, address: str) -> list[Any]:
    """The emails whose recipients contain `address` (a whole address, or a part such as a
    domain), oldest first, each read whole through Mailpit's API."""
    return [await mail(http, mail_url, s["ID"]) for s in await _sent_to(http, mail_url, address)]


async def message_ids_to(http: httpx.AsyncClient, mail_url: str | None, address: str) -> list[str]:
    """The Message-ID of each email to `address`, one per copy caught (cheap: summaries only)."""
    return [f"<{s['MessageID']}>" for s in await _sent_to(http, mail_url, address)]


async def set_chaos(
    http: httpx.AsyncClient,
    mail_url: str | None,
    recipient: tuple[int, int] = (451, 0),
    sender: tuple[int, int] = (451, 0),
) -> None:
    """Mailpit's chaos (`--enable-chaos`): answer RCPT TO (or MAIL FROM) with this SMTP code,
    with this probability in percent; (code, 0) turns the trigger off."""
    body = {
        "Recipient": {"ErrorCode": recipient[0], "Probability": recipient[1]},
        "Sender": {"ErrorCode": sender[0], "Probability": sender[1]},
    }
    response = await http.put(f"{mail_url}/api/v1/chaos", json=body)
    response.raise_for_status()
