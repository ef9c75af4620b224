"""Digisign's redirects through the real gateway: decrypt, validate, signal once, answer a page."""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.gateway.conftest import LANDING_URL
from tests.gateway.support import (
    activation_msg,
    emails,
    eventually,
    handle,
    loan_event,
    sign_msg,
    signals,
    status,
    tag,
    until_stage,
)
from tests.workflows.fakes import ScriptedDigisign
from workflows import names
from workflows.models import OutcomeStatus, SignerStage

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def started(
    http: httpx.AsyncClient, digisign: ScriptedDigisign, event: dict[str, Any], *humans: str
) -> dict[str, Any]:
    """Post `event` with its signers behaving as `humans` (in order)."""
    for email, human in zip(emails(event), humans, strict=True):
        digisign.humans[email] = human
    response = await http.post("/v1/loan-events", json=event)
    assert response.status_code == 202, response.text
    return event


def awaiting(stage: SignerStage, index: int = 0) -> Any:
    return lambda s: (
        s.signers[index].stage is stage
        and (
            s.signers[index].activation_link
            if stage is SignerStage.AWAITING_ACTIVATION
            else s.signers[index].sign_link
        )
        is not None
    )


async def test_an_activation_redirect_resumes_the_lifecycle(
    http: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    gateway: str,
    dev: WorkflowEnvironment,
    digisign: ScriptedDigisign,
) -> None:
    event = await started(http, digisign, loan_event(2), "wait", "ignore")
    document_id = event["document_id"]
    first = emails(event)[0]
    await until_stage(dev.client, document_id, awaiting(SignerStage.AWAITING_ACTIVATION))

    digisign.activate(first)  # the signer activates at Digisign, which then redirects
    msg = activation_msg(first.upper())
    response = await anonymous.get(f"{gateway}/digisign/activation?msg={msg}")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "Akun Anda telah aktif" in response.text
    assert "Your account is now active" in response.text
    current = await until_stage(
        dev.client, document_id, lambda s: s.signers[0].stage is SignerStage.ACTIVE
    )
    assert current.signers[1].stage is SignerStage.AWAITING_ACTIVATION

    # Digisign's second delivery: a success page again, and no second signal.
    again = await anonymous.get(f"{gateway}/digisign/activation?msg={msg}")
    assert again.status_code == 200
    assert "Akun Anda telah aktif" in again.text
    assert await signals(dev.client, document_id, names.SIGNAL_ACTIVATED) == 1


async def test_one_activation_resumes_every_lifecycle_waiting_for_that_signer(
    http: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    gateway: str,
    dev: WorkflowEnvironment,
    digisign: ScriptedDigisign,
) -> None:
    # The same borrower signs two loans; one activation of their account serves both.
    first = loan_event()
    second = loan_event()
    second["signers"][0]["email"] = emails(first)[0]
    await started(http, digisign, first, "wait")
    await started(http, digisign, second, "wait")
    for event in (first, second):
        await until_stage(
            dev.client, event["document_id"], awaiting(SignerStage.AWAITING_ACTIVATION)
        )

    async def both_visible() -> bool:
        query = f"SignerEmailHashes = '{names.email_hash(emails(first)[0])}'"
        return len([w async for w in dev.client.list_workflows(query)]) == 2

    await eventually(both_visible)
    digisign.activate(emails(first)[0])
    response = await anonymous.get(
        f"{gateway}/digisign/activation?msg={activation_msg(emails(first)[0])}"
    )

    assert response.status_code == 200
    for event in (first, second):
        outcome = await handle(dev.client, event["document_id"]).result()
        assert outcome.status is OutcomeStatus.COMPLETED


