"""REG-MITRA: register a borrower at Digisign (a charged identity check)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from digisign.endpoints import Endpoint
from digisign.fields import (
    BirthDate,
    BirthPlace,
    Email,
    Gender,
    KtpPhoto,
    Nik,
    PersonName,
    Phone,
    RegionName,
    SelfiePhoto,
    SignatureImage,
    format_birth_date,
    image_kind,
)
from digisign.requests.base import DigisignRequest, FileParts, without_none


class RegisterRequest(DigisignRequest):
    """Register a user, with the KTP photo and a live selfie, for an electronic certificate.

    Every field is personal data and stays out of ``repr``. Digisign charges per
    identity check, so everything it would reject is rejected here first.
    """

    endpoint: ClassVar[Endpoint] = Endpoint.REGISTER

    name: PersonName = Field(repr=False)
    """``nama``: the name as on the KTP."""
    gender: Gender = Field(repr=False)
    """``jenis_kelamin``."""
    phone: Phone = Field(repr=False)
    """``tlp``: mobile number."""
    birth_date: BirthDate = Field(repr=False)
    """``tgl_lahir``: a `date` or a ``dd-MM-yyyy`` string."""
    birth_place: BirthPlace = Field(repr=False)
    """``tmp_lahir``."""
    nik: Nik = Field(repr=False)
    """``idktp``: the KTP number."""
    email: Email = Field(repr=False)
    """``email``: where Digisign sends the activation mail."""
    ktp_photo: KtpPhoto = Field(repr=False)
    """``fotoktp``: photo of the KTP, JPEG or PNG."""
    selfie: SelfiePhoto = Field(repr=False)
    """``fotodiri``: a live-camera selfie, JPEG."""
    signature: SignatureImage | None = Field(default=None, repr=False)
    """``ttd``: a signature specimen, PNG on a white or transparent background."""
    redirect: bool = True
    """After activation, send the browser to the partner's activation URL."""
    province: RegionName | None = Field(default=None, repr=False)
    """``provinsi``."""
    city: RegionName | None = Field(default=None, repr=False)
    """``kota``."""

    def _wire_fields(self) -> dict[str, Any]:
        return without_none(
            {
                "jenis_kelamin": self.gender.value,
                "provinsi": self.province,
                "kota": self.city,
                "nama": self.name,
                "tlp": self.phone,
                "tgl_lahir": format_birth_date(self.birth_date),
                "idktp": self.nik,
                "tmp_lahir": self.birth_place,
                "email": self.email,
                "redirect": self.redirect,
            }
        )

    def files(self) -> FileParts:
        """``fotoktp``, ``fotodiri`` and, when given, ``ttd``."""
        if image_kind(self.ktp_photo) == "png":
            ktp = ("ktp.png", self.ktp_photo, "image/png")
        else:
            ktp = ("ktp.jpg", self.ktp_photo, "image/jpeg")
        parts: FileParts = {"fotoktp": ktp, "fotodiri": ("selfie.jpg", self.selfie, "image/jpeg")}
        if self.signature is not None:
            parts["ttd"] = ("ttd.png", self.signature, "image/png")
        return parts
