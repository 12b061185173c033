"""The staff preview on the running service: every message of the table, in both languages,
from the contract's sample data, behind the staff token."""

import httpx
import pytest
from rencontres_notify.messages import MESSAGES

from tests.helpers import STAFF

pytestmark = pytest.mark.infra


async def test_staff_preview_every_message_in_both_languages(
    http: httpx.AsyncClient, urls: dict[str, str]
) -> None:
    base = f"{urls['notify']}/api/staff/preview"
    for event_type in MESSAGES:
        for language in ("fr", "en"):
            response = await http.get(
                f"{base}/{event_type}", params={"language": language}, headers=STAFF
            )
            assert response.status_code == 200, (event_type, language, response.text)
            body = response.json()
            assert body["subject"] and body["text"] and f'lang="{language}"' in body["html"]
            if body["sms"] is not None:
                assert body["sms_segments"] <= 2
    page = await http.get(f"{base}/invoice.issued.v1/email.html", headers=STAFF)
    assert page.headers["content-type"].startswith("text/html") and "FAC-" in page.text
    assert (await http.get(f"{base}/invoice.issued.v1")).status_code == 401
    assert (await http.get(f"{base}/nope.v1", headers=STAFF)).status_code == 404
    wrong = await http.get(f"{base}/invoice.issued.v1", params={"language": "de"}, headers=STAFF)
    assert wrong.status_code == 422 and "language" in wrong.text