async def test_a_sign_redirect_advances_the_lifecycle_and_its_repeat_is_not_signalled(
    http: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    gateway: str,
    dev: WorkflowEnvironment,
    digisign: ScriptedDigisign,
) -> None:
    event = await started(http, digisign, loan_event(), "no-sign")
    document_id = event["document_id"]
    await until_stage(dev.client, document_id, awaiting(SignerStage.AWAITING_SIGNATURE))
    digisign.sign(emails(event)[0], document_id)  # the signer signs at Digisign
    url = f"{gateway}/digisign/sign?msg={sign_msg(document_id, emails(event)[0])}"

    response = await anonymous.get(url)

    assert response.status_code == 200, response.text
    assert "Dokumen berhasil ditandatangani" in response.text
    assert document_id in response.text
    assert (await handle(dev.client, document_id).result()).status is OutcomeStatus.COMPLETED
    again = await anonymous.get(url)  # Digisign's server-side delivery, after the end
    assert again.status_code == 200
    assert "Dokumen berhasil ditandatangani" in again.text
    assert await signals(dev.client, document_id, names.SIGNAL_SIGNED) == 1


async def test_two_deliveries_at_once_count_the_signer_once(
    http: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    gateway: str,
    dev: WorkflowEnvironment,
    digisign: ScriptedDigisign,
) -> None:
    event = await started(http, digisign, loan_event(2), "no-sign", "no-sign")
    document_id = event["document_id"]
    await until_stage(dev.client, document_id, awaiting(SignerStage.AWAITING_SIGNATURE))
    digisign.sign(emails(event)[0], document_id)
    url = f"{gateway}/digisign/sign?msg={sign_msg(document_id, emails(event)[0], complete=False)}"

    browser, server = await asyncio.gather(anonymous.get(url), anonymous.get(url))

    assert browser.status_code == server.status_code == 200
    assert "menunggu penandatangan lain" in browser.text
    current = await until_stage(
        dev.client, document_id, lambda s: s.signers[0].stage is SignerStage.SIGNED
    )
    assert current.signers[1].stage is SignerStage.AWAITING_SIGNATURE
    # The gateway remembers the msg it signalled: the second delivery is not signalled,
    # though the lifecycle has not recorded the signature yet (Digisign confirms it).
    assert await signals(dev.client, document_id, names.SIGNAL_SIGNED) == 1
    links = [c.arg.email for c in digisign.called("sign_link") if c.arg.document_id == document_id]
    assert links.count(emails(event)[0]) == 2


async def test_a_rejection_redirect_ends_the_lifecycle_as_rejected(
    http: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    gateway: str,
    dev: WorkflowEnvironment,
    digisign: ScriptedDigisign,
) -> None:
    event = await started(http, digisign, loan_event(), "no-sign")
    document_id = event["document_id"]
    await until_stage(dev.client, document_id, awaiting(SignerStage.AWAITING_SIGNATURE))

    digisign.refuse(emails(event)[0], document_id)  # the signer refuses at Digisign
    msg = sign_msg(document_id, emails(event)[0], rejected=True)
    response = await anonymous.get(f"{gateway}/digisign/sign?msg={msg}")

    assert response.status_code == 200
    assert "Dokumen ditolak" in response.text
    assert (await handle(dev.client, document_id).result()).status is OutcomeStatus.REJECTED


async def test_a_redirect_reporting_failure_shows_a_page_and_signals_nothing(
    http: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    gateway: str,
    dev: WorkflowEnvironment,
    digisign: ScriptedDigisign,
) -> None:
    event = await started(http, digisign, loan_event(), "no-sign")
    document_id = event["document_id"]
    await until_stage(dev.client, document_id, awaiting(SignerStage.AWAITING_SIGNATURE))

    msg = sign_msg(document_id, emails(event)[0], result="05")
    response = await anonymous.get(f"{gateway}/digisign/sign?msg={msg}")

    assert response.status_code == 200
    assert "Proses belum selesai" in response.text
    assert await signals(dev.client, document_id, names.SIGNAL_SIGNED) == 0


def _double_base64(msg: str) -> str:
    raw = unquote(msg).replace("\n", "")
    return quote(base64.b64encode(raw.encode()).decode(), safe="")


