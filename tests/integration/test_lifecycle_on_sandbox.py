"""The real workflow and activities against the sandbox over HTTP, on the dev server.

The signer robot plays the people; the test plays the gateway's part (decrypt the
redirect's `msg`, signal the lifecycle). The sandbox's ledger proves nobody paid twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.blobs import FilesystemBlobStore
from activities.digisign import DigisignActivities
from activities.los import LosActivities
from activities.models import Signature
from digisign.cipher import RedirectCipher
from digisign.client import DigisignClient
from digisign.redirects import parse_activation_redirect, parse_sign_redirect
from digisign.requests import ActivationLinkRequest, SignBox
from sandbox import pdf
from sandbox.agreement import SIGNATURE_AREAS, sample_agreement
from sandbox.robot import SignerRobot
from tests.integration.harness import Admin, Person, RunningSandbox
from tests.support.binaries import venv_binary
from tests.unit.fixtures.samples import JPEG
from workflows import names
from workflows.models import (
    ActivatedSignal,
    Consent,
    OutcomeStatus,
    SignedSignal,
    SignerInput,
    SignerStage,
    SigningRequest,
)
from workflows.signing import SigningWorkflow
from workflows.starting import start_signing


@pytest.fixture
async def dev() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=venv_binary("temporal"),
        search_attributes=names.SEARCH_ATTRIBUTES,
    ) as environment:
        yield environment


def signer_input(person: Person, blobs: FilesystemBlobStore, seq: int) -> SignerInput:
    llx, lly, urx, ury = SIGNATURE_AREAS[seq - 1]
    return SignerInput(
        name=person.name,
        gender="Perempuan",
        birth_date=person.birth_date,
        birth_place="Bandung",
        nik=person.nik,
        email=person.email,
        phone=person.phone,
        ktp_photo=blobs.ref("photos/ktp.jpg"),
        selfie=blobs.ref("photos/selfie.jpg"),
        signatures=(Signature(box=SignBox(page=2, llx=llx, lly=lly, urx=urx, ury=ury)),),
        signing_seq=seq,
        consent=Consent(given_at=datetime(2026, 11, 1, tzinfo=UTC), terms_version="tnc-3"),
    )


async def stored_agreement(
    blobs: FilesystemBlobStore, loan_id: str, parties: list[str]
) -> tuple[str, bytes]:
    """Put an agreement and the signers' photos in the blob store; its reference and bytes."""
    agreement = sample_agreement(title="Perjanjian Kredit", loan_id=loan_id, parties=parties)
    document = await blobs.put("in/agreement.pdf", agreement, content_type="application/pdf")
    await blobs.put("photos/ktp.jpg", JPEG, content_type="image/jpeg")
    await blobs.put("photos/selfie.jpg", JPEG, content_type="image/jpeg")
    return document, agreement


def signing_worker(
    dev: WorkflowEnvironment,
    digisign: DigisignClient,
    blobs: FilesystemBlobStore,
    http: httpx.AsyncClient,
    task_queue: str,
) -> Worker:
    """The real workflow and activities on `task_queue`."""
    activities = DigisignActivities(digisign, blobs)
    return Worker(
        dev.client,
        task_queue=task_queue,
        workflows=[SigningWorkflow],
        activities=[
            activities.register,
            activities.activation_link,
            activities.change_contact,
            activities.send_document,
            activities.sign_link,
            activities.download_signed,
            LosActivities(http).notify,
        ],
    )


class Gateway:
    """The gateway's part, done by the test: people act, redirects become signals."""

    def __init__(self, robot: SignerRobot, key: str, handle: WorkflowHandle[Any, Any]) -> None:
        self._robot = robot
        self._cipher = RedirectCipher(key)
        self._handle = handle
        self._used: set[str] = set()

    async def drive(self) -> None:
        """Act on every fresh link until the lifecycle ends."""
        while True:
            status = await self._handle.query(SigningWorkflow.status)
            if status.outcome is not None:
                return
            for signer in status.signers:
                if signer.stage is SignerStage.AWAITING_ACTIVATION and signer.activation_link:
                    await self._activate(signer.activation_link.link)
                if signer.stage is SignerStage.AWAITING_SIGNATURE and signer.sign_link:
                    await self._sign(signer.sign_link.link)
            await asyncio.sleep(0.1)

    async def _activate(self, link: str) -> None:
        if link in self._used:
            return
        self._used.add(link)
        outcome = await self._robot.activate(link)
        assert outcome.msg, outcome.page_text
        redirect = parse_activation_redirect(self._cipher.decrypt(outcome.msg))
        await self._handle.signal(
            SigningWorkflow.activated, ActivatedSignal(email=redirect.email_user)
        )

    async def _sign(self, link: str) -> None:
        if link in self._used:
            return
        self._used.add(link)
        outcome = await self._robot.sign(link)
        assert outcome.msg, outcome.page_text
        redirect = parse_sign_redirect(self._cipher.decrypt(outcome.msg))
        signal = SignedSignal(
            email=redirect.email_user, document_id=redirect.document_id, rejected=redirect.rejected
        )
        for _ in range(2):  # Digisign delivers every redirect twice
            await self._handle.signal(SigningWorkflow.signed, signal)


