"""The loan-origination event: what a lender's LOS posts to start a signing lifecycle.

`LoanEvent` is the gateway's public contract, kept apart from the workflow's input
(`workflows.models.SigningRequest`) so either can evolve; `LoanEvent.to_request()`
maps one onto the other. Validation reuses `digisign.fields` and the workflow models
(NIK, phone, name, birth date, photo references, sign boxes) and adds what only the
edge can insist on:

- every signer's consent is required (Digisign's terms: no consent, no registration);
- cross-field rules are reported under the field that is wrong (`signers`,
  `meterai_positions`, `document_type`), not under the whole event;
- signature and e-meterai boxes must not overlap (Digisign answers `03` otherwise,
  after the upload);
- the policy part is limited to the two deadlines a lender may choose.

Errors never carry the rejected value (`hide_input_in_errors`): it may be a NIK.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from activities.blobs import BlobRef
from digisign.fields import DocumentId, DocumentType, Payment
from digisign.requests import Box, MeteraiPosition, Viewer, rules
from workflows.models import Consent, SignerInput, SigningPolicy, SigningRequest

MAX_SIGNERS = 20
LOAN_ID_PATTERN = r"^[A-Za-z0-9._:/-]+$"

EXAMPLE: dict[str, Any] = {
    "loan_id": "LN-2026-000123",
    "document_id": "PK-000123",
    "document": "s3://los-documents/2026/PK-000123.pdf",
    "sequence_option": True,
    "signers": [
        {
            "name": "Siti Rahmawati",
            "gender": "Perempuan",
            "birth_date": "17-08-1990",
            "birth_place": "Bandung",
            "nik": "3273010000000001",
            "email": "siti@example.com",
            "phone": "081200000001",
            "ktp_photo": "s3://los-kyc/LN-2026-000123/ktp-1.jpg",
            "selfie": "s3://los-kyc/LN-2026-000123/selfie-1.jpg",
            "signatures": [{"box": {"page": 2, "llx": 60, "lly": 120, "urx": 220, "ury": 180}}],
            "signing_seq": 1,
            "consent": {"given_at": "2026-11-20T09:30:00+07:00", "terms_version": "tnc-2026-01"},
        },
        {
            "name": "Budi Santoso",
            "gender": "Laki-laki",
            "birth_date": "02-05-1985",
            "birth_place": "Surabaya",
            "nik": "3578010000000002",
            "email": "budi@example.com",
            "phone": "081200000002",
            "ktp_photo": "s3://los-kyc/LN-2026-000123/ktp-2.jpg",
            "selfie": "s3://los-kyc/LN-2026-000123/selfie-2.jpg",
            "signatures": [{"box": {"page": 2, "llx": 260, "lly": 120, "urx": 420, "ury": 180}}],
            "signing_seq": 2,
            "consent": {"given_at": "2026-11-20T09:31:00+07:00", "terms_version": "tnc-2026-01"},
        },
    ],
    "los_callback_url": "https://los.lender.example/signflow/callback",
    "policy": {"signing_timeout": "P14D"},
}
"""A complete, valid event (fictitious people): the schema's example and the docs'."""


class _EventModel(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", hide_input_in_errors=True, use_attribute_docstrings=True
    )


class EventSigner(SignerInput):
    """A signer as the LOS sends them: `SignerInput`, with consent required."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    consent: Consent  # required here; optional in history (old LOS records)
    """When and to which terms the signer agreed to registration at Digisign."""


class EventPolicy(_EventModel):
    """The deadlines a lender may set; everything else is signflow's own policy.

    Durations are ISO 8601 (`P14D`, `PT12H`) or seconds.
    """

    activation_timeout: timedelta | None = Field(
        default=None, ge=timedelta(minutes=10), le=timedelta(days=30)
    )
    """How long each signer has to activate; unset: until Digisign's own expiry (30 days)."""
    signing_timeout: timedelta | None = Field(
        default=None, ge=timedelta(minutes=10), le=timedelta(days=90)
    )
    """How long each signer has to sign once it is their turn; unset: 14 days."""

    def to_policy(self) -> SigningPolicy:
        """The workflow's policy: these deadlines over signflow's defaults."""
        chosen = {
            name: value
            for name, value in (
                ("activation_timeout", self.activation_timeout),
                ("signing_timeout", self.signing_timeout),
            )
            if value is not None
        }
        return SigningPolicy(**chosen)


