"""What goes into, through and out of a signing lifecycle: one model per message.

Every model here is part of workflow history, so two rules hold:

- new fields get defaults, so histories recorded before the field existed still
  replay (STYLE.md 2);
- photos and PDFs never appear: they travel as `BlobRef` strings (`file://`,
  `s3://`, `https://`). Identity data (NIK, name, phone, e-mail) does appear, and is
  why every payload is encrypted by the payload codec (workers/).

The gateway imports these models to build starts, signals and updates.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from activities.blobs import BlobRef
from activities.models import Registrant, Signature, SignedDocument
from digisign.fields import DocumentId, DocumentType, Email, Payment, Phone, SigningSeq
from digisign.requests import MeteraiPosition, Viewer
from digisign.results import RegistrationKind


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


# --- the input -------------------------------------------------------------------------


class Consent(_Model):
    """The signer's recorded consent to registration at Digisign.

    Digisign's integration terms require the partner's application to record that
    the user agreed to have their data registered with Digisign. No consent, no
    registration attempt.
    """

    given_at: datetime
    terms_version: str = Field(min_length=1, max_length=64)


class SignerInput(Registrant):
    """A person who signs: who they are (for registration) and where they sign."""

    signatures: tuple[Signature, ...] = Field(min_length=1)
    signing_seq: SigningSeq | None = None
    consent: Consent | None = None
    """None means the LOS recorded no consent: the lifecycle ends before registering."""


class SigningPolicy(_Model):
    """Timing and limits of one lifecycle. Defaults are production values.

    Attributes:
        retry_later_delay: how long to wait after a `91` ("try again in 10 minutes").
        retry_later_max_attempts: how many `91` answers in a row one step accepts
            before the lifecycle ends as `digisign_unavailable`.
        retry_later_deadline: how long one step may keep getting `91` answers
            before the lifecycle ends as `digisign_unavailable`.
        activation_timeout: how long to wait for a signer's activation; None means
            until Digisign's `expired_aktifasi` (30 days), or 30 days if not given.
        signing_timeout: how long to wait for each signer's signature.
    """

    retry_later_delay: timedelta = timedelta(minutes=10)
    retry_later_max_attempts: int = Field(default=36, ge=1)
    retry_later_deadline: timedelta = timedelta(hours=6)
    activation_timeout: timedelta | None = None
    signing_timeout: timedelta = timedelta(days=14)


class SigningRequest(_Model):
    """Everything one signing lifecycle needs: the workflow's single input."""

    loan_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:/-]+$")
    document_id: DocumentId
    document: BlobRef
    signers: tuple[SignerInput, ...] = Field(min_length=1, max_length=20)
    viewers: tuple[Viewer, ...] = ()
    sequence_option: bool = False
    payment: Payment = Payment.PER_DOCUMENT
    meterai_positions: tuple[MeteraiPosition, ...] = ()
    document_type: DocumentType | None = None
    branch: str | None = Field(default=None, max_length=80)
    los_callback_url: str | None = Field(default=None, max_length=2048)
    policy: SigningPolicy = SigningPolicy()

    @model_validator(mode="after")
    def _coherent(self) -> SigningRequest:
        emails = [s.email.lower() for s in self.signers]
        if len(set(emails)) != len(emails):
            raise ValueError("signers: each signer needs a distinct e-mail")
        if self.sequence_option and any(s.signing_seq is None for s in self.signers):
            raise ValueError("signers: sequence_option needs a signing_seq on every signer")
        if self.meterai_positions and self.document_type is None:
            raise ValueError("document_type: required when meterai_positions are given")
        return self


# --- messages from outside -----------------------------------------------------------


class ActivatedSignal(_Model):
    """The gateway saw Digisign's activation redirect for this e-mail."""

    email: Email


class SignedSignal(_Model):
    """The gateway saw Digisign's sign redirect for this document and e-mail."""

    email: Email
    document_id: DocumentId
    rejected: bool = False
    document_complete: bool = False


class CertificateExpiredSignal(_Model):
    """Someone learned that this signer's certificate expired or was revoked."""

    email: Email


