"""Signals and updates while a lifecycle waits: fresh links, contact changes,
certificate expiry, duplicate and out-of-order redirects, strangers, cancellation."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from activities.models import RegisterResult
from digisign import errors as e
from digisign.endpoints import Endpoint
from digisign.results import RegistrationKind
from tests.workflows.conftest import signing_request
from workflows import names
from workflows.models import (
    ActivatedSignal,
    CancelRequest,
    ContactChange,
    LinkRequest,
    OutcomeStatus,
    SignedSignal,
    SignerStage,
    Stage,
)
from workflows.signing import SigningWorkflow


def awaiting_activation(index: int = 0) -> Any:
    return lambda s: (
        s.signers[index].stage is SignerStage.AWAITING_ACTIVATION
        and (s.signers[index].activation_link is not None)
    )


async def test_a_fresh_activation_link_is_issued_on_request(start: Any) -> None:
    request = signing_request(1)
    email = request.signers[0].email
    lifecycle = await start(request, humans={email: "wait"})
    first = (await lifecycle.until(awaiting_activation())).signers[0].activation_link

    fresh = await lifecycle.handle.execute_update(
        SigningWorkflow.fresh_activation_link, LinkRequest(email=email)
    )
    assert fresh.link != first.link
    assert fresh.expires_at > first.expires_at or fresh.expires_at == first.expires_at
    assert (await lifecycle.status()).signers[0].activation_link == fresh

    activated = lifecycle.digisign.activate(email.upper())
    await lifecycle.handle.signal(SigningWorkflow.activated, activated)
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED
    # The first link, the fresh one, and the confirmation of the redirect.
    assert len(lifecycle.digisign.called("activation_link")) == 3


async def test_a_fresh_link_for_a_stranger_is_refused_and_changes_nothing(start: Any) -> None:
    request = signing_request(1)
    lifecycle = await start(request, humans={request.signers[0].email: "ignore"})
    await lifecycle.until(awaiting_activation())
    with pytest.raises(WorkflowUpdateFailedError):
        await lifecycle.handle.execute_update(
            SigningWorkflow.fresh_activation_link, LinkRequest(email="stranger@example.com")
        )
    with pytest.raises(WorkflowUpdateFailedError):  # not their stage
        await lifecycle.handle.execute_update(
            SigningWorkflow.fresh_sign_link, LinkRequest(email=request.signers[0].email)
        )
    assert len(lifecycle.digisign.called("activation_link")) == 1


async def test_contact_change_calls_update_ep_and_reissues_the_link(start: Any) -> None:
    request = signing_request(1)
    old = request.signers[0]
    lifecycle = await start(request, humans={old.email: "wait", "fixed@example.com": "wait"})
    await lifecycle.until(awaiting_activation())

    link = await lifecycle.handle.execute_update(
        SigningWorkflow.change_contact,
        ContactChange(email=old.email, new_email="fixed@example.com", new_phone="081299998888"),
    )
    change = lifecycle.digisign.called("change_contact")[0].arg
    assert (change.old_email, change.new_email) == (old.email, "fixed@example.com")
    assert (change.old_phone, change.new_phone) == (old.phone, "081299998888")
    assert lifecycle.digisign.called("activation_link")[-1].arg.email == "fixed@example.com"
    assert link.link.endswith("act=2")

    await lifecycle.handle.signal(
        SigningWorkflow.activated, lifecycle.digisign.activate("fixed@example.com")
    )
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED
    sent = lifecycle.digisign.called("send_document")[0].arg
    assert sent.req_sign[0].email == "fixed@example.com"
    assert lifecycle.digisign.called("sign_link")[0].arg.email == "fixed@example.com"


async def test_certificate_expired_at_send_reregisters_and_sends_again(start: Any) -> None:
    active = RegisterResult(kind=RegistrationKind.ALREADY_ACTIVE)
    lifecycle = await start(
        signing_request(2),
        register=[active, active, active, RegisterResult(kind=RegistrationKind.REREGISTERED)],
        send_document=[
            e.CertificateExpired(
                Endpoint.SEND_DOCUMENT, "15", "gagal", info="sudah habis masa berlakunya"
            )
        ],
    )
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED
    assert len(lifecycle.digisign.called("register")) == 4
    assert len(lifecycle.digisign.called("send_document")) == 2
    status = await lifecycle.status()
    assert [s.re_registrations for s in status.signers] == [1, 1]


async def test_certificate_expired_at_signing_reregisters_then_signs(start: Any) -> None:
    request = signing_request(2, sequence=True)
    second = request.signers[1].email
    lifecycle = await start(
        request,
        humans={second: "expire"},
        register=[
            RegisterResult(kind=RegistrationKind.ALREADY_ACTIVE),
            RegisterResult(kind=RegistrationKind.ALREADY_ACTIVE),
            RegisterResult(kind=RegistrationKind.REREGISTERED),
        ],
    )
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED
    registered = [c.arg.registrant.email for c in lifecycle.digisign.called("register")]
    assert registered.count(second) == 2
    links = [c.arg.email for c in lifecycle.digisign.called("sign_link")]
    assert links.count(second) == 3  # expired; after re-registration a link, then confirmed
    assert (await lifecycle.status()).signers[1].re_registrations == 1


async def test_duplicate_sign_signals_count_once_and_early_ones_wait_for_digisign(
    start: Any,
) -> None:
    request = signing_request(3, sequence=True)
    first, second, third = (s.email for s in request.signers)
    lifecycle: Any = None

    async def early_signals(document_id: str) -> None:
        # Digisign delivers each redirect twice; a redirect for the third signer arrives
        # before their turn, which Digisign's sequence makes impossible for a real one.
        for email in (first, first, third, third):
            await lifecycle.handle.signal(
                SigningWorkflow.signed, SignedSignal(email=email, document_id=document_id)
            )

    lifecycle = await start(request, extra_signals={first: [early_signals]})
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED
    links = [c.arg.email for c in lifecycle.digisign.called("sign_link")]
    # One link and one confirmation each: the duplicates asked nothing more, and the
    # third signer's early redirect was not taken for a signature (Digisign gave a link).
    assert links == [first, first, second, second, third, third]
    assert [s.stage for s in (await lifecycle.status()).signers] == [SignerStage.SIGNED] * 3


async def test_signals_for_strangers_or_other_documents_change_nothing(start: Any) -> None:
    request = signing_request(1)
    email = request.signers[0].email
    lifecycle = await start(request, humans={email: "no-sign"})
    await lifecycle.until(lambda s: s.signers[0].stage is SignerStage.AWAITING_SIGNATURE)
    await lifecycle.handle.signal(
        names.SIGNAL_SIGNED,
        SignedSignal(email="stranger@example.com", document_id=request.document_id),
    )
    await lifecycle.handle.signal(
        names.SIGNAL_SIGNED, SignedSignal(email=email, document_id="another-doc")
    )
    status = await lifecycle.status()
    assert status.signers[0].stage is SignerStage.AWAITING_SIGNATURE
    await lifecycle.handle.signal(
        names.SIGNAL_SIGNED, lifecycle.digisign.sign(email, request.document_id)
    )
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED


async def test_cancel_update_ends_the_lifecycle_as_cancelled(start: Any) -> None:
    request = signing_request(1)
    lifecycle = await start(request, humans={request.signers[0].email: "ignore"})
    await lifecycle.until(awaiting_activation())
    await lifecycle.handle.execute_update(
        SigningWorkflow.cancel, CancelRequest(reason="loan withdrawn")
    )
    outcome = await lifecycle.handle.result()
    assert outcome.status is OutcomeStatus.CANCELLED
    assert outcome.detail == "loan withdrawn"
    assert (await lifecycle.status()).stage is Stage.CANCELLED
    # A finished lifecycle takes no more updates (the server refuses them).
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await lifecycle.handle.execute_update(SigningWorkflow.cancel, CancelRequest())


async def test_temporal_cancel_ends_the_lifecycle_as_cancelled(start: Any) -> None:
    request = signing_request(1, los_callback_url="https://los.example/cb")
    lifecycle = await start(request, humans={request.signers[0].email: "ignore"})
    await lifecycle.until(awaiting_activation())
    await lifecycle.handle.cancel()
    outcome = await lifecycle.handle.result()
    assert outcome.status is OutcomeStatus.CANCELLED
    assert lifecycle.digisign.notifications[-1].event == "ended"
    assert lifecycle.digisign.notifications[-1].outcome == "cancelled"


async def test_report_of_expired_certificate_by_update_reregisters_the_signer(start: Any) -> None:
    request = signing_request(1)
    email = request.signers[0].email
    lifecycle = await start(
        request,
        humans={email: "no-sign"},
        register=[
            RegisterResult(kind=RegistrationKind.ALREADY_ACTIVE),
            RegisterResult(kind=RegistrationKind.REREGISTERED),
        ],
    )
    await lifecycle.until(lambda s: s.signers[0].stage is SignerStage.AWAITING_SIGNATURE)
    await lifecycle.handle.execute_update(
        SigningWorkflow.report_certificate_expired, LinkRequest(email=email)
    )
    await lifecycle.until(
        lambda s: (
            s.signers[0].re_registrations == 1
            and s.signers[0].stage is SignerStage.AWAITING_SIGNATURE
        )
    )
    fresh = await lifecycle.handle.execute_update(
        SigningWorkflow.fresh_sign_link, LinkRequest(email=email)
    )
    assert fresh.link
    await lifecycle.handle.signal(
        SigningWorkflow.signed, lifecycle.digisign.sign(email, request.document_id)
    )
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED
    assert len(lifecycle.digisign.called("register")) == 2


# --- redirects are claims: Digisign confirms them (AES/ECB `msg`s can be forged) -------


async def test_a_forged_activation_redirect_is_not_taken_and_a_fresh_link_goes_out(
    start: Any,
) -> None:
    request = signing_request(1, los_callback_url="https://los.example/cb")
    email = request.signers[0].email
    lifecycle = await start(request, humans={email: "wait"})
    first = (await lifecycle.until(awaiting_activation())).signers[0].activation_link

    # Digisign never activated this signer: the redirect is forged.
    await lifecycle.handle.signal(SigningWorkflow.activated, ActivatedSignal(email=email))
    status = await lifecycle.until(
        lambda s: s.signers[0].activation_link is not None and s.signers[0].activation_link != first
    )
    assert status.signers[0].stage is SignerStage.AWAITING_ACTIVATION
    assert lifecycle.digisign.called("send_document") == []
    links = [n for n in lifecycle.digisign.notifications if n.event == "activation_link"]
    assert len(links) == 2  # the signer's link was replaced, and the LOS told

    await lifecycle.handle.signal(SigningWorkflow.activated, lifecycle.digisign.activate(email))
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED


async def test_a_forged_sign_redirect_is_not_counted_as_a_signature(start: Any) -> None:
    request = signing_request(2, sequence=True)
    first = request.signers[0].email
    lifecycle = await start(request, humans={first: "no-sign"})
    await lifecycle.until(lambda s: s.signers[0].stage is SignerStage.AWAITING_SIGNATURE)

    # A valid-looking redirect for the right signer and document, not backed by Digisign.
    forged = SignedSignal(email=first, document_id=request.document_id)
    await lifecycle.handle.signal(SigningWorkflow.signed, forged)
    await lifecycle.handle.signal(SigningWorkflow.signed, forged)
    await lifecycle.until(lambda s: len(lifecycle.digisign.called("sign_link")) >= 2)
    status = await lifecycle.status()
    assert [s.stage for s in status.signers] == [
        SignerStage.AWAITING_SIGNATURE,
        SignerStage.ACTIVE,
    ]
    assert not status.signers[0].signed
    assert [c.arg.email for c in lifecycle.digisign.called("sign_link")] == [first] * len(
        lifecycle.digisign.called("sign_link")
    )

    await lifecycle.handle.signal(
        SigningWorkflow.signed, lifecycle.digisign.sign(first, request.document_id)
    )
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED
    assert lifecycle.digisign.called("download_signed")


async def test_a_forged_rejection_does_not_end_the_lifecycle(start: Any) -> None:
    request = signing_request(1)
    email = request.signers[0].email
    lifecycle = await start(request, humans={email: "no-sign"})
    first = await lifecycle.until(lambda s: s.signers[0].stage is SignerStage.AWAITING_SIGNATURE)

    # Digisign still offers the signer a link: nobody refused.
    forged = SignedSignal(email=email, document_id=request.document_id, rejected=True)
    await lifecycle.handle.signal(SigningWorkflow.signed, forged)
    again = await lifecycle.until(lambda s: s.signers[0].sign_link != first.signers[0].sign_link)
    assert again.stage is Stage.AWAITING_SIGNATURE
    assert again.outcome is None

    # The signer really refuses: Digisign offers no more links, and the refusal counts.
    await lifecycle.handle.signal(
        SigningWorkflow.signed, lifecycle.digisign.refuse(email, request.document_id)
    )
    outcome = await lifecycle.handle.result()
    assert outcome.status is OutcomeStatus.REJECTED
    assert outcome.signer_index == 0
