"""Opening a shared stand emails the opener the invitation link to pass on (issue 9), through
registration's public API, Kafka, notify and the real SMTP catcher."""

from typing import Any

import httpx
import pytest
from rencontres_infra.stack import Endpoints

from tests.helpers import eventually, mails_to, stand_request, unique_email

pytestmark = pytest.mark.infra


async def test_the_opener_gets_the_invitation_link_the_api_returned(
    http: httpx.AsyncClient, urls: dict[str, str], endpoints: Endpoints
) -> None:
    email = unique_email("opener")
    opened = await http.post(
        f"{urls['registration']}/api/pools",
        json={
            "edition_id": "fuzz-2027-11-19",
            "pool_name": "PME du Gard",
            "contact": {"name": "Claire Martin", "email": email},
            "organisation": stand_request(email)["organisation"],
            "data_consent": True,
        },
    )
    assert opened.status_code == 201, opened.text
    invitation_url: str = opened.json()["invitation_url"]
    reference: str = opened.json()["registration"]["reference"]

    async def invitation_mails() -> list[Any] | None:
        found = [
            m
            for m in await mails_to(http, endpoints.mail_url, email)
            if invitation_url in m["text"]
        ]
        return found or None

    [mail] = await eventually(invitation_mails, timeout=40)
    assert mail["subject"].startswith("Votre stand partagé est ouvert")
    assert reference in mail["subject"]
    assert "« PME du Gard »" in mail["text"]
    assert "Référence : " + reference in mail["text"]
    assert "d'ici le " in mail["text"]  # the deadline, in Paris time (rendered by Babel)
