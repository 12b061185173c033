"""The ops dashboard in a real browser (Debian's Chromium through Playwright).

Sign in, watch the overview fill in by itself after traffic, open a dead letter injected on
purpose, replay it from its page, and see it processed once. Screenshots of every step are
kept in `artefacts/ops-dashboard/` (gitignored) to look at.
"""

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect
from pymongo import AsyncMongoClient
from rencontres_infra.stack import Endpoints

from tests.helpers import eventually, mails_to, registration_mails, stand_request, unique_email
from tests.test_ops_dashboard import inject_dead_letter, submitted_event

pytestmark = pytest.mark.infra

ARTEFACTS = Path(__file__).resolve().parents[2] / "artefacts" / "ops-dashboard"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


async def shot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


async def sign_in(page: Page, ops: str) -> None:
    await page.goto(f"{ops}/")
    await expect(page).to_have_url(re.compile(r"/login$"))
    await shot(page, "01-login")
    await page.get_by_label("Name").fill("staff")
    await page.get_by_label("Password").fill("dev-ops-password-change-me")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{ops}/")


async def test_sign_in_watch_figures_and_replay_a_dead_letter_once(
    browser: Browser,
    urls: dict[str, str],
    endpoints: Endpoints,
    http: httpx.AsyncClient,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await sign_in(page, urls["ops"])
    before = await page.locator('[data-stage="submitted"]').inner_text()

    for _ in range(4):
        body = stand_request(unique_email("browser"), edition="montpellier-2027-11-17")
        assert (await http.post(f"{urls['registration']}/api/registrations", json=body)).is_success

    # no reload: the page refreshes itself until the new figures show
    submitted = page.locator('[data-stage="submitted"]')
    await expect(submitted).not_to_have_text(before, timeout=20_000)
    await expect(submitted).to_have_text(re.compile(r"^[1-9]\d*$"))
    await expect(page.locator('[data-stage="reserved"]')).to_have_text(re.compile(r"^[1-9]\d*$"))
    for name in ("registration", "billing", "notify"):
        await expect(page.locator(f'[data-service="{name}"]')).to_contain_text("ready")
    await expect(page.locator("#places")).to_contain_text("montpellier-2027-11-17")
    await shot(page, "02-overview-after-traffic")
    phone = await browser.new_context(viewport=PHONE)
    phone_page = await phone.new_page()
    await phone_page.context.add_cookies(await context.cookies())
    await phone_page.goto(f"{urls['ops']}/")
    await shot(phone_page, "03-overview-on-a-phone")
    await phone.close()

    email = unique_email("browser.dlt")
    registration_id, value = submitted_event(email)
    await inject_dead_letter(endpoints, value, registration_id.encode())
    await page.get_by_role("link", name="Dead letters").first.click()
    row = page.locator("tr", has_text="registration.events.dlt").filter(has_text="parked")
    await expect(row.first).to_be_visible(timeout=10_000)
    await shot(page, "04-dead-letters")

    # open the one we injected: its page shows the payload with personal data masked
    refs = await page.locator("tr[data-ref]").evaluate_all("rows => rows.map(r => r.dataset.ref)")
    ours = None
    for ref in refs:
        await page.goto(f"{urls['ops']}/dead-letters/{ref}")
        if registration_id in await page.locator("#payload").inner_text():
            ours = ref
            break
    assert ours, "the injected dead letter is listed"
    payload = await page.locator("#payload").inner_text()
    assert email not in payload and "Claire Martin" not in payload and '"***"' in payload
    await shot(page, "05-dead-letter-masked")

    await page.get_by_role("button", name=re.compile("^Replay to")).click()
    await expect(page).to_have_url(re.compile(r"/dead-letters\?replayed=1"))
    await expect(page.locator(f'tr[data-ref="{ours}"]')).to_contain_text("replayed")
    await shot(page, "06-replayed")

    async def mails() -> list[Any]:
        return registration_mails(await mails_to(http, endpoints.mail_url, email))

    assert len(await eventually(mails)) == 1
    await page.goto(f"{urls['ops']}/dead-letters/{ours}")
    await expect(page.locator("#state")).to_have_text("replayed")
    assert await page.get_by_role("button", name=re.compile("^Replay to")).count() == 0
    await asyncio.sleep(2)  # anything processed twice would have mailed again by now
    assert len(await mails()) == 1
    invoices = mongo["billing"]["invoices"]
    assert await invoices.count_documents({"registration_ids": registration_id}) == 1
    await context.close()
