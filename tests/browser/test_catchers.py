"""What a person running the platform looks at: a registration's email in Mailpit's web
interface (rendered, with its headers) and its SMS on the SMS sink's page. Screenshots are
kept in `artefacts/catchers/` (gitignored)."""

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect
from rencontres_infra.stack import Endpoints

from tests.helpers import eventually, mail_summaries, stand_request, unique_email

pytestmark = pytest.mark.infra

ARTEFACTS = Path(__file__).resolve().parents[2] / "artefacts" / "catchers"
PHONE = "+33644556677"


async def test_the_email_shows_rendered_in_mailpit_and_the_sms_on_the_sink_page(
    browser: Browser, http: httpx.AsyncClient, urls: dict[str, str], endpoints: Endpoints
) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    email = unique_email("catchers")
    body = stand_request(email, phone="06 44 55 66 77", sms_consent=True)
    created = await http.post(f"{urls['registration']}/api/registrations", json=body)
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]

    async def received() -> list[Any]:
        found = await mail_summaries(http, endpoints.mail_url, f"to:{email}")
        return [m for m in found if m["Subject"].startswith("Inscription enregistrée")]

    [summary] = await eventually(received, timeout=40)
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await page.goto(f"{endpoints.mail_url}/view/{summary['ID']}")
    await expect(page.get_by_text(summary["Subject"]).first).to_be_visible()
    preview = page.frame_locator("#preview-html")  # the HTML part, as a mail client shows it
    await expect(preview.get_by_text(reference).first).to_be_visible()
    await page.screenshot(path=ARTEFACTS / "mailpit-email.png")
    await page.locator("#nav-headers-tab").click()
    headers = page.locator("#nav-headers")
    await expect(headers).to_have_class(re.compile(r"\bshow\b"))  # Bootstrap's fade is over
    await expect(headers).to_contain_text("X-Rencontres-Delivery")
    await expect(headers).to_contain_text("Message-Id")
    await page.wait_for_timeout(300)  # the fade-in's end, for the picture
    await page.screenshot(path=ARTEFACTS / "mailpit-headers.png")

    async def texted() -> list[Any]:
        sent = (await http.get(f"{endpoints.sinks_url}/api/sms", params={"to": PHONE})).json()
        return [s for s in sent if reference in s["text"]]

    await eventually(texted, timeout=40)
    await page.goto(f"{endpoints.sinks_url}/?to=%2B33644556677")
    item = page.locator("li.sms", has_text=reference)
    await expect(item).to_contain_text(PHONE)
    await expect(item.locator(".cost")).to_contain_text("segment")
    await page.screenshot(path=ARTEFACTS / "sms-sink.png", full_page=True)
    await page.close()
