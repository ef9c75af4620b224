"""Typed results of successful Digisign calls, read off an `Envelope`.

Links returned by Digisign carry single-use tokens and the registration `info`
carries a pre-registration token: they are kept out of `repr`. Downloaded PDFs
are checked (`%PDF` magic) and fingerprinted (SHA-256) here, once.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import re
from datetime import datetime, timedelta, timezone

from pydantic import BaseModel, ConfigDict, Field

from digisign.endpoints import Endpoint
from digisign.envelope import Envelope
from digisign.errors import UnexpectedResponse

WIB = timezone(timedelta(hours=7), "WIB")
"""Western Indonesian Time, in which Digisign writes its timestamps (no daylight saving)."""

PDF_MAGIC = b"%PDF-"


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RegistrationKind(enum.Enum):
    """The four ways a registration succeeds; Digisign tells them apart by notif only."""

    NEW = "new"
    """Identity checked (charged); the user must activate the account."""
    PRE_REGISTERED = "pre_registered"
    """Registered earlier, never activated: activation still needed, no new charge."""
    ALREADY_ACTIVE = "already_active"
    """Active account with a valid certificate: nothing to do, no charge."""
    REREGISTERED = "reregistered"
    """Certificate had expired: identity re-checked (charged), account stays active."""

    @property
    def needs_activation(self) -> bool:
        """Whether the signer must still activate the account in Digisign's page."""
        return self in (RegistrationKind.NEW, RegistrationKind.PRE_REGISTERED)

    @property
    def charged(self) -> bool:
        """Whether this registration cost an identity check."""
        return self in (RegistrationKind.NEW, RegistrationKind.REREGISTERED)


class Registration(_Result):
    """A successful REG-MITRA answer.

    Attributes:
        kind: new, pre-registered, already active or re-registered.
        kode_user: Digisign's reference for the user.
        expired_aktifasi: when the activation window closes (aware, WIB), if given.
        info_link: the pre-registration link, if given (carries a token).
        verification: the identity-check flags Digisign returned (nik, name, ...).
        ref_trx: Digisign's transaction reference, if given.
        notif: Digisign's notification text.
    """

    kind: RegistrationKind
    kode_user: str | None = None
    expired_aktifasi: datetime | None = None
    info_link: str | None = Field(default=None, repr=False)
    verification: dict[str, bool] = Field(default_factory=dict)
    ref_trx: str | None = None
    notif: str = ""


class ActivationLink(_Result):
    """A single-use activation page link; it expires 7 minutes after it is made."""

    link: str = Field(repr=False)


class SignLink(_Result):
    """A single-use signing page link; it expires 20 minutes after it is made."""

    link: str = Field(repr=False)


class DocumentSent(_Result):
    """A successful SendDocMitraAT answer."""

    notif: str = ""
    ref_trx: str | None = None


class ContactUpdated(_Result):
    """A successful UPDATE-EP answer."""

    notif: str = ""


class DownloadedDocument(_Result):
    """A PDF fetched from DWMITRA or DWMITRA64, checked and fingerprinted.

    Attributes:
        content: the PDF bytes.
        sha256: hex SHA-256 of `content`, to store beside it and compare later.
    """

    content: bytes = Field(repr=False)
    sha256: str

    @property
    def size(self) -> int:
        """Length of the PDF in bytes."""
        return len(self.content)


def registration_from(envelope: Envelope) -> Registration:
    """Read a `00` registration answer.

    The four kinds differ only in `notif` (see the 3.0.4 document's registration
    table, rows 21-23 and 26); an unknown success text falls back to "activation
    needed", the safe side: asking for an activation link on an active account
    answers `14`, which the caller treats as already active.
    """
    notif = envelope.notif.lower()
    if "registrasi berhasil" in notif and "terdaftar sebelumnya" in notif:
        kind = RegistrationKind.REREGISTERED
    elif "terdaftar sebelumnya" in notif:
        kind = RegistrationKind.ALREADY_ACTIVE
    elif "belum melakukan aktivasi" in notif:
        kind = RegistrationKind.PRE_REGISTERED
    elif envelope.text("expired_aktifasi") or "check email" in notif:
        kind = RegistrationKind.NEW
    else:
        kind = RegistrationKind.PRE_REGISTERED
    data = envelope.fields.get("data")
    flags = {k: v for k, v in data.items() if isinstance(v, bool)} if isinstance(data, dict) else {}
    return Registration(
        kind=kind,
        kode_user=envelope.text("kode_user"),
        expired_aktifasi=parse_wib(envelope.text("expired_aktifasi")),
        info_link=envelope.info if envelope.info and envelope.info.startswith("http") else None,
        verification=flags,
        ref_trx=envelope.ref_trx,
        notif=envelope.notif,
    )


_WIB_FORMAT = re.compile(r"^(\d{2})-(\d{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})(?: WIB)?$")


def parse_wib(value: str | None) -> datetime | None:
    """Parse Digisign's `dd-MM-yyyy HH:mm:ss WIB` into an aware datetime; None if absent/bad."""
    if not value:
        return None
    match = _WIB_FORMAT.match(value.strip())
    if match is None:
        return None
    day, month, year, hour, minute, second = (int(g) for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=WIB)
    except ValueError:
        return None


def link_from(endpoint: Endpoint, envelope: Envelope) -> str:
    """Read the `link` of an activation or sign answer, repaired into a usable URL.

    Digisign writes links as `https://\\\\wv.tandatanganku.com\\\\activationpage.html?...`
    (backslashes for slashes), and the document's copies carry line breaks and
    spaces. Browsers read backslashes as slashes; we normalise the same way.

    Raises:
        UnexpectedResponse: a `00` answer without a link.
    """
    raw = envelope.text("link")
    if not raw:
        raise UnexpectedResponse(endpoint, "success answer without a link")
    link = re.sub(r"\s+", "", raw).replace("\\", "/")
    link = re.sub(r"^(https?:)/+", r"\1//", link)
    # Collapse doubled slashes in the path part (before any query string).
    head, sep, query = link.partition("?")
    scheme, _, rest = head.partition("//")
    return f"{scheme}//{re.sub('/{2,}', '/', rest)}{sep}{query}"


def pdf_from_bytes(endpoint: Endpoint, content: bytes) -> DownloadedDocument:
    """Check that `content` is a PDF and fingerprint it.

    Raises:
        UnexpectedResponse: the bytes are not a PDF.
    """
    # PDF readers accept the header anywhere in the first 1024 bytes.
    if PDF_MAGIC not in content[:1024]:
        raise UnexpectedResponse(endpoint, "download is not a PDF")
    return DownloadedDocument(content=content, sha256=hashlib.sha256(content).hexdigest())


def pdf_from_base64(endpoint: Endpoint, envelope: Envelope) -> DownloadedDocument:
    """Decode DWMITRA64's `file` (base64, possibly with line breaks) and check it.

    Raises:
        UnexpectedResponse: no `file`, not base64, or not a PDF.
    """
    encoded = envelope.text("file")
    if not encoded:
        raise UnexpectedResponse(endpoint, "success answer without a file")
    try:
        content = base64.b64decode(re.sub(r"\s+", "", encoded), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UnexpectedResponse(endpoint, "file is not valid base64") from exc
    return pdf_from_bytes(endpoint, content)
