"""A scripted Digisign (and its humans) for workflow tests, registered under the real names.

`ScriptedDigisign` answers each activity from a per-activity script of outcomes; an
outcome is a result, or a `digisign.errors` exception turned into the same
`ApplicationError` the real activities raise (activities/errors.py), so the workflow
sees exactly what production would.

The humans: when a link is issued, the fake signals the workflow *before* returning
(activated, signed, rejected, certificate expired), as the gateway would after
Digisign's redirect. Signalling before the activity completes keeps the time-skipping
server from racing past the deadline between the link and the signal.

Digisign's memory: who is active and who signed which document, so that asking for a
link again answers as Digisign would (`14` already active, `05` already signed). The
workflow confirms every redirect that way; a signal the fake's Digisign does not
back (`activate`/`sign` not called) is a forged one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio import activity
from temporalio.client import Client

from activities.errors import application_error
from activities.models import (
    ActivationLinkInput,
    ActivationLinkResult,
    ContactChangeInput,
    DownloadInput,
    NotifyInput,
    RegisterInput,
    RegisterResult,
    SendInput,
    SendResult,
    SignedDocument,
    SignLinkInput,
    SignLinkResult,
)
from digisign import errors as e
from digisign.endpoints import Endpoint
from digisign.results import RegistrationKind
from workflows import names
from workflows.models import ActivatedSignal, CertificateExpiredSignal, SignedSignal

Outcome = Any  # a result model, or a digisign.errors.DigisignError to raise


def retry_later(endpoint: Endpoint) -> e.RetryLater:
    """Digisign's `91`."""
    return e.RetryLater(endpoint, "91", "system timeout, silahkan coba kembali 10 menit kemudian")


@dataclass
class Call:
    """One activity call as the fake saw it."""

    name: str
    arg: Any
    scheduled: datetime
    attempt: int


