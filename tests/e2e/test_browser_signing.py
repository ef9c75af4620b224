"""A real browser (Chromium through Playwright) activates an account and signs in the sandbox.

The sandbox runs on uvicorn with a partner whose redirect URLs point at a test
receiver on another port. The partner's side (register, send, links) goes
through the `digisign` client; the signer's side is Chromium clicking the
buttons. What the receiver gets, from the browser and from the sandbox's own
server-side call, must decrypt with the `digisign` cipher to the right redirect.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, async_playwright

from digisign.cipher import RedirectCipher
from digisign.client import DigisignClient
from digisign.redirects import DocumentStatus, parse_activation_redirect, parse_sign_redirect
from digisign.requests import DownloadRequest
from sandbox.agreement import sample_agreement
from sandbox.pdf import page_count, page_text
from tests.integration import flows, harness
from tests.integration.harness import People, Person, ReceivedRedirect, Receiver, RunningSandbox

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE_TIMEOUT_MS = 15_000
DOCUMENT_ID = "E2E-BROWSER-0001"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with harness.run_receiver() as server:
        yield server.receiver()


@pytest.fixture
def sandbox(receiver: Receiver) -> Iterator[RunningSandbox]:
    with harness.start_sandbox(receiver) as running:
        yield running


@pytest.fixture
async def digisign(sandbox: RunningSandbox) -> AsyncIterator[DigisignClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield DigisignClient(sandbox.client_config(), http=http)


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """Headless Chromium with a fresh profile of its own."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            tmp_path / "profile",
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        try:
            yield context
        finally:
            await context.close()


@pytest.fixture
def person() -> Person:
    return People()("Siti Rahma")


async def click_and_land(page: Page, button: str, destination: str) -> None:
    """Click a button and wait until the browser arrives at `destination` (any query)."""
    await page.click(button)
    await page.wait_for_url(lambda url: url.startswith(f"{destination}?"))


async def both_copies(receiver: Receiver, kind: str) -> tuple[ReceivedRedirect, ReceivedRedirect]:
    """The browser's and the sandbox server's copies of one redirect."""
    received = await asyncio.to_thread(receiver.wait_for, 2, kind=kind, timeout=10.0)
    by_server = [r for r in received if r.from_server]
    by_browser = [r for r in received if not r.from_server]
    assert (len(by_browser), len(by_server)) == (1, 1), received
    return by_browser[0], by_server[0]


async def test_a_browser_activates_then_signs_and_the_partner_gets_both_redirects(
    sandbox: RunningSandbox,
    receiver: Receiver,
    digisign: DigisignClient,
    browser: BrowserContext,
    person: Person,
    tmp_path: Path,
) -> None:
    cipher = RedirectCipher(sandbox.partner.aes_key)
    page = await browser.new_page()

    await flows.register(digisign, person)
    await page.goto(await flows.activation_link(digisign, person))
    await click_and_land(page, "#activate", receiver.activation_url)

    from_browser, from_server = await both_copies(receiver, "activation")
    assert from_browser.msg == from_server.msg
    assert page.url == f"{receiver.activation_url}?msg={from_browser.msg}"
    activation = parse_activation_redirect(cipher.decrypt(from_browser.msg))
    assert activation.succeeded
    assert (activation.email_user, activation.nik) == (person.email, person.nik)

    agreement = sample_agreement(
        title="PERJANJIAN PINJAMAN", loan_id=DOCUMENT_ID, parties=["Debitur"]
    )
    await flows.send(digisign, DOCUMENT_ID, agreement, [flows.signer(person, 0)])
    response = await page.goto(await flows.sign_link(digisign, DOCUMENT_ID, person))
    assert response is not None
    assert response.status == 200
    screenshot = tmp_path / "sign-page.png"
    await page.screenshot(path=screenshot, full_page=True)
    await click_and_land(page, "#sign", receiver.sign_url)

    from_browser, from_server = await both_copies(receiver, "sign")
    assert from_browser.msg == from_server.msg
    signed = parse_sign_redirect(cipher.decrypt(from_browser.msg))
    assert signed.signed
    assert signed.email_user == person.email
    assert signed.document_id == DOCUMENT_ID
    assert signed.status_document is DocumentStatus.COMPLETE
    assert "Terima kasih" in await page.inner_text("body")

    png = screenshot.read_bytes()
    assert len(png) > len(PNG_SIGNATURE)
    assert png.startswith(PNG_SIGNATURE)

    downloaded = await digisign.download(DownloadRequest(document_id=DOCUMENT_ID))
    assert downloaded.content != agreement
    assert page_count(downloaded.content) == page_count(agreement)
    assert person.name not in page_text(agreement, 2)
    assert person.name in page_text(downloaded.content, 2)


async def test_a_used_sign_link_shows_the_browser_a_401_page(
    sandbox: RunningSandbox,
    receiver: Receiver,
    digisign: DigisignClient,
    browser: BrowserContext,
    person: Person,
) -> None:
    page = await browser.new_page()
    await flows.register(digisign, person)
    await page.goto(await flows.activation_link(digisign, person))
    await click_and_land(page, "#activate", receiver.activation_url)
    agreement = sample_agreement(title="PERJANJIAN PINJAMAN", loan_id="E2E-2", parties=[])
    await flows.send(digisign, "E2E-BROWSER-0002", agreement, [flows.signer(person, 0)])
    link = await flows.sign_link(digisign, "E2E-BROWSER-0002", person)
    await page.goto(link)
    await click_and_land(page, "#sign", receiver.sign_url)

    again = await page.goto(link)

    assert again is not None
    assert again.status == 401
    assert await page.locator("#sign").count() == 0