def _tampered(msg: str) -> str:
    raw = unquote(msg).replace("\n", "")
    middle = len(raw) // 3
    flipped = "A" if raw[middle] != "A" else "B"
    return quote(raw[:middle] + flipped + raw[middle + 1 :], safe="")


BAD_MSGS = [
    pytest.param(lambda doc, email: _tampered(sign_msg(doc, email)), id="tampered"),
    pytest.param(lambda doc, email: sign_msg(doc, email)[:-12], id="truncated"),
    pytest.param(lambda doc, email: sign_msg(doc, email, key="0123456789abcdef"), id="wrong-key"),
    pytest.param(lambda doc, email: _double_base64(sign_msg(doc, email)), id="double-base64"),
    pytest.param(
        lambda doc, email: quote(quote(quote(sign_msg(doc, email), safe=""), safe=""), safe=""),
        id="url-encoded-beyond-transport",
    ),
    pytest.param(lambda doc, email: "", id="empty"),
    pytest.param(lambda doc, email: None, id="missing"),
    pytest.param(lambda doc, email: activation_msg(email), id="activation-payload"),
    pytest.param(lambda doc, email: sign_msg(doc, "not-an-email"), id="invalid-email"),
    pytest.param(lambda doc, email: "%ZZ%", id="broken-percent"),
]


@pytest.mark.parametrize("make", BAD_MSGS)
async def test_a_bad_sign_msg_is_a_400_page_and_signals_nothing(
    http: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    gateway: str,
    dev: WorkflowEnvironment,
    digisign: ScriptedDigisign,
    caplog: pytest.LogCaptureFixture,
    make: Any,
) -> None:
    event = await started(http, digisign, loan_event(), "no-sign")
    document_id, email = event["document_id"], emails(event)[0]
    await until_stage(dev.client, document_id, awaiting(SignerStage.AWAITING_SIGNATURE))
    msg = make(document_id, email)
    url = f"{gateway}/digisign/sign" + ("" if msg is None else f"?msg={msg}")
    caplog.set_level(logging.INFO, logger="signflow.gateway")

    response = await anonymous.get(url)

    assert response.status_code == 400, response.text
    assert "Tautan tidak valid" in response.text
    assert "This link is not valid" in response.text
    assert await signals(dev.client, document_id, names.SIGNAL_SIGNED) == 0
    assert (await status(dev.client, document_id)).signers[
        0
    ].stage is SignerStage.AWAITING_SIGNATURE
    logged = caplog.text
    assert "refused (400)" in logged
    assert email not in logged
    if msg:
        assert msg not in logged
        assert unquote(msg)[:24] not in logged


@pytest.mark.parametrize(
    "msg",
    [
        pytest.param(
            lambda: activation_msg("x@example.com", key="0123456789abcdef"), id="wrong-key"
        ),
        pytest.param(lambda: sign_msg("doc-1", "x@example.com"), id="sign-payload"),
        pytest.param(lambda: "", id="empty"),
    ],
)
async def test_a_bad_activation_msg_is_a_400_page(
    anonymous: httpx.AsyncClient, gateway: str, msg: Any
) -> None:
    response = await anonymous.get(f"{gateway}/digisign/activation?msg={msg()}")

    assert response.status_code == 400
    assert "Tautan tidak valid" in response.text


async def test_redirects_for_nothing_waiting_are_404_pages(
    http: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    gateway: str,
    dev: WorkflowEnvironment,
    digisign: ScriptedDigisign,
) -> None:
    event = await started(http, digisign, loan_event(), "no-sign")
    document_id = event["document_id"]
    await until_stage(dev.client, document_id, awaiting(SignerStage.AWAITING_SIGNATURE))

    unknown_document = await anonymous.get(
        f"{gateway}/digisign/sign?msg={sign_msg(f'doc-{tag()}', emails(event)[0])}"
    )
    stranger = await anonymous.get(
        f"{gateway}/digisign/sign?msg={sign_msg(document_id, 'stranger@example.com')}"
    )
    unknown_signer = await anonymous.get(
        f"{gateway}/digisign/activation?msg={activation_msg(f'nobody.{tag()}@example.com')}"
    )

    for response in (unknown_document, stranger, unknown_signer):
        assert response.status_code == 404, response.text
        assert "Proses tidak ditemukan" in response.text
    assert await signals(dev.client, document_id, names.SIGNAL_SIGNED) == 0