@dataclass
class ScriptedDigisign:
    """Digisign, scripted per activity, plus the signers' behaviour.

    Attributes:
        client: to signal the workflow as the gateway would.
        scripts: activity name → outcomes, used in order; when a script runs out,
            the default outcome of that activity is used.
        humans: e-mail → what that person does: "sign" (default: activates, then
            signs), "reject" (activates, then rejects), "no-sign" (activates, never
            signs), "ignore" (does nothing), "wait" (activates only when the test says so, then
            signs), "expire" (activates; the first sign page
            reports an expired certificate, then signs).
        extra_signals: e-mail → callables run after that signer's sign link is issued,
            to send duplicate or out-of-order signals.
    """

    client: Client
    scripts: dict[str, list[Outcome]] = field(default_factory=dict)
    humans: dict[str, str] = field(default_factory=dict)
    extra_signals: dict[str, list[Callable[[str], Any]]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    notifications: list[NotifyInput] = field(default_factory=list)
    _expired_once: set[str] = field(default_factory=set)
    active: set[str] = field(default_factory=set)
    """E-mails (lower case) Digisign knows as activated."""
    signatures: set[tuple[str, str]] = field(default_factory=set)
    """(document id, e-mail in lower case) Digisign knows as signed."""
    refused: set[str] = field(default_factory=set)
    """Documents a signer refused to sign: Digisign offers no more sign links (`05`)."""
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def called(self, name: str) -> list[Call]:
        """The calls of one activity, in order."""
        return [c for c in self.calls if c.name == name]

    def _next(self, name: str, arg: Any, default: Outcome) -> Outcome:
        info = activity.info()
        self.calls.append(Call(name, arg, info.current_attempt_scheduled_time, info.attempt))
        script = self.scripts.get(name) or []
        outcome = script.pop(0) if script else default
        if isinstance(outcome, e.DigisignError):
            raise application_error(outcome)
        return outcome

    async def _signal(self, signal: str, payload: Any) -> None:
        handle = self.client.get_workflow_handle(activity.info().workflow_id)
        await handle.signal(signal, payload)

    def activate(self, email: str) -> ActivatedSignal:
        """The signer activates at Digisign; returns the redirect's signal."""
        self.active.add(email.lower())
        return ActivatedSignal(email=email)

    def sign(self, email: str, document_id: str) -> SignedSignal:
        """The signer signs at Digisign; returns the redirect's signal."""
        self.signatures.add((document_id, email.lower()))
        return SignedSignal(email=email, document_id=document_id)

    def refuse(self, email: str, document_id: str) -> SignedSignal:
        """The signer refuses to sign at Digisign; returns the redirect's signal."""
        self.refused.add(document_id)
        return SignedSignal(email=email, document_id=document_id, rejected=True)

    @activity.defn(name="digisign.register")
    async def register(self, data: RegisterInput) -> RegisterResult:
        outcome: RegisterResult = self._next(
            "register", data, RegisterResult(kind=RegistrationKind.NEW, kode_user="1")
        )
        return outcome

    @activity.defn(name="digisign.activation_link")
    async def activation_link(self, data: ActivationLinkInput) -> ActivationLinkResult:
        self.counts["activation_link"] += 1
        n = self.counts["activation_link"]
        default = (
            ActivationLinkResult(already_active=True)
            if data.email.lower() in self.active
            else ActivationLinkResult(link=f"https://digisign.test/activationpage.html?act={n}")
        )
        outcome: ActivationLinkResult = self._next("activation_link", data, default)
        if outcome.link and self.humans.get(data.email, "sign") not in ("ignore", "wait"):
            await self._signal(names.SIGNAL_ACTIVATED, self.activate(data.email))
        return outcome

    @activity.defn(name="digisign.change_contact")
    async def change_contact(self, data: ContactChangeInput) -> None:
        self._next("change_contact", data, None)

    @activity.defn(name="digisign.send_document")
    async def send_document(self, data: SendInput) -> SendResult:
        outcome: SendResult = self._next("send_document", data, SendResult(ref_trx="T1"))
        return outcome

    @activity.defn(name="digisign.sign_link")
    async def sign_link(self, data: SignLinkInput) -> SignLinkResult:
        self.counts["sign_link"] += 1
        n = self.counts["sign_link"]
        default: Outcome = (
            SignLinkResult(already_signed=True)
            if (data.document_id, data.email.lower()) in self.signatures
            else e.NotFound(Endpoint.SIGN_LINK, "05", "dokumen telah ditolak")
            if data.document_id in self.refused
            else SignLinkResult(link=f"https://digisign.test/signingpage.html?sgn={n}")
        )
        outcome: SignLinkResult = self._next("sign_link", data, default)
        if not outcome.link:
            return outcome
        behaviour = self.humans.get(data.email, "sign")
        if behaviour == "expire" and data.email not in self._expired_once:
            self._expired_once.add(data.email)
            await self._signal(
                names.SIGNAL_CERTIFICATE_EXPIRED, CertificateExpiredSignal(email=data.email)
            )
        elif behaviour == "reject":
            await self._signal(names.SIGNAL_SIGNED, self.refuse(data.email, data.document_id))
        elif behaviour in ("sign", "wait", "expire"):
            await self._signal(names.SIGNAL_SIGNED, self.sign(data.email, data.document_id))
        for extra in self.extra_signals.get(data.email, []):
            await extra(data.document_id)
        return outcome

    @activity.defn(name="digisign.download_signed")
    async def download_signed(self, data: DownloadInput) -> SignedDocument:
        outcome: SignedDocument = self._next(
            "download_signed",
            data,
            SignedDocument(
                ref=f"file:///blobs/signed/{data.document_id}.pdf", sha256="ab" * 32, size=1234
            ),
        )
        return outcome

    @activity.defn(name="los.notify")
    async def notify(self, data: NotifyInput) -> None:
        self.notifications.append(data)

    def activities(self) -> list[Callable[..., Any]]:
        """Every activity, for the worker."""
        return [
            self.register,
            self.activation_link,
            self.change_contact,
            self.send_document,
            self.sign_link,
            self.download_signed,
            self.notify,
        ]