class LoanEvent(_EventModel):
    """An approved loan whose agreement must be signed: starts one signing lifecycle.

    One lifecycle per `document_id`: posting the same event again returns the same
    lifecycle; a different event for the same `document_id` is refused (409).
    Photos and the PDF are blob references (`s3://`, `https://`, `file://`), never bytes.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    loan_id: str = Field(min_length=1, max_length=64, pattern=LOAN_ID_PATTERN)
    """The LOS's loan id (shown in the Temporal UI and searchable as `LoanId`)."""
    document_id: DocumentId
    """The document's id at Digisign: 1-20 printable ASCII characters; names the lifecycle."""
    document: BlobRef
    """Where the PDF to sign is."""
    sequence_option: bool = False
    """True: signers sign one after another by `signing_seq`; false: in any order."""
    signers: tuple[EventSigner, ...] = Field(min_length=1, max_length=MAX_SIGNERS)
    """Who signs, with their identity data (for registration) and signature boxes."""
    viewers: tuple[Viewer, ...] = ()
    """People who may view the document without signing."""
    meterai_positions: tuple[MeteraiPosition, ...] = ()
    """Where e-meterai (stamp duty) stamps go; needs `document_type`."""
    document_type: DocumentType | None = Field(default=None, validate_default=True)
    """The e-meterai document category (2, 3, 4a, 4b)."""
    payment: Payment = Payment.PER_DOCUMENT
    """Who pays at Digisign: 3 per document (default) or 2 per signature."""
    branch: str | None = Field(default=None, max_length=80)
    """An optional branch name, passed to Digisign."""
    los_callback_url: str | None = Field(default=None, max_length=2048)
    """Where the lifecycle posts fresh links and its outcome."""
    policy: EventPolicy = EventPolicy()
    """Deadlines for activation and signing."""

    @field_validator("signers")
    @classmethod
    def _signers_fit(
        cls, signers: tuple[EventSigner, ...], info: ValidationInfo
    ) -> tuple[EventSigner, ...]:
        emails = [s.email.strip().lower() for s in signers]
        for index, email in enumerate(emails):
            if email in emails[:index]:
                raise PydanticCustomError(
                    "signer_email_duplicate",
                    f"signers[{index}] has the e-mail of an earlier signer; "
                    "each signer needs a distinct e-mail",
                )
        if info.data.get("sequence_option"):
            rules.require_signing_seq([s.signing_seq for s in signers], "signers")
        rules.require_no_overlap(_signature_boxes(signers))
        return signers

    @field_validator("meterai_positions")
    @classmethod
    def _stamps_fit(
        cls, stamps: tuple[MeteraiPosition, ...], info: ValidationInfo
    ) -> tuple[MeteraiPosition, ...]:
        # `signers` is declared (so validated) first; if it failed, only stamps
        # against stamps are checked here and the signers' error is reported anyway.
        rules.require_stamps_fit(_signature_boxes(info.data.get("signers", ())), stamps)
        return stamps

    @field_validator("document_type")
    @classmethod
    def _type_given_with_stamps(
        cls, document_type: DocumentType | None, info: ValidationInfo
    ) -> DocumentType | None:
        rules.require_document_type(document_type, info.data.get("meterai_positions", ()))
        return document_type

    @field_validator("los_callback_url")
    @classmethod
    def _callback_is_a_url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("https", "http") or not parts.netloc:
                raise PydanticCustomError(
                    "callback_url", "los_callback_url must be an absolute http(s) URL"
                )
        return value

    def to_request(self) -> SigningRequest:
        """The workflow input for this event.

        Raises:
            pydantic.ValidationError: only if the workflow's own rules are stricter
                than the event's (a bug; the intake answers it as an invalid event).
        """
        return SigningRequest(
            loan_id=self.loan_id,
            document_id=self.document_id,
            document=self.document,
            signers=tuple(SignerInput(**dict(signer)) for signer in self.signers),
            viewers=self.viewers,
            sequence_option=self.sequence_option,
            payment=self.payment,
            meterai_positions=self.meterai_positions,
            document_type=self.document_type,
            branch=self.branch,
            los_callback_url=self.los_callback_url,
            policy=self.policy.to_policy(),
        )


def _signature_boxes(signers: Sequence[EventSigner]) -> list[tuple[str, Box]]:
    return [
        (f"signers[{i}].signatures[{j}]", signature.box)
        for i, signer in enumerate(signers)
        for j, signature in enumerate(signer.signatures)
    ]