class LinkRequest(_Model):
    """Ask for a fresh activation or sign link for a signer."""

    email: Email


class LinkResponse(_Model):
    """A fresh single-use link and when it stops working."""

    link: str = Field(repr=False)
    expires_at: datetime


class ContactChange(_Model):
    """Correct a signer's e-mail and/or phone before activation (UPDATE-EP)."""

    email: Email
    new_email: Email | None = None
    new_phone: Phone | None = None

    @model_validator(mode="after")
    def _something_changes(self) -> ContactChange:
        if self.new_email is None and self.new_phone is None:
            raise ValueError("new_email or new_phone: give at least one")
        return self


class CancelRequest(_Model):
    """End the lifecycle as cancelled."""

    reason: str = Field(default="cancelled by request", max_length=200)


class Ack(_Model):
    """An update's answer when there is nothing more to say."""

    accepted: bool = True


# --- what can be seen -------------------------------------------------------------------


class Stage(enum.StrEnum):
    """Where the lifecycle is; also the `SigningStage` search attribute."""

    REGISTERING = "registering"
    AWAITING_ACTIVATION = "awaiting_activation"
    SENDING = "sending"
    AWAITING_SIGNATURE = "awaiting_signature"
    DOWNLOADING = "downloading"
    COMPLETED = "completed"
    REJECTED = "rejected"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class SignerStage(enum.StrEnum):
    """Where one signer is."""

    PENDING = "pending"
    REGISTERING = "registering"
    AWAITING_ACTIVATION = "awaiting_activation"
    ACTIVE = "active"
    AWAITING_SIGNATURE = "awaiting_signature"
    SIGNED = "signed"
    REJECTED = "rejected"
    FAILED = "failed"


class OutcomeStatus(enum.StrEnum):
    """How a lifecycle ended."""

    COMPLETED = "completed"
    REJECTED = "rejected"
    VERIFICATION_FAILED = "verification_failed"
    REGISTRATION_REFUSED = "registration_refused"
    ACTIVATION_EXPIRED = "activation_expired"
    SIGNING_EXPIRED = "signing_expired"
    DIGISIGN_UNAVAILABLE = "digisign_unavailable"
    DIGISIGN_REFUSED = "digisign_refused"
    CONSENT_MISSING = "consent_missing"
    CANCELLED = "cancelled"

    @property
    def stage(self) -> Stage:
        """The final stage this outcome leaves the lifecycle in."""
        return _FINAL_STAGE.get(self, Stage.FAILED)


_FINAL_STAGE = {
    OutcomeStatus.COMPLETED: Stage.COMPLETED,
    OutcomeStatus.REJECTED: Stage.REJECTED,
    OutcomeStatus.ACTIVATION_EXPIRED: Stage.EXPIRED,
    OutcomeStatus.SIGNING_EXPIRED: Stage.EXPIRED,
    OutcomeStatus.CANCELLED: Stage.CANCELLED,
}


class SigningOutcome(_Model):
    """The workflow's single result: how it ended, and for whom.

    Attributes:
        status: the kind of ending.
        reason: a short machine-readable reason (the Digisign error class, a check).
        detail: a human sentence for the operator (no personal data).
        signer_index: the signer concerned (0-based, in input order), if any.
        signed_document: the signed PDF, when completed.
    """

    status: OutcomeStatus
    reason: str = ""
    detail: str = ""
    signer_index: int | None = None
    signed_document: SignedDocument | None = None


class SignerStatus(_Model):
    """One signer as the `status` query shows it."""

    index: int
    email: str = Field(repr=False)
    stage: SignerStage
    signed: bool = False
    """Signed, even if the signature arrived before the signer's turn."""
    registration: RegistrationKind | None = None
    activation_link: LinkResponse | None = None
    sign_link: LinkResponse | None = None
    waiting_since: datetime | None = None
    re_registrations: int = 0


class SigningStatus(_Model):
    """The whole state of a lifecycle, for the `status` query."""

    loan_id: str
    document_id: str
    stage: Stage
    signers: tuple[SignerStatus, ...]
    retry_later_waits: int = 0
    outcome: SigningOutcome | None = None
