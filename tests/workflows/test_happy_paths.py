"""Lifecycles that end well: one and three signers, in sequence and in parallel."""

from __future__ import annotations

from typing import Any

import pytest

from activities.models import RegisterResult
from digisign.results import RegistrationKind
from tests.workflows.conftest import signing_request
from workflows.models import OutcomeStatus, SignerStage, Stage


async def test_one_signer_registers_activates_signs_and_gets_the_signed_pdf(start: Any) -> None:
    request = signing_request(1)
    lifecycle = await start(request)
    outcome = await lifecycle.handle.result()

    assert outcome.status is OutcomeStatus.COMPLETED
    assert outcome.signed_document.ref.endswith(f"signed/{request.document_id}.pdf")
    fake = lifecycle.digisign
    # Each redirect is a claim: asking for a link again is Digisign's confirmation.
    assert [c.name for c in fake.calls] == [
        "register",
        "activation_link",
        "activation_link",  # answered `14` already active: the activation is confirmed
        "send_document",
        "sign_link",
        "sign_link",  # answered "telah menandatangani": the signature is confirmed
        "download_signed",
    ]
    status = await lifecycle.status()
    assert status.stage is Stage.COMPLETED
    assert [s.stage for s in status.signers] == [SignerStage.SIGNED]


@pytest.mark.parametrize("sequence", [True, False], ids=["in-sequence", "in-parallel"])
async def test_three_signers_all_sign(start: Any, sequence: bool) -> None:
    request = signing_request(3, sequence=sequence)
    lifecycle = await start(request)
    outcome = await lifecycle.handle.result()

    assert outcome.status is OutcomeStatus.COMPLETED
    fake = lifecycle.digisign
    assert len(fake.called("register")) == 3
    assert len(fake.called("activation_link")) == 6  # a link and a confirmation each
    assert len(fake.called("send_document")) == 1
    sent = fake.called("send_document")[0].arg
    assert [s.email for s in sent.req_sign] == [s.email for s in request.signers]
    assert sent.sequence_option is (True if sequence else None)
    assert [s.signing_seq for s in sent.req_sign] == ([1, 2, 3] if sequence else [None] * 3)
    links = [c.arg.email for c in fake.called("sign_link")]
    twice = [s.email for s in request.signers for _ in (1, 2)]  # a link, then confirmed
    if sequence:
        assert links == twice
    else:
        assert sorted(links) == sorted(twice)


async def test_sequence_follows_signing_seq_not_input_order(start: Any) -> None:
    request = signing_request(3, sequence=True)
    signers = request.signers
    reordered = (
        signers[0].model_copy(update={"signing_seq": 3}),
        signers[1].model_copy(update={"signing_seq": 1}),
        signers[2].model_copy(update={"signing_seq": 2}),
    )
    request = request.model_copy(update={"signers": reordered})
    lifecycle = await start(request)
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED
    links = [c.arg.email for c in lifecycle.digisign.called("sign_link")]
    assert links[::2] == [reordered[1].email, reordered[2].email, reordered[0].email]
    assert links[1::2] == links[::2]  # each signature confirmed before the next turn


async def test_already_active_signer_skips_activation(start: Any) -> None:
    lifecycle = await start(
        signing_request(1),
        register=[RegisterResult(kind=RegistrationKind.ALREADY_ACTIVE, kode_user="9")],
    )
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED
    assert lifecycle.digisign.called("activation_link") == []


async def test_reregistered_signer_skips_activation(start: Any) -> None:
    lifecycle = await start(
        signing_request(1),
        register=[RegisterResult(kind=RegistrationKind.REREGISTERED, kode_user="9")],
    )
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED
    assert lifecycle.digisign.called("activation_link") == []


async def test_pre_registered_signer_still_activates(start: Any) -> None:
    lifecycle = await start(
        signing_request(1),
        register=[RegisterResult(kind=RegistrationKind.PRE_REGISTERED, kode_user="9")],
    )
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED
    assert len(lifecycle.digisign.called("activation_link")) == 2  # the link, the confirmation


async def test_activation_link_answering_already_active_counts_as_activation(start: Any) -> None:
    from activities.models import ActivationLinkResult

    lifecycle = await start(
        signing_request(1), activation_link=[ActivationLinkResult(already_active=True)]
    )
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED


async def test_los_is_told_links_and_the_outcome(start: Any) -> None:
    request = signing_request(1, los_callback_url="https://los.example/callback")
    lifecycle = await start(request)
    assert (await lifecycle.handle.result()).status is OutcomeStatus.COMPLETED
    events = [(n.event, n.signer_index) for n in lifecycle.digisign.notifications]
    assert events == [("activation_link", 0), ("sign_link", 0), ("completed", None)]
    assert lifecycle.digisign.notifications[-1].signed_document.endswith(".pdf")
