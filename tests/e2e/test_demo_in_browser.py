"""The demo of issue 6 in a real browser: borrowers sign in Chromium, an operator reads the UI.

`signflow dev`'s own processes (`workers.dev.start_processes`: the Temporal dev server
with its UI on :8233 and the gateway as the UI's codec endpoint, the Digisign sandbox,
the worker, the gateway) run in a fresh data directory. The test plays the lender: it
posts one loan event (two borrowers, in sequence) and polls the lifecycle's status.
Where `signflow dev` sends the signer robot, Chromium opens each activation and sign
link as that borrower, clicks the button, and lands on the gateway's page; the
gateway's redirects drive the lifecycle to a signed PDF.

Then Chromium opens the Temporal UI as an operator would: the lifecycle is listed
under its `LoanId` search attribute (and another loan id lists nothing), and its
workflow page shows the decoded input, which the UI got from the gateway's codec
endpoint from the browser. A plain Temporal client without the codec shows what
Temporal stores: the input is encrypted; the codec endpoint turns it back into the
loan event.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from google.protobuf import json_format
from playwright.async_api import Browser, BrowserContext, Page, Response, async_playwright, expect
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from activities.blobs import FilesystemBlobStore
from tests.e2e.test_browser_signing import CHROMIUM, CHROMIUM_ARGS
from workers import dev
from workflows.names import workflow_id

AUTH = {"Authorization": f"Bearer {dev.EVENT_TOKEN}"}
CODEC_DECODE = f"{dev.GATEWAY}/codec/decode"
UI_ORIGIN = dev.UI  # http://localhost:8233: the origin the codec endpoint allows by default
PAGE_TIMEOUT_MS = 15_000
UI_TIMEOUT_MS = 30_000  # the UI is a single-page app: it renders after several API calls
LIFECYCLE_TIMEOUT_S = 60
VISIBILITY_TIMEOUT_S = 15
LIST_ROW = '[data-testid="workflows-summary-configurable-table-row"]'
INPUT_AND_RESULT = "input-and-result"  # data-testid of the workflow page's two panels


@dataclass
class Stack:
    """The four running processes and their data directory."""

    processes: dev.Processes
    data_dir: Path


@dataclass
class Borrowers:
    """Chromium acting as the borrowers: one browser context (profile) per borrower.

    Attributes:
        landed: per (signer index, action), the class of the gateway page the
            borrower's browser ended on (`activated`, `signed`, `signed-complete`).
    """

    browser: Browser
    shots: Path
    contexts: dict[int, BrowserContext] = field(default_factory=dict)
    landed: dict[tuple[int, str], str] = field(default_factory=dict)

    async def act(self, index: int, link: str, action: str) -> None:
        """Open `link`, click `#activate` or `#sign`, wait for the gateway's page."""
        if index not in self.contexts:
            self.contexts[index] = await self.browser.new_context()
            self.contexts[index].set_default_timeout(PAGE_TIMEOUT_MS)
        page = await self.contexts[index].new_page()
        path = "/digisign/activation" if action == "activate" else "/digisign/sign"
        landing = f"{dev.GATEWAY}{path}?"
        async with failure_screenshot(page, self.shots / f"signer{index + 1}-{action}.png"):
            opened = await page.goto(link)
            assert opened is not None
            assert opened.status == 200, f"{action} page answered {opened.status}"
            async with page.expect_response(
                lambda r: r.url.startswith(landing) and r.request.is_navigation_request()
            ) as redirected:
                await page.click(f"#{action}")
            answer = await redirected.value
            assert answer.status == 200, f"the gateway answered {answer.status} to the {action}"
            await page.wait_for_url(lambda url: url.startswith(landing))
            self.landed[(index, action)] = await page.locator("body").get_attribute("class") or ""
        await page.close()


@contextlib.asynccontextmanager
async def failure_screenshot(page: Page, path: Path) -> AsyncIterator[None]:
    """On any failure inside, keep what the browser showed at `path` (for debugging)."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            await page.screenshot(path=path, full_page=True)
        raise


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    data_dir = tmp_path / "data"
    logs = data_dir / "logs"
    logs.mkdir(parents=True)
    with dev.running(logs) as processes:
        yield Stack(processes, data_dir)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Debian Chromium; each context gets a fresh profile of its own."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


def workflow_list_url(loan_id: str) -> str:
    """The UI's workflow list filtered by a visibility query given in the URL."""
    query = quote(f'LoanId="{loan_id}"', safe="")
    return f"{dev.UI}/namespaces/default/workflows?query={query}"


async def sign_in_the_browser(
    http: httpx.AsyncClient, stack: Stack, borrowers: Borrowers, document_id: str
) -> dict[str, Any]:
    """Act as the borrowers in Chromium until the lifecycle ends; its final status."""
    used: set[str] = set()
    async with asyncio.timeout(LIFECYCLE_TIMEOUT_S):
        while True:
            stack.processes.check()
            response = await http.get(f"{dev.GATEWAY}/v1/signings/{document_id}", headers=AUTH)
            response.raise_for_status()
            status: dict[str, Any] = response.json()
            if status.get("outcome"):
                return status
            for signer in status["signers"]:
                for stage, key, action in (
                    ("awaiting_activation", "activation_link", "activate"),
                    ("awaiting_signature", "sign_link", "sign"),
                ):
                    link = (signer.get(key) or {}).get("link")
                    if signer["stage"] == stage and link and link not in used:
                        used.add(link)
                        await borrowers.act(signer["index"], link, action)
            await asyncio.sleep(0.3)


