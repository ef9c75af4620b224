"""The signings API: a lifecycle's state and the lender's actions, as workflow updates."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from activities.models import ActivationLinkResult
from digisign.endpoints import Endpoint
from gateway.app import create_app
from tests.gateway.conftest import make_config
from tests.gateway.support import emails, handle, loan_event, status, tag, until_stage
from tests.support.servers import serve
from tests.workflows.fakes import ScriptedDigisign, retry_later
from workflows.models import OutcomeStatus, SignerStage

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def started(
    http: httpx.AsyncClient,
    dev: WorkflowEnvironment,
    digisign: ScriptedDigisign,
    human: str,
    stage: SignerStage,
    signers: int = 1,
) -> dict[str, Any]:
    """A lifecycle whose first signer behaves as `human`, once it reaches `stage`."""
    event = loan_event(signers)
    for email in emails(event):
        digisign.humans[email] = human
    assert (await http.post("/v1/loan-events", json=event)).status_code == 202
    await until_stage(
        dev.client,
        event["document_id"],
        lambda s: (
            s.signers[0].stage is stage
            and (s.signers[0].activation_link or s.signers[0].sign_link) is not None
        ),
    )
    return event


async def test_the_status_of_a_lifecycle_is_its_status_query(
    http: httpx.AsyncClient, dev: WorkflowEnvironment, digisign: ScriptedDigisign
) -> None:
    event = await started(http, dev, digisign, "ignore", SignerStage.AWAITING_ACTIVATION)
    document_id = event["document_id"]

    response = await http.get(f"/v1/signings/{document_id}")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["workflow_id"] == f"signing-{document_id}"
    assert body["ui_url"].endswith(f"/workflows/signing-{document_id}")
    assert body["stage"] == "awaiting_activation"
    assert body["loan_id"] == event["loan_id"]
    assert body["signers"][0]["email"] == emails(event)[0]
    assert body["signers"][0]["activation_link"]["link"].startswith("https://digisign.test/")
    assert body["outcome"] is None


async def test_status_of_an_unknown_or_malformed_document_is_404_or_422(
    http: httpx.AsyncClient, gateway: str, anonymous: httpx.AsyncClient
) -> None:
    unknown = await http.get(f"/v1/signings/doc-{tag()}")
    malformed = await http.get(f"/v1/signings/{'x' * 21}")
    unauthenticated = await anonymous.get(f"{gateway}/v1/signings/doc-{tag()}")

    assert unknown.status_code == 404
    assert unknown.json()["detail"].startswith("no lifecycle")
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["loc"] == ["path", "document_id"]
    assert unauthenticated.status_code == 401


async def test_a_fresh_activation_link_comes_from_the_lifecycle(
    http: httpx.AsyncClient, dev: WorkflowEnvironment, digisign: ScriptedDigisign
) -> None:
    event = await started(http, dev, digisign, "ignore", SignerStage.AWAITING_ACTIVATION)
    document_id, email = event["document_id"], emails(event)[0]
    first = (await status(dev.client, document_id)).signers[0].activation_link
    assert first is not None

    response = await http.post(f"/v1/signings/{document_id}/activation-link", json={"email": email})

    assert response.status_code == 200, response.text
    fresh = response.json()
    assert fresh["link"] != first.link
    assert fresh["expires_at"]
    current = (await status(dev.client, document_id)).signers[0].activation_link
    assert current is not None
    assert current.link == fresh["link"]


async def test_an_action_the_lifecycle_refuses_is_409_with_its_reason(
    http: httpx.AsyncClient, dev: WorkflowEnvironment, digisign: ScriptedDigisign
) -> None:
    event = await started(http, dev, digisign, "ignore", SignerStage.AWAITING_ACTIVATION)
    document_id, email = event["document_id"], emails(event)[0]
    path = f"/v1/signings/{document_id}"

    stranger = await http.post(f"{path}/activation-link", json={"email": "stranger@example.com"})
    wrong_stage = await http.post(f"{path}/sign-link", json={"email": email})

    assert stranger.status_code == 409
    assert stranger.json()["detail"] == "email: not a signer of this document"
    assert wrong_stage.status_code == 409
    assert wrong_stage.json()["detail"] == (
        "email: the signer is awaiting_activation, not awaiting_signature"
    )
    assert "stranger@example.com" not in stranger.text


async def test_a_fresh_sign_link_is_issued_for_the_signer_whose_turn_it_is(
    http: httpx.AsyncClient, dev: WorkflowEnvironment, digisign: ScriptedDigisign
) -> None:
    event = await started(http, dev, digisign, "no-sign", SignerStage.AWAITING_SIGNATURE)
    document_id, email = event["document_id"], emails(event)[0]

    response = await http.post(f"/v1/signings/{document_id}/sign-link", json={"email": email})

    assert response.status_code == 200, response.text
    assert "signingpage" in response.json()["link"]


async def test_an_already_active_signer_gets_409_from_the_update_handler(
    http: httpx.AsyncClient, dev: WorkflowEnvironment, digisign: ScriptedDigisign
) -> None:
    event = await started(http, dev, digisign, "ignore", SignerStage.AWAITING_ACTIVATION)
    document_id, email = event["document_id"], emails(event)[0]
    digisign.scripts["activation_link"] = [ActivationLinkResult(already_active=True)]

    response = await http.post(f"/v1/signings/{document_id}/activation-link", json={"email": email})

    assert response.status_code == 409
    assert response.json()["detail"] == "the signer is already active"


async def test_contact_changes_are_validated_before_they_reach_the_lifecycle(
    http: httpx.AsyncClient, dev: WorkflowEnvironment, digisign: ScriptedDigisign
) -> None:
    event = await started(http, dev, digisign, "ignore", SignerStage.AWAITING_ACTIVATION, 2)
    document_id = event["document_id"]
    first, second = emails(event)
    path = f"/v1/signings/{document_id}/contact"

    nothing = await http.post(path, json={"email": first})
    bad_phone = await http.post(path, json={"email": first, "new_phone": "12345"})
    taken = await http.post(path, json={"email": first, "new_email": second})
    fixed_email = f"fixed.{tag()}@example.com"
    digisign.humans[fixed_email] = "ignore"
    changed = await http.post(
        path, json={"email": first, "new_email": fixed_email, "new_phone": "081299998888"}
    )

    assert nothing.status_code == 422
    assert nothing.json()["detail"][0]["loc"] == ["body"]
    assert bad_phone.status_code == 422
    assert bad_phone.json()["detail"][0]["loc"] == ["body", "new_phone"]
    assert "12345" not in bad_phone.text
    assert taken.status_code == 409
    assert "another signer" in taken.json()["detail"]
    assert changed.status_code == 200, changed.text
    assert (await status(dev.client, document_id)).signers[0].email == fixed_email


async def test_a_reported_expired_certificate_registers_the_signer_again(
    http: httpx.AsyncClient, dev: WorkflowEnvironment, digisign: ScriptedDigisign
) -> None:
    event = await started(http, dev, digisign, "no-sign", SignerStage.AWAITING_SIGNATURE)
    document_id, email = event["document_id"], emails(event)[0]
    path = f"/v1/signings/{document_id}/certificate-expired"

    response = await http.post(path, json={"email": email})
    stranger = await http.post(path, json={"email": "stranger@example.com"})

    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": True}
    assert stranger.status_code == 409
    await until_stage(
        dev.client,
        document_id,
        lambda s: (
            s.signers[0].re_registrations == 1
            and s.signers[0].stage is SignerStage.AWAITING_SIGNATURE
        ),
    )


async def test_cancel_ends_the_lifecycle_and_a_second_cancel_is_409(
    http: httpx.AsyncClient, dev: WorkflowEnvironment, digisign: ScriptedDigisign
) -> None:
    event = await started(http, dev, digisign, "ignore", SignerStage.AWAITING_ACTIVATION)
    document_id = event["document_id"]
    path = f"/v1/signings/{document_id}/cancel"

    response = await http.post(path)  # the body is optional

    assert response.status_code == 200, response.text
    outcome = await handle(dev.client, document_id).result()
    assert outcome.status is OutcomeStatus.CANCELLED
    assert outcome.detail == "cancelled by request"
    again = await http.post(path, json={"reason": "again"})
    assert again.status_code == 409
    assert again.json()["detail"] == "the lifecycle has ended"
    final = await http.get(f"/v1/signings/{document_id}")
    assert final.status_code == 200
    assert final.json()["stage"] == "cancelled"
    assert final.json()["outcome"]["status"] == "cancelled"
    too_long = await http.post(path, json={"reason": "x" * 201})
    assert too_long.status_code == 422


async def test_actions_on_an_unknown_document_are_404(http: httpx.AsyncClient) -> None:
    document_id = f"doc-{tag()}"

    cancel = await http.post(f"/v1/signings/{document_id}/cancel", json={})
    link = await http.post(f"/v1/signings/{document_id}/sign-link", json={"email": "a@example.com"})

    assert cancel.status_code == link.status_code == 404


async def test_an_action_the_lifecycle_cannot_finish_in_time_is_202(
    http: httpx.AsyncClient, dev: WorkflowEnvironment, digisign: ScriptedDigisign
) -> None:
    event = await started(http, dev, digisign, "ignore", SignerStage.AWAITING_ACTIVATION)
    document_id, email = event["document_id"], emails(event)[0]
    # Digisign answers 91: the lifecycle waits ten minutes before asking again.
    digisign.scripts["activation_link"] = [retry_later(Endpoint.ACTIVATION_LINK)]

    with serve(create_app(make_config(update_wait_seconds=1), dev.client)) as impatient:
        response = await http.post(
            f"{impatient}/v1/signings/{document_id}/activation-link", json={"email": email}
        )

    assert response.status_code == 202, response.text
    assert response.json()["update_id"]
    assert "LOS callback" in response.json()["detail"]
