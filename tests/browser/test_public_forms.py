"""The public forms in a real browser (Debian's Chromium through Playwright), in both languages.

Each kind of form is filled and sent as a person would, the confirmation page shows the
reference, the email arrives in the SMTP catcher, and axe-core finds no serious or critical
accessibility problem on any kind of page, error states included.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, ViewportSize
from pymongo import AsyncMongoClient
from rencontres_infra.stack import Endpoints

from tests.helpers import eventually, mails_to, registration_mails, unique_email

pytestmark = pytest.mark.infra

HERE = Path(__file__).parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
SIRET = "732 829 320 00074"
SCREENSHOTS = os.environ.get("RENCONTRES_SCREENSHOTS")  # a folder, to look at the pages

CONFIRMED = {"fr": "Merci, votre demande est bien enregistrée", "en": "Thank you, your request"}


@pytest.fixture(scope="module")
def axe_script() -> Path:
    if not AXE.exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed for axe-core (apt-get install -y npm)"
        subprocess.run([npm, "ci", "--prefix", str(HERE), "--no-audit", "--no-fund"], check=True)
    return AXE


async def _page(browser: Browser, viewport: ViewportSize = DESKTOP) -> Page:
    # The pages forbid every script by CSP; bypassing it lets the test inject axe-core.
    context = await browser.new_context(viewport=viewport, bypass_csp=True)
    return await context.new_page()


async def _axe(page: Page, axe: Path, what: str) -> None:
    # a click on a link returns once the navigation started: the new document may have no
    # <head> yet to take the script (seen under load)
    await page.wait_for_load_state("load")
    await page.add_script_tag(path=str(axe))
    result: dict[str, Any] = await page.evaluate("axe.run()")
    assert result["passes"], f"{what}: axe-core checked nothing"
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    for violation in bad:
        print(f"{what}: {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            print("   ", node["target"], node.get("failureSummary", ""))
    assert not bad, f"{what}: {len(bad)} serious or critical accessibility violations"


async def _screenshot(page: Page, name: str, full_page: bool = False) -> None:
    if SCREENSHOTS:
        await page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=full_page)


async def _mails(endpoints: Endpoints, email: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=5) as http:
        return await mails_to(http, endpoints.mail_url, email)


async def _confirmed(page: Page, language: str, endpoints: Endpoints, email: str) -> str:
    """The confirmation page shows the reference; the email names it. Returns the reference."""
    await page.wait_for_url(re.compile(r"/r/[^?]+\?t=.+&new=1"))
    assert CONFIRMED[language] in await page.locator("h1").inner_text()
    assert await page.locator("html").get_attribute("lang") == language
    reference = (await page.locator("#reference").inner_text()).strip()
    assert re.fullmatch(r"RC-[0-9A-Z]{4}-[0-9A-Z]{4}", reference), reference
    mails = await eventually(lambda: _mails(endpoints, email))
    assert any(reference in mail["subject"] for mail in mails), mails
    return reference


async def _contact(page: Page, email: str, name: str = "Claire Martin") -> None:
    await page.fill("#f-contact-name", name)
    await page.fill("#f-contact-email", email)


async def _company(page: Page, siret: str = SIRET) -> None:
    await page.fill("#f-organisation-legal-name", "Céramiques du Gard SAS")
    await page.fill("#f-organisation-siret", siret)
    await page.fill("#f-organisation-billing-address-line1", "6 avenue de Clavières")
    await page.fill("#f-organisation-billing-address-postal-code", "30100")
    await page.fill("#f-organisation-billing-address-city", "Alès")


async def _open(page: Page, base: str, language: str, path: str = "/") -> None:
    await page.goto(f"{base}{path}?lang={language}")
    assert await page.locator("html").get_attribute("lang") == language


@pytest.mark.parametrize(("language", "viewport"), [("fr", PHONE), ("en", DESKTOP)])
async def test_company_stand(
    browser: Browser,
    axe_script: Path,
    urls: dict[str, str],
    endpoints: Endpoints,
    language: str,
    viewport: ViewportSize,
) -> None:
    page = await _page(browser, viewport)
    await _open(page, urls["registration"], language)
    await _axe(page, axe_script, "landing")
    await _screenshot(page, f"landing-{language}", full_page=True)
    await page.click("a[href='/register/stand']")
    await _axe(page, axe_script, "stand form")
    email = unique_email(f"stand-{language}")
    await page.check("#f-edition-id")  # the first edition: IMT Mines Alès, 17 November
    await _contact(page, email)
    await page.fill("#f-contact-phone", "06 12 34 56 78")
    await _company(page)
    await page.check("#f-data-consent")
    await page.check("#f-contact-sms-consent")
    await page.click("button[type=submit]")
    await _confirmed(page, language, endpoints, email)
    assert await page.locator("#status").inner_text() in (
        "réservée, en attente de paiement",
        "reserved, awaiting payment",
    )
    await _axe(page, axe_script, "confirmation")
    if viewport == PHONE:
        await _screenshot(page, "stand-confirmation-phone", full_page=True)
    await page.context.close()


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_student_pass_then_cancel(
    browser: Browser, axe_script: Path, urls: dict[str, str], endpoints: Endpoints, language: str
) -> None:
    page = await _page(browser, PHONE if language == "en" else DESKTOP)
    await _open(page, urls["registration"], language, "/register/student")
    await _axe(page, axe_script, "student form")
    email = unique_email(f"student-{language}")
    await page.check("#f-edition-id-4")  # ENSCM Montpellier, 18 November
    await _contact(page, email, "Léa Dubois")
    await page.select_option("#f-student-school", "enscm")
    await page.fill("#f-student-programme", "Cycle ingénieur")
    await page.fill("#f-student-year", "2")
    await page.check("#f-data-consent")
    await page.click("button[type=submit]")
    await _confirmed(page, language, endpoints, email)
    assert await page.locator("#status").inner_text() in ("confirmée", "confirmed")

    await page.click("text=" + ("Annuler mon inscription" if language == "fr" else "Cancel my"))
    await _axe(page, axe_script, "cancel confirmation")
    await page.click("button.danger")
    await page.wait_for_url(re.compile(r"done=cancelled"))
    assert await page.locator("#status").inner_text() in ("annulée", "cancelled")
    await page.context.close()


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_incubator_application(
    browser: Browser, axe_script: Path, urls: dict[str, str], endpoints: Endpoints, language: str
) -> None:
    page = await _page(browser)
    await _open(page, urls["registration"], language, "/register/incubator")
    email = unique_email(f"startup-{language}")
    await _contact(page, email, "Hugo Lambert")
    await page.fill("#f-startup-project-name", "Argile Verte")
    await page.fill("#f-startup-founders", "Hugo Lambert\nSarah Benali")
    await page.fill("#f-startup-description", "Des briques crues à base d'argile locale du Gard.")
    await page.select_option("#f-startup-stage", "prototype")
    await page.check("#f-data-consent")
    await page.click("button[type=submit]")
    await _confirmed(page, language, endpoints, email)
    await _axe(page, axe_script, "incubator confirmation")
    await page.context.close()


@pytest.mark.parametrize(("opener", "member"), [("fr", "en"), ("en", "fr")])
async def test_shared_stand_opened_then_joined_by_invitation(
    browser: Browser,
    axe_script: Path,
    urls: dict[str, str],
    endpoints: Endpoints,
    opener: str,
    member: str,
) -> None:
    page = await _page(browser, PHONE)
    await _open(page, urls["registration"], opener, "/pools/new")
    await _axe(page, axe_script, "open a shared stand")
    email = unique_email(f"pool-{opener}")
    await page.fill("#f-pool-name", "PME du Gard")
    await page.check("#f-edition-id-2")
    await _contact(page, email)
    await _company(page)
    await page.check("#f-data-consent")
    await page.click("button[type=submit]")
    await _confirmed(page, opener, endpoints, email)
    invitation = await page.input_value("#invitation")
    assert "/pools/" in invitation and "k=" in invitation
    await _axe(page, axe_script, "invitation page")
    if opener == "fr":
        await _screenshot(page, "pool-invitation-phone", full_page=True)

    guest = await _page(browser)
    await guest.goto(f"{invitation}&lang={member}")
    assert "PME du Gard" in await guest.locator("main").inner_text()
    await _axe(guest, axe_script, "join form")
    guest_email = unique_email(f"pool-guest-{member}")
    await _contact(guest, guest_email, "Marc Vidal")
    await _company(guest, "443 061 841 00005")
    await guest.check("#f-data-consent")
    await guest.click("button[type=submit]")
    await _confirmed(guest, member, endpoints, guest_email)
    assert re.search(
        r"2 (entreprise\(s\) sur|company\(ies\) out of) 4", await guest.inner_text("main")
    )
    await page.context.close()
    await guest.context.close()


async def test_invalid_form_shows_each_message_next_to_its_field_and_stores_nothing(
    browser: Browser,
    axe_script: Path,
    urls: dict[str, str],
    endpoints: Endpoints,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    page = await _page(browser, PHONE)
    await _open(page, urls["registration"], "fr", "/register/stand")
    email = unique_email("invalid")
    await page.check("#f-edition-id")
    await _contact(page, email)
    await _company(page, siret="732 829 320 00075")  # wrong check key
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.click("button[type=submit]")
    assert (await posted.value).status == 422

    for field, words in (("organisation-siret", "SIRET"), ("data-consent", "accepter")):
        control = page.locator(f"#f-{field}")
        assert await control.get_attribute("aria-invalid") == "true"
        described = await control.get_attribute("aria-describedby") or ""
        assert f"f-{field}-error" in described.split()
        assert words in await page.locator(f"#f-{field}-error").inner_text()
        assert await page.locator(f"#error-summary a[href='#f-{field}']").count() == 1
    assert await page.input_value("#f-contact-email") == email  # values are kept
    assert await page.input_value("#f-organisation-siret") == "732 829 320 00075"
    await _axe(page, axe_script, "form with errors")
    await _screenshot(page, "stand-errors-summary-phone")
    await page.locator("#f-organisation-siret").scroll_into_view_if_needed()
    await _screenshot(page, "stand-errors-siret-phone")
    registrations = mongo["registration"]["registrations"]
    assert await registrations.find_one({"contact.email": email}) is None

    # Corrected, it goes through, and only that one registration ever sent an email.
    await page.fill("#f-organisation-siret", SIRET)
    await page.check("#f-data-consent")
    await page.click("button[type=submit]")
    await _confirmed(page, "fr", endpoints, email)
    assert len(registration_mails(await _mails(endpoints, email))) == 1
    assert await registrations.count_documents({"contact.email": email}) == 1
    await page.context.close()


async def test_honeypot_pretends_and_keeps_nothing(
    browser: Browser, urls: dict[str, str], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    page = await _page(browser)
    await _open(page, urls["registration"], "en", "/register/student")
    email = unique_email("bot")
    await page.check("#f-edition-id")
    await _contact(page, email, "Bot")
    await page.select_option("#f-student-school", "other")
    await page.fill("#f-student-programme", "Spam")
    await page.fill("#f-student-year", "1")
    await page.check("#f-data-consent")
    await page.locator("#f-website-url").fill("http://spam.example", force=True)
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.click("button[type=submit]")
    assert (await posted.value).status == 200
    assert "Thank you" in await page.locator("h1").inner_text()
    assert await mongo["registration"]["registrations"].find_one({"contact.email": email}) is None
    await page.context.close()


async def test_bad_links_csrf_and_a_double_click(
    urls: dict[str, str],
) -> None:
    base = urls["registration"]
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        for wrong in ("/pools/nope/join?k=wrong-key-123", "/r/nope?t=wrong", "/r/nope"):
            assert (await http.get(wrong)).status_code == 404, wrong
        refused = await http.post("/register/student", data={"contact.name": "x"})
        assert refused.status_code == 403
        assert "Recharger le formulaire" in refused.text

        form = (await http.get("/register/student")).text
        hidden = dict(re.findall(r'name="(csrf_token|idempotency_key)" value="([^"]+)"', form))
        body = {
            **hidden,
            "edition_id": "montpellier-2027-11-18",
            "contact.name": "Léa Dubois",
            "contact.email": unique_email("double"),
            "student.school": "imt_mines_ales",
            "student.programme": "Cycle ingénieur",
            "student.year": "3",
            "data_consent": "on",
        }
        first = await http.post("/register/student", data=body)
        second = await http.post("/register/student", data=body)
        assert first.status_code == second.status_code == 303
        assert first.headers["location"] == second.headers["location"]
