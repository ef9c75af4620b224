"""Inputs and results of the activities: one model each (STYLE.md 2).

Like workflow models, these are in history: new fields get defaults, and no photo
or PDF bytes ever appear (blob references only).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from activities.blobs import BlobRef
from digisign.fields import (
    BirthDate,
    BirthPlace,
    DocumentId,
    DocumentType,
    Email,
    Gender,
    Nik,
    Payment,
    PersonName,
    Phone,
    SignatureType,
    Visible,
)
from digisign.requests import MeteraiPosition, SignBox, Signer, Viewer
from digisign.results import RegistrationKind


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class Registrant(_Model):
    """Who a signer is, as Digisign's registration needs it; photos by reference."""

    name: PersonName = Field(repr=False)
    gender: Gender = Field(repr=False)
    birth_date: BirthDate = Field(repr=False)
    birth_place: BirthPlace = Field(repr=False)
    nik: Nik = Field(repr=False)
    email: Email = Field(repr=False)
    phone: Phone = Field(repr=False)
    ktp_photo: BlobRef = Field(repr=False)
    selfie: BlobRef = Field(repr=False)
    signature_image: BlobRef | None = Field(default=None, repr=False)


class Signature(_Model):
    """One place a signer signs (or initials): a box and Digisign's signature type."""

    box: SignBox
    user: SignatureType = "ttd"
    visible: Visible = True


class RegisterInput(_Model):
    """Register one signer at Digisign (identity check; charged when new)."""

    registrant: Registrant


class RegisterResult(_Model):
    """How the registration went; `kind` says whether activation is needed."""

    kind: RegistrationKind
    kode_user: str | None = None
    expired_aktifasi: datetime | None = None


class ActivationLinkInput(_Model):
    """Ask for a fresh activation link."""

    email: Email = Field(repr=False)


class ActivationLinkResult(_Model):
    """A fresh link, or the news that the account is already active (`14`)."""

    link: str | None = Field(default=None, repr=False)
    already_active: bool = False


class ContactChangeInput(_Model):
    """UPDATE-EP: Digisign wants old and new values of both e-mail and phone."""

    old_email: Email = Field(repr=False)
    new_email: Email = Field(repr=False)
    old_phone: Phone = Field(repr=False)
    new_phone: Phone = Field(repr=False)


class SendInput(_Model):
    """Send the document for signing: `SendDocumentRequest` with the PDF by reference.

    Attributes:
        reconcile: the document may already be at Digisign (an earlier attempt's
            outcome is unknown): check before sending, so nobody pays twice.
    """

    document_id: DocumentId
    document: BlobRef
    req_sign: tuple[Signer, ...]
    send_to: tuple[Viewer, ...] = ()
    sequence_option: bool | None = None
    payment: Payment = Payment.PER_DOCUMENT
    meterai_positions: tuple[MeteraiPosition, ...] = ()
    document_type: DocumentType | None = None
    branch: str | None = None
    reconcile: bool = False


class SendResult(_Model):
    """The document is at Digisign; `already_there` when a reconciliation found it."""

    already_there: bool = False
    ref_trx: str | None = None


class SignLinkInput(_Model):
    """Ask for a fresh sign link for one signer."""

    document_id: DocumentId
    email: Email = Field(repr=False)


class SignLinkResult(_Model):
    """A fresh link, or the news that this signer already signed (`05`)."""

    link: str | None = Field(default=None, repr=False)
    already_signed: bool = False


class DownloadInput(_Model):
    """Fetch the signed PDF into the blob store."""

    document_id: DocumentId
    original: BlobRef


class SignedDocument(_Model):
    """The signed PDF, stored in the blob store."""

    ref: BlobRef
    sha256: str
    size: int


class NotifyInput(_Model):
    """One event for the loan-origination system's callback URL.

    Attributes:
        url: the LOS callback URL.
        event: `activation_link`, `sign_link`, `completed` or `ended`.
        loan_id: the loan.
        document_id: the document.
        signer_index: the signer concerned, if any.
        email: the signer's e-mail, so the LOS can reach them with the link.
        link: a fresh activation or sign link.
        expires_at: when `link` stops working.
        outcome: for `completed`/`ended`: the outcome status.
        signed_document: for `completed`: the blob reference of the signed PDF.
    """

    url: str
    event: str
    loan_id: str
    document_id: str
    signer_index: int | None = None
    email: str | None = Field(default=None, repr=False)
    link: str | None = Field(default=None, repr=False)
    expires_at: datetime | None = None
    outcome: str | None = None
    signed_document: str | None = None
