"""Endings other than success: each named, typed, with the signer concerned."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from digisign import errors as e
from digisign.endpoints import Endpoint
from tests.workflows.conftest import signing_request
from workflows.models import OutcomeStatus, SignerStage, SigningPolicy, Stage

R = Endpoint.REGISTER


@pytest.mark.parametrize(
    ("error", "status", "reason"),
    [
        (
            e.VerificationFailed(
                R, "12", "verifikasi user gagal.", checks=frozenset({e.VerificationCheck.FACE})
            ),
            OutcomeStatus.VERIFICATION_FAILED,
            "VerificationFailed",
        ),
        (
            e.AlreadyRegisteredElsewhere(R, "14", "NIK sudah terdaftar", conflict="nik"),
            OutcomeStatus.REGISTRATION_REFUSED,
            "AlreadyRegisteredElsewhere",
        ),
        (
            e.PhoneInUse(R, "15", "No Handphone sudah digunakan."),
            OutcomeStatus.REGISTRATION_REFUSED,
            "PhoneInUse",
        ),
        (
            e.TooManyAttempts(R, "20", "lebih dari 3x"),
            OutcomeStatus.REGISTRATION_REFUSED,
            "TooManyAttempts",
        ),
        (e.UserBlocked(R, "78", "blocked"), OutcomeStatus.REGISTRATION_REFUSED, "UserBlocked"),
        (
            e.InsufficientBalance(R, "12", "verifikasi user gagal.", balance="verification_text"),
            OutcomeStatus.DIGISIGN_REFUSED,
            "InsufficientBalance",
        ),
        (
            e.AuthenticationFailed(R, "55", "token salah"),
            OutcomeStatus.DIGISIGN_REFUSED,
            "AuthenticationFailed",
        ),
    ],
    ids=lambda x: x.__class__.__name__ if isinstance(x, Exception) else None,
)
async def test_permanent_registration_failure_ends_with_a_typed_outcome(
    start: Any, error: e.DigisignError, status: OutcomeStatus, reason: str
) -> None:
    # Signer 2 fails; signer 1 registers fine.
    from activities.models import RegisterResult
    from digisign.results import RegistrationKind

    ok = RegisterResult(kind=RegistrationKind.ALREADY_ACTIVE)
    request = signing_request(2)
    lifecycle = await start(request, register=[ok, error])
    outcome = await lifecycle.handle.result()

    assert outcome.status is status
    assert outcome.reason == reason
    assert outcome.signer_index in (0, 1)
    assert lifecycle.digisign.called("send_document") == []
    assert (await lifecycle.status()).stage is status.stage


async def test_verification_failure_names_the_failed_checks(start: Any) -> None:
    checks = frozenset({e.VerificationCheck.NAME, e.VerificationCheck.BIRTHDATE})
    lifecycle = await start(
        signing_request(1), register=[e.VerificationFailed(R, "12", "gagal", checks=checks)]
    )
    outcome = await lifecycle.handle.result()
    assert outcome.signer_index == 0
    assert "birthdate, name" in outcome.detail
    assert "Traceback" not in outcome.detail


async def test_no_consent_no_registration(start: Any) -> None:
    request = signing_request(1)
    signer = request.signers[0]
    request = request.model_copy(update={"signers": (signer.model_copy(update={"consent": None}),)})
    lifecycle = await start(request)
    outcome = await lifecycle.handle.result()
    assert outcome.status is OutcomeStatus.CONSENT_MISSING
    assert lifecycle.digisign.called("register") == []


async def test_activation_expiry_ends_as_activation_expired(start: Any) -> None:
    policy = SigningPolicy(activation_timeout=timedelta(hours=2))
    request = signing_request(1, policy=policy)
    lifecycle = await start(request, humans={request.signers[0].email: "ignore"})
    outcome = await lifecycle.handle.result()
    assert outcome.status is OutcomeStatus.ACTIVATION_EXPIRED
    assert outcome.signer_index == 0
    status = await lifecycle.status()
    assert status.stage is Stage.EXPIRED
    assert lifecycle.digisign.called("send_document") == []


async def test_activation_waits_until_digisigns_expired_aktifasi(start: Any) -> None:
    from activities.models import RegisterResult
    from digisign.results import RegistrationKind

    request = signing_request(1)
    lifecycle = await start(request, humans={request.signers[0].email: "ignore"})
    first = await lifecycle.until(lambda s: s.signers[0].stage is SignerStage.AWAITING_ACTIVATION)
    # The default fake gives no expired_aktifasi: the default 30-day window applies.
    outcome = await lifecycle.handle.result()
    assert outcome.status is OutcomeStatus.ACTIVATION_EXPIRED
    assert first.signers[0].waiting_since is not None
    assert RegisterResult(kind=RegistrationKind.NEW).expired_aktifasi is None


async def test_signing_deadline_ends_as_signing_expired(start: Any) -> None:
    policy = SigningPolicy(signing_timeout=timedelta(days=3))
    request = signing_request(2, sequence=True, policy=policy)
    lifecycle = await start(request, humans={request.signers[1].email: "no-sign"})
    outcome = await lifecycle.handle.result()
    assert outcome.status is OutcomeStatus.SIGNING_EXPIRED
    assert outcome.signer_index == 1
    assert lifecycle.digisign.called("download_signed") == []


async def test_rejection_ends_as_rejected_by_that_signer(start: Any) -> None:
    request = signing_request(3, sequence=True)
    lifecycle = await start(request, humans={request.signers[1].email: "reject"})
    outcome = await lifecycle.handle.result()
    assert outcome.status is OutcomeStatus.REJECTED
    assert outcome.signer_index == 1
    links = [c.arg.email for c in lifecycle.digisign.called("sign_link")]
    # Each: a link, then Digisign's confirmation of the redirect (a signature for
    # signer 1; signer 2's refusal, which Digisign confirms by offering no link).
    assert links == [request.signers[0].email] * 2 + [request.signers[1].email] * 2
    status = await lifecycle.status()
    assert status.stage is Stage.REJECTED
    assert status.signers[1].stage is SignerStage.REJECTED


async def test_document_id_in_use_on_a_first_send_is_refused(start: Any) -> None:
    lifecycle = await start(
        signing_request(1),
        send_document=[
            e.DocumentIdInUse(Endpoint.SEND_DOCUMENT, "17", "Document_id sudah digunakan")
        ],
    )
    outcome = await lifecycle.handle.result()
    assert outcome.status is OutcomeStatus.DIGISIGN_REFUSED
    assert outcome.reason == "DocumentIdInUse"