async def visible(client: Client, query: str) -> None:
    """Wait until exactly one workflow matches `query` (visibility lags the history a bit)."""
    async with asyncio.timeout(VISIBILITY_TIMEOUT_S):
        while True:
            if (await client.count_workflows(query)).count == 1:
                return
            await asyncio.sleep(0.3)


async def decoded_by_the_ui(responses: list[Response]) -> list[bytes]:
    """The payload data the browser got back from the codec endpoint (200s from our origin)."""
    data: list[bytes] = []
    for response in responses:
        if response.status != 200 or await response.request.header_value("origin") != UI_ORIGIN:
            continue
        assert await response.header_value("access-control-allow-origin") == UI_ORIGIN
        for payload in json.loads(await response.text())["payloads"]:
            data.append(base64.b64decode(payload.get("data", "")))
    return data


async def test_borrowers_sign_in_chromium_and_the_temporal_ui_shows_the_decoded_lifecycle(
    stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    # --- the four processes, as `signflow dev` starts them
    await dev.start_processes(stack.processes, stack.data_dir, dev.environment(stack.data_dir))
    blobs = FilesystemBlobStore(stack.data_dir / "blobs")
    run = datetime.now(UTC).strftime("%y%m%d%H%M%S") + secrets.token_hex(1)
    event = await dev.loan_event(blobs, run)
    loan_id, document_id = event["loan_id"], event["document_id"]
    emails = [signer["email"] for signer in event["signers"]]
    lifecycle = workflow_id(document_id)

    # --- the lender posts the loan; the borrowers click through in Chromium
    borrowers = Borrowers(browser, tmp_path)
    async with httpx.AsyncClient(timeout=30) as http:
        accepted = await http.post(f"{dev.GATEWAY}/v1/loan-events", json=event, headers=AUTH)
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["workflow_id"] == lifecycle
        final = await sign_in_the_browser(http, stack, borrowers, document_id)

    outcome = final["outcome"]
    assert outcome["status"] == "completed", outcome
    assert (await blobs.get(outcome["signed_document"]["ref"])).startswith(b"%PDF-")
    assert borrowers.landed == {
        (0, "activate"): "activated",
        (1, "activate"): "activated",
        (0, "sign"): "signed",
        (1, "sign"): "signed-complete",
    }

    # --- what Temporal stores: the input is encrypted (a client without the codec)
    client = await Client.connect(f"127.0.0.1:{dev.TEMPORAL_PORT}")
    await visible(client, f'LoanId="{loan_id}"')
    history = await client.get_workflow_handle(lifecycle).fetch_history()
    started = history.events[0]
    assert started.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    stored = started.workflow_execution_started_event_attributes.input.payloads[0]
    assert stored.metadata["encoding"] == b"binary/encrypted"
    for clear in (*emails, loan_id, document_id):
        assert clear.encode() not in stored.SerializeToString()

    # --- and the codec endpoint turns it back into the loan event
    async with httpx.AsyncClient(timeout=10) as http:
        decoded = await http.post(
            CODEC_DECODE,
            json={"payloads": [json_format.MessageToDict(stored)]},
            headers={"Origin": UI_ORIGIN},
        )
    assert decoded.status_code == 200, decoded.text
    assert decoded.headers["access-control-allow-origin"] == UI_ORIGIN
    plain = decoded.json()["payloads"][0]
    assert base64.b64decode(plain["metadata"]["encoding"]) == b"json/plain"
    request = json.loads(base64.b64decode(plain["data"]))
    assert request["loan_id"] == loan_id
    assert request["document_id"] == document_id
    assert [signer["email"] for signer in request["signers"]] == emails

    # --- the operator in the Temporal UI: listed under its LoanId, input decoded
    operator = await browser.new_context(viewport={"width": 1400, "height": 1000})
    operator.set_default_timeout(UI_TIMEOUT_MS)
    page = await operator.new_page()
    codec_calls: list[Response] = []
    page.on("response", lambda r: codec_calls.append(r) if r.url.startswith(CODEC_DECODE) else None)
    async with failure_screenshot(page, tmp_path / "ui-list.png"):
        await page.goto(workflow_list_url(loan_id))
        rows = page.locator(LIST_ROW)
        await expect(rows).to_have_count(1, timeout=UI_TIMEOUT_MS)
        await expect(rows).to_contain_text("completed", ignore_case=True)
        link = rows.get_by_role("link", name=lifecycle, exact=True)
        await expect(link).to_be_visible()
        await link.click()
        await page.wait_for_url(lambda url: f"/workflows/{lifecycle}/" in url)

    async with failure_screenshot(page, tmp_path / "ui-workflow.png"):
        panels = page.get_by_test_id(INPUT_AND_RESULT)
        # The input panel shows the first lines of the loan event, decoded.
        await expect(panels.get_by_text(emails[0])).to_be_visible(timeout=UI_TIMEOUT_MS)
        await expect(panels.get_by_text(f'"{loan_id}"')).to_be_visible()
        # What the UI shows when its codec calls fail (CORS, gateway down).
        await expect(page.get_by_text("Codec Server could not connect")).to_have_count(0)
        from_codec = await decoded_by_the_ui(codec_calls)
        assert any(emails[0].encode() in data for data in from_codec), (
            f"no decoded input among {len(from_codec)} payloads the browser got from the codec"
        )

    # The query in the URL really filters: another loan id lists nothing.
    async with failure_screenshot(page, tmp_path / "ui-other-loan.png"):
        await page.goto(workflow_list_url(f"{loan_id}-OTHER"))
        await expect(page.get_by_text("No Workflows Found")).to_be_visible()
        await expect(page.locator(LIST_ROW)).to_have_count(0)
    await operator.close()
