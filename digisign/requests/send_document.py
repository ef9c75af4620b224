"""SendDocMitraAT: upload a PDF with its signers, viewers and e-meterai stamps.

Cross-field rules are field validators that read earlier fields from ``info.data``
(pydantic validates fields in declaration order), so each error is reported under
the field that is wrong rather than under the whole model. The field order of
`SendDocumentRequest` is therefore part of its validation: keep it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from digisign.endpoints import Endpoint
from digisign.fields import (
    Coordinate,
    DisplayName,
    DocumentId,
    DocumentType,
    Email,
    Page,
    Payment,
    PdfBytes,
    SignatureType,
    SigningSeq,
    Visible,
    format_coordinate,
)
from digisign.requests import rules
from digisign.requests.base import DigisignRequest, FileParts, WireModel, without_none


class Box(WireModel):
    """A rectangle on a page, in PDF points, origin at the page's bottom-left corner.

    A zero-size box (``llx == urx``, ``lly == ury``) is allowed: Digisign's own
    example places its signatures that way.
    """

    page: Page
    llx: Coordinate
    lly: Coordinate
    urx: Coordinate
    ury: Coordinate

    @field_validator("urx", "ury")
    @classmethod
    def _corners_in_order(cls, upper: float, info: ValidationInfo) -> float:
        # llx and lly are declared (so validated) before urx and ury.
        axis = "x" if info.field_name == "urx" else "y"
        lower = info.data.get(f"ll{axis}")
        if lower is not None and upper < lower:
            raise PydanticCustomError("box_corners", f"box ur{axis} must not be less than ll{axis}")
        return upper

    def overlaps(self, other: Box) -> bool:
        """Whether the two boxes share an area of positive size (touching edges do not)."""
        return (
            self.page == other.page
            and min(self.urx, other.urx) > max(self.llx, other.llx)
            and min(self.ury, other.ury) > max(self.lly, other.lly)
        )

    def wire(self) -> dict[str, str]:
        """The box as Digisign's examples write it: every value a string."""
        return {
            "llx": format_coordinate(self.llx),
            "lly": format_coordinate(self.lly),
            "urx": format_coordinate(self.urx),
            "ury": format_coordinate(self.ury),
            "page": str(self.page),
        }


class SignBox(Box):
    """Where a signer's signature (or initials) goes."""


class MeteraiPosition(Box):
    """Where an e-meterai (electronic duty stamp) goes."""


class Viewer(WireModel):
    """A ``send-to`` entry: someone who may view the document but does not sign it."""

    name: DisplayName = Field(repr=False)
    email: Email = Field(repr=False)

    def wire(self) -> dict[str, str]:
        """The ``send-to`` entry."""
        return {"name": self.name, "email": self.email}


class Signer(WireModel):
    """A ``req-sign`` entry: someone who signs (and views) the document."""

    name: DisplayName = Field(repr=False)
    email: Email = Field(repr=False)
    box: SignBox
    user: SignatureType = "ttd"
    """Signature type: ``ttd1`` signature, ``prf1`` initials, ..."""
    visible: Visible = True
    """Whether the signature is drawn in the box."""
    signing_seq: SigningSeq | None = None
    """Place in the signing order; required on every signer when signing is sequential."""

    def wire(self) -> dict[str, Any]:
        """The ``req-sign`` entry, the box's members flattened into it."""
        return without_none(
            {
                "name": self.name,
                "email": self.email,
                "user": self.user,
                **self.box.wire(),
                "visible": "1" if self.visible else "0",
                "signing_seq": self.signing_seq,
            }
        )


class SendDocumentRequest(DigisignRequest):
    """Send a PDF to be signed; Digisign charges per document or per signature.

    Boxes of all signers and all e-meterai stamps must not overlap on a page:
    Digisign answers 03 otherwise, after the upload.
    """

    endpoint: ClassVar[Endpoint] = Endpoint.SEND_DOCUMENT

    document_id: DocumentId
    """The partner's unique id for the document."""
    pdf: PdfBytes = Field(repr=False)
    """The document (``file`` part)."""
    sequence_option: bool | None = None
    """True: signers sign one after another by ``signing_seq``; None: Digisign's default
    (false, any order)."""
    req_sign: tuple[Signer, ...]
    """``req-sign``: the signers, at least one."""
    send_to: tuple[Viewer, ...] = ()
    """``send-to``: viewers who do not sign."""
    meterai_positions: tuple[MeteraiPosition, ...] = ()
    """``meterai-positions``: where e-meterai stamps go."""
    document_type: DocumentType | None = Field(default=None, validate_default=True)
    """Required with e-meterai: the document's stamp duty category."""
    payment: Payment = Payment.PER_DOCUMENT
    redirect: bool = True
    """Send the signer's browser to the partner's signing URL when done (the document
    says this must be true)."""
    branch: str | None = Field(default=None, max_length=80)
    """An optional branch name."""

    @field_validator("req_sign")
    @classmethod
    def _signers_fit(cls, signers: tuple[Signer, ...], info: ValidationInfo) -> tuple[Signer, ...]:
        if not signers:
            raise PydanticCustomError("req_sign_empty", "req_sign must list at least one signer")
        if info.data.get("sequence_option"):
            rules.require_signing_seq([s.signing_seq for s in signers], "req_sign")
        rules.require_no_overlap(_signer_boxes(signers))
        return signers

    @field_validator("meterai_positions")
    @classmethod
    def _stamps_fit(
        cls, stamps: tuple[MeteraiPosition, ...], info: ValidationInfo
    ) -> tuple[MeteraiPosition, ...]:
        # Signers were validated first (field order); if they failed, only stamps
        # against stamps can be checked, and the signers' error is reported anyway.
        rules.require_stamps_fit(_signer_boxes(info.data.get("req_sign", ())), stamps)
        return stamps

    @field_validator("document_type")
    @classmethod
    def _type_given_with_stamps(
        cls, document_type: DocumentType | None, info: ValidationInfo
    ) -> DocumentType | None:
        rules.require_document_type(document_type, info.data.get("meterai_positions", ()))
        return document_type

    def _wire_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "document_id": self.document_id,
            "payment": self.payment.value,
            "redirect": self.redirect,
            "branch": self.branch,
            "sequence_option": self.sequence_option,
        }
        if self.send_to:
            fields["send-to"] = [viewer.wire() for viewer in self.send_to]
        fields["req-sign"] = [signer.wire() for signer in self.req_sign]
        if self.meterai_positions:
            # The document's table says meterai_positions, its example (and the
            # server) meterai-positions, like send-to and req-sign.
            fields["meterai-positions"] = [stamp.wire() for stamp in self.meterai_positions]
        if self.document_type is not None:
            fields["document_type"] = self.document_type.value
        return without_none(fields)

    def files(self) -> FileParts:
        """The ``file`` part: the PDF, under a fixed name."""
        return {"file": ("document.pdf", self.pdf, "application/pdf")}


def _signer_boxes(signers: Sequence[Signer]) -> list[tuple[str, Box]]:
    return [(f"req_sign[{i}]", signer.box) for i, signer in enumerate(signers)]