async def test_a_loan_is_signed_in_sequence_through_the_sandbox_and_charged_once(
    dev: WorkflowEnvironment,
    sandbox: RunningSandbox,
    http: httpx.AsyncClient,
    digisign: DigisignClient,
    robot: SignerRobot,
    admin: Admin,
    people: Any,
    tmp_path: Path,
) -> None:
    blobs = FilesystemBlobStore(tmp_path / "blobs")
    document, agreement = await stored_agreement(
        blobs, "LN-42", ["Debitur", "Penjamin", "Kreditur"]
    )

    # The third signer is already a Digisign user: registering them again is free.
    borrower, guarantor, officer = people(), people(), people()
    await digisign.register(officer.register_request())
    link = await digisign.activation_link(ActivationLinkRequest(email_user=officer.email))
    assert (await robot.activate(link.link)).msg
    before = await admin.totals()

    request = SigningRequest(
        loan_id="LN-42",
        document_id=f"LN42-{uuid.uuid4().hex[:8]}",
        document=document,
        signers=tuple(
            signer_input(p, blobs, seq) for seq, p in enumerate((borrower, guarantor, officer), 1)
        ),
        sequence_option=True,
    )
    task_queue = f"integration-{uuid.uuid4()}"
    async with signing_worker(dev, digisign, blobs, http, task_queue):
        handle = await start_signing(dev.client, request, task_queue=task_queue)
        gateway = Gateway(robot, sandbox.partner.aes_key, handle)
        await asyncio.wait_for(gateway.drive(), timeout=60)
        outcome = await handle.result()

    assert outcome.status is OutcomeStatus.COMPLETED, outcome
    signed = outcome.signed_document
    content = await blobs.get(signed.ref)
    assert content.startswith(b"%PDF-")
    assert content != agreement
    page = pdf.page_text(content, 2)
    for person in (borrower, guarantor, officer):
        assert person.name in page

    after = await admin.totals()
    charged = {kind: after.get(kind, 0) - before.get(kind, 0) for kind in after}
    assert charged.get("identity_check", 0) == 2  # the two new signers, once each
    assert charged.get("document", 0) == 1


async def _until(handle: WorkflowHandle[Any, Any], predicate: Any, limit: float = 30) -> Any:
    async with asyncio.timeout(limit):
        while True:
            status = await handle.query(SigningWorkflow.status)
            if predicate(status):
                return status
            await asyncio.sleep(0.05)


async def test_forged_redirects_are_put_to_the_sandbox_and_count_nothing(
    dev: WorkflowEnvironment,
    sandbox: RunningSandbox,
    http: httpx.AsyncClient,
    digisign: DigisignClient,
    robot: SignerRobot,
    people: Any,
    tmp_path: Path,
) -> None:
    # A forged `msg` (ECB blocks of real ones spliced) decrypts to a well-formed redirect
    # for a real signer; the gateway cannot tell. The lifecycle asks Digisign instead.
    blobs = FilesystemBlobStore(tmp_path / "blobs")
    document, _ = await stored_agreement(blobs, "LN-43", ["Debitur"])
    borrower = people()
    request = SigningRequest(
        loan_id="LN-43",
        document_id=f"LN43-{uuid.uuid4().hex[:8]}",
        document=document,
        signers=(signer_input(borrower, blobs, 1),),
    )
    task_queue = f"integration-{uuid.uuid4()}"
    async with signing_worker(dev, digisign, blobs, http, task_queue):
        handle = await start_signing(dev.client, request, task_queue=task_queue)
        cipher = RedirectCipher(sandbox.partner.aes_key)

        # A forged activation: the sandbox still offers a link, so nothing is counted.
        first = await _until(handle, lambda s: s.signers[0].activation_link is not None)
        await handle.signal(SigningWorkflow.activated, ActivatedSignal(email=borrower.email))
        fresh = await _until(
            handle, lambda s: s.signers[0].activation_link != first.signers[0].activation_link
        )
        assert fresh.signers[0].stage is SignerStage.AWAITING_ACTIVATION
        outcome = await robot.activate(fresh.signers[0].activation_link.link)
        assert outcome.msg, outcome.page_text
        real = parse_activation_redirect(cipher.decrypt(outcome.msg))
        await handle.signal(SigningWorkflow.activated, ActivatedSignal(email=real.email_user))

        # A forged signature: the sandbox offers a fresh link, so it is not counted.
        waiting = await _until(handle, lambda s: s.signers[0].sign_link is not None)
        forged = SignedSignal(email=borrower.email, document_id=request.document_id)
        await handle.signal(SigningWorkflow.signed, forged)
        again = await _until(
            handle, lambda s: s.signers[0].sign_link != waiting.signers[0].sign_link
        )
        assert again.signers[0].stage is SignerStage.AWAITING_SIGNATURE
        assert not again.signers[0].signed
        outcome = await robot.sign(again.signers[0].sign_link.link)
        assert outcome.msg, outcome.page_text
        signed = parse_sign_redirect(cipher.decrypt(outcome.msg))
        await handle.signal(
            SigningWorkflow.signed,
            SignedSignal(email=signed.email_user, document_id=signed.document_id),
        )
        result = await handle.result()

    assert result.status is OutcomeStatus.COMPLETED, result
    assert borrower.name in pdf.page_text(await blobs.get(result.signed_document.ref), 2)
