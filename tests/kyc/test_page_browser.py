"""The hosted KYC page in Debian's Chromium (Playwright, `executable_path`; no browser is
downloaded), on a phone-sized screen, against the app served on a real socket.

Skipped only when /usr/bin/chromium is absent and CUSTOMERBASE_TEST_REQUIRE_BROWSER is not 1
(CI sets it: there the test fails instead)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from customerbase.app import create_app
from customerbase.kit.db import Database
from tests.conftest import Org
from tests.documents.support import png
from tests.kyc.conftest import served, settings_with
from tests.kyc.support import AYO

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("CUSTOMERBASE_TEST_REQUIRE_BROWSER") == "1"

if not CHROMIUM.exists() and not REQUIRE_BROWSER:
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

from playwright.async_api import Browser, Page, async_playwright  # noqa: E402

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest_asyncio.fixture(loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest_asyncio.fixture(loop_scope="session")
async def site(
    database: Database, org: Org, tmp_path: Path
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    app = create_app(settings_with(tmp_path / "data"), database=database)
    async with (
        served(app) as base,
        httpx.AsyncClient(base_url=base, headers=org.auth("test")) as client,
    ):
        yield base, client


async def link_for(client: httpx.AsyncClient, **overrides: Any) -> tuple[str, str]:
    payload = {**AYO, **overrides}
    payload = {k: v for k, v in payload.items() if v is not None}
    customer = (await client.post("/v1/customers", json=payload)).json()["data"]
    link = (await client.post(f"/v1/customers/{customer['id']}/kyc/link")).json()["data"]
    return customer["id"], link["kyc_link"]


async def fits_the_screen(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


async def test_a_customer_verifies_on_a_phone_after_one_refusal(
    browser: Browser, site: tuple[str, httpx.AsyncClient], tmp_path: Path
) -> None:
    _, client = site
    id_file, selfie_file = tmp_path / "licence.png", tmp_path / "selfie.png"
    id_file.write_bytes(png())
    selfie_file.write_bytes(png())
    customer_id, url = await link_for(client, date_of_birth=None)
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    try:
        await page.goto(url)
        assert await page.title() == "Verify your identity"
        await fits_the_screen(page)
        requirements = page.locator("#requirements li")
        assert await requirements.count() == 4
        assert "missing" in (await page.locator("li[data-field=date_of_birth]").inner_text())

        # A NIN whose record names someone else: refused, with the reason on the page.
        await page.select_option("#id_type", "nin")
        await page.fill("#id_number", "70000000002")
        await page.fill("#date_of_birth", "1994-04-14")
        await page.check("#accept_terms")
        await page.click("#submit")
        errors = page.locator("#errors")
        await errors.wait_for()
        assert "the name does not match the NIN record" in await errors.inner_text()
        await fits_the_screen(page)

        # The BVN that matches, with an ID document and a selfie: tier 1, documents in review.
        await page.select_option("#id_type", "bvn")
        await page.fill("#id_number", "22200000001")
        await page.fill("#date_of_birth", "1994-04-14")
        await page.select_option("#id_document_type", "drivers_license")
        await page.set_input_files("#id_document", str(id_file))
        await page.set_input_files("#selfie", str(selfie_file))
        await page.click("#submit")
        await page.locator("#done").wait_for()
        assert await page.locator("#tier").inner_text() == "1"
        assert await page.locator("#reviewing").is_visible()
        await fits_the_screen(page)

        got = (await client.get(f"/v1/customers/{customer_id}")).json()["data"]
        assert (got["kyc_tier"], got["kyc_status"], got["tos_status"]) == (1, "pending", "accepted")
        reviewed = await client.post(
            f"/v1/customers/{customer_id}/kyc/review", json={"decision": "approve"}
        )
        assert reviewed.json()["data"]["tier"] == 2

        # The link is used up now.
        await page.goto(url)
        assert "This link has already been used" in await page.locator("h1").inner_text()
    finally:
        await context.close()


async def test_a_tampered_link_shows_a_clear_page_in_the_browser(
    browser: Browser, site: tuple[str, httpx.AsyncClient]
) -> None:
    _, client = site
    _, url = await link_for(client)
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    try:
        response = await page.goto(url[:-2] + "xx")
        assert response is not None
        assert response.status == 404
        assert await page.locator("h1").inner_text() == "This link is not valid"
        await fits_the_screen(page)
    finally:
        await context.close()