async def test_a_sign_redirect_for_an_ended_lifecycle_is_a_404_page(
    http: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    gateway: str,
    dev: WorkflowEnvironment,
    digisign: ScriptedDigisign,
) -> None:
    event = await started(http, digisign, loan_event(), "no-sign")
    document_id = event["document_id"]
    await until_stage(dev.client, document_id, awaiting(SignerStage.AWAITING_SIGNATURE))
    cancelled = await http.post(f"/v1/signings/{document_id}/cancel", json={"reason": "withdrawn"})
    assert cancelled.status_code == 200
    assert (await handle(dev.client, document_id).result()).status is OutcomeStatus.CANCELLED

    response = await anonymous.get(
        f"{gateway}/digisign/sign?msg={sign_msg(document_id, emails(event)[0])}"
    )

    assert response.status_code == 404
    assert await signals(dev.client, document_id, names.SIGNAL_SIGNED) == 0


async def test_pages_escape_the_document_id_and_keep_the_url_private(
    http: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    gateway: str,
    dev: WorkflowEnvironment,
    digisign: ScriptedDigisign,
) -> None:
    document_id = f"<b>&'\"{tag()[:6]}"
    event = await started(http, digisign, loan_event(document_id=document_id), "no-sign")
    await until_stage(dev.client, document_id, awaiting(SignerStage.AWAITING_SIGNATURE))

    response = await anonymous.get(
        f"{gateway}/digisign/sign?msg={sign_msg(document_id, emails(event)[0])}"
    )

    assert response.status_code == 200
    assert "<b>" not in response.text
    assert "&lt;b&gt;&amp;&#x27;&quot;" in response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert '<section lang="id">' in response.text
    assert '<section lang="en">' in response.text


async def test_with_a_landing_url_success_is_a_303_and_errors_stay_pages(
    http: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    landing_gateway: str,
    dev: WorkflowEnvironment,
    digisign: ScriptedDigisign,
) -> None:
    event = await started(http, digisign, loan_event(), "no-sign")
    document_id = event["document_id"]
    await until_stage(dev.client, document_id, awaiting(SignerStage.AWAITING_SIGNATURE))

    digisign.sign(emails(event)[0], document_id)
    response = await anonymous.get(
        f"{landing_gateway}/digisign/sign?msg={sign_msg(document_id, emails(event)[0])}"
    )
    invalid = await anonymous.get(f"{landing_gateway}/digisign/sign?msg=garbage")

    assert response.status_code == 303
    assert response.headers["location"] == (
        f"{LANDING_URL}&status=signed_complete&document_id={quote(document_id)}"
    )
    assert response.headers["referrer-policy"] == "no-referrer"
    assert (await handle(dev.client, document_id).result()).status is OutcomeStatus.COMPLETED
    assert invalid.status_code == 400
    assert "Tautan tidak valid" in invalid.text


async def test_temporal_unreachable_is_a_503_page(
    anonymous: httpx.AsyncClient, dead_gateway: str
) -> None:
    sign = await anonymous.get(
        f"{dead_gateway}/digisign/sign?msg={sign_msg('doc-1', 'a@example.com')}"
    )
    activation = await anonymous.get(
        f"{dead_gateway}/digisign/activation?msg={activation_msg('a@example.com')}"
    )

    for response in (sign, activation):
        assert response.status_code == 503
        assert "Layanan sedang tidak tersedia" in response.text
