"""Steps of a signing lifecycle, as the partner and the signer take them, over HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from digisign.client import DigisignClient
from digisign.requests import (
    ActivationLinkRequest,
    SendDocumentRequest,
    SignBox,
    Signer,
    SignLinkRequest,
)
from digisign.results import Registration
from sandbox.agreement import SIGNATURE_AREAS
from sandbox.notifs import ACTIVATED
from sandbox.robot import RobotOutcome, SignerRobot
from tests.integration.harness import Person

LAST_PAGE = 2
"""The signature page of the `sample_pdf` fixture."""


async def register(digisign: DigisignClient, person: Person, **changes: Any) -> Registration:
    """Register ``person`` through the client."""
    return await digisign.register(person.register_request(**changes))


async def activation_link(digisign: DigisignClient, person: Person) -> str:
    """A fresh activation link for ``person``."""
    return (await digisign.activation_link(ActivationLinkRequest(email_user=person.email))).link


async def onboard(digisign: DigisignClient, robot: SignerRobot, person: Person) -> RobotOutcome:
    """Register and activate ``person``; the activation page's outcome."""
    await register(digisign, person)
    outcome = await robot.activate(await activation_link(digisign, person))
    # Redirected to the partner with a msg, or (no redirect URL) shown the done page.
    assert outcome.msg is not None or ACTIVATED in outcome.page_text, outcome.page_text
    return outcome


def signer(person: Person, area: int, *, seq: int | None = None) -> Signer:
    """``person`` signing in signature area ``area`` of the sample agreement's last page."""
    llx, lly, urx, ury = SIGNATURE_AREAS[area]
    return Signer(
        name=person.name,
        email=person.email,
        box=SignBox(page=LAST_PAGE, llx=llx, lly=lly, urx=urx, ury=ury),
        signing_seq=seq,
    )


async def send(
    digisign: DigisignClient,
    document_id: str,
    pdf: bytes,
    signers: Sequence[Signer],
    **changes: Any,
) -> None:
    """Send a document to be signed by ``signers``."""
    await digisign.send_document(
        SendDocumentRequest(document_id=document_id, pdf=pdf, req_sign=tuple(signers), **changes)
    )


async def sign_link(digisign: DigisignClient, document_id: str, person: Person) -> str:
    """A fresh sign link for ``person`` on ``document_id``."""
    request = SignLinkRequest(document_id=document_id, email_user=person.email)
    return (await digisign.sign_link(request)).link


async def sign(
    digisign: DigisignClient, robot: SignerRobot, document_id: str, person: Person
) -> RobotOutcome:
    """``person`` opens a fresh sign link and signs."""
    return await robot.sign(await sign_link(digisign, document_id, person))
