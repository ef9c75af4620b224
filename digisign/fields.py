"""Validated field types for what Digisign receives: personal data, images, documents.

Each type is an ``Annotated`` alias (or an enum that validates itself) usable in any
pydantic model: the request models in `digisign.requests` and, later, the gateway's
loan events. A value that breaks one of Digisign's rules is rejected before anything
is sent, with a `PydanticCustomError` whose ``type`` names the rule (``nik_format``,
``selfie_size``, ...) and whose message names the field and the rule, never the value:
a rejected value may be a NIK.

Pydantic prints the rejected input next to the message unless the model says
otherwise, so every model using these types must set ``hide_input_in_errors=True``;
`PERSONAL_DATA_CONFIG` carries that and the other settings the request models use.
Declare personal data fields with ``Field(repr=False)`` so a ``repr`` never shows them.

The rules come from Digisign's API document 3.0.4 (lengths, formats) and from its
server code (phone prefixes, the name alphabet); where the two disagree the stricter
wins, so a value accepted here is accepted by both.
"""

from __future__ import annotations

import enum
import math
import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any, Literal, NoReturn

from pydantic import AfterValidator, BeforeValidator, ConfigDict, PlainSerializer, Strict
from pydantic import GetCoreSchemaHandler as _Handler
from pydantic_core import PydanticCustomError, core_schema

__all__ = [
    "BIRTH_PLACE_MAX_LENGTH",
    "COORDINATE_MAX",
    "DOCUMENT_ID_MAX_LENGTH",
    "EMAIL_MAX_LENGTH",
    "KTP_PHOTO_MAX_BYTES",
    "NAME_MAX_LENGTH",
    "PAGE_MAX",
    "PDF_MAGIC_WINDOW",
    "PERSONAL_DATA_CONFIG",
    "SELFIE_MAX_BYTES",
    "SIGNATURE_IMAGE_MAX_BYTES",
    "SIGNATURE_TYPE_PREFIXES",
    "BirthDate",
    "BirthPlace",
    "Coordinate",
    "DisplayName",
    "DocumentId",
    "DocumentType",
    "Email",
    "Gender",
    "JpegPhoto",
    "KtpPhoto",
    "Nik",
    "Page",
    "Payment",
    "PdfBytes",
    "PersonName",
    "Phone",
    "RegionName",
    "SelfiePhoto",
    "SignatureImage",
    "SignatureType",
    "SigningSeq",
    "Visible",
    "format_birth_date",
    "format_coordinate",
    "image_kind",
]

PERSONAL_DATA_CONFIG = ConfigDict(
    frozen=True,
    extra="forbid",
    # Without this pydantic appends `input_value=...` to every error: a NIK, a phone.
    hide_input_in_errors=True,
    # Photos and PDFs are binary; the default (UTF-8) cannot put them in JSON, and
    # Temporal's pydantic converter serializes models as JSON.
    ser_json_bytes="base64",
    val_json_bytes="base64",
)
"""Model settings for any model holding these types: frozen, strict keys, quiet errors."""

NIK_LENGTH = 16
PHONE_MIN_LENGTH = 8
PHONE_MAX_LENGTH = 15
NAME_MAX_LENGTH = 80
"""The document's limit for ``nama``; the server allows 128, the document wins."""
EMAIL_MAX_LENGTH = 80
BIRTH_PLACE_MAX_LENGTH = 30
REGION_MAX_LENGTH = 80
KTP_PHOTO_MAX_BYTES = 4 * 1024 * 1024
SELFIE_MAX_BYTES = 500 * 1024
SIGNATURE_IMAGE_MAX_BYTES = 4 * 1024 * 1024
DOCUMENT_ID_MAX_LENGTH = 20
SIGNATURE_TYPE_MAX_LENGTH = 30
SIGNATURE_TYPE_PREFIXES = ("ttd", "prf", "app", "sgl", "mtr")
"""Signature, initials (paraf), approval, seal, e-meterai: what the server accepts."""
PAGE_MAX = 999
"""``page`` is a string of at most 3 characters on the wire."""
COORDINATE_MAX = 14400.0
"""The largest PDF page side in default user units (ISO 32000-1, annex C)."""
COORDINATE_DECIMALS = 3
"""Coordinates are rounded to a thousandth of a point: what is checked is what is sent."""
PDF_MAGIC_WINDOW = 1024
"""PDF readers accept ``%PDF-`` anywhere in the first 1024 bytes (after junk)."""

_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PDF_MAGIC = b"%PDF-"

_NIK_RE = re.compile(r"[0-9]{16}")
_PERSON_NAME_RE = re.compile(r"[a-zA-Z .,]+")
_BIRTH_DATE_RE = re.compile(r"([0-9]{2})-([0-9]{2})-([0-9]{4})")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_DOCUMENT_ID_RE = re.compile(r"[!-~]+")  # printable ASCII, no space
# One @, an ASCII local part of dot-separated atoms, a domain of at least two labels.
_EMAIL_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)
# Indonesia's easternmost zone (WIT): someone born "today" there is not in the future.
_WIT = timezone(timedelta(hours=9))


def _reject(rule: str, message: str) -> NoReturn:
    """Raise the error for a broken rule; the message must not contain the value."""
    raise PydanticCustomError(rule, message)


# --- identity -----------------------------------------------------------------------


def check_nik(value: str) -> str:
    """Accept a NIK (KTP number): exactly 16 ASCII digits."""
    if not _NIK_RE.fullmatch(value):
        _reject("nik_format", "NIK must be exactly 16 digits")
    return value


def check_phone(value: str) -> str:
    """Accept an Indonesian mobile number as Digisign's server does.

    8 to 15 characters, starting ``08``, ``62`` or ``+62``, digits after the first
    character. The number is sent as given, not normalized.
    """
    if not PHONE_MIN_LENGTH <= len(value) <= PHONE_MAX_LENGTH:
        _reject("phone_length", "phone number must be 8 to 15 characters")
    if not value.startswith(("08", "62", "+62")):
        _reject("phone_prefix", "phone number must start with 08, 62 or +62")
    rest = value[1:]
    if not (rest.isascii() and rest.isdigit()):
        _reject("phone_digits", "phone number must contain only digits after the first character")
    return value


def check_person_name(value: str) -> str:
    """Accept a legal name: at most 80 of ``a-z A-Z``, space, period, comma; a letter."""
    if len(value) > NAME_MAX_LENGTH:
        _reject("name_length", "name must be at most 80 characters")
    if not _PERSON_NAME_RE.fullmatch(value):
        _reject("name_characters", "name may contain only letters, spaces, periods and commas")
    if not any(c.isalpha() for c in value):
        _reject("name_characters", "name must contain a letter")
    return value


def check_display_name(value: str) -> str:
    """Accept a signer's or viewer's display name: 1 to 80 characters, no control ones.

    Looser than `check_person_name`: Digisign's own example names a signer "test1".
    """
    if not value.strip():
        _reject("name_empty", "name must not be empty")
    if len(value) > NAME_MAX_LENGTH:
        _reject("name_length", "name must be at most 80 characters")
    if _CONTROL_RE.search(value):
        _reject("name_characters", "name must not contain control characters")
    return value


def check_email(value: str) -> str:
    """Accept an ordinary e-mail address of at most 80 characters."""
    if len(value) > EMAIL_MAX_LENGTH:
        _reject("email_length", "e-mail must be at most 80 characters")
    if not _EMAIL_RE.fullmatch(value):
        _reject("email_format", "e-mail must be an address like name@example.com")
    return value


def parse_birth_date(value: object) -> object:
    """Turn a ``dd-MM-yyyy`` string into a `date`; leave anything else to pydantic."""
    if not isinstance(value, str):
        return value
    match = _BIRTH_DATE_RE.fullmatch(value)
    if match is None:
        _reject("birth_date_format", "birth date must be written dd-MM-yyyy")
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        _reject("birth_date_calendar", "birth date must be a real calendar date")


def check_birth_date(value: date) -> date:
    """Accept a birth date that is not in the future (in any Indonesian time zone)."""
    if value > datetime.now(UTC).astimezone(_WIT).date():
        _reject("birth_date_future", "birth date must not be in the future")
    return value


def format_birth_date(value: date) -> str:
    """Write a date as Digisign's ``tgl_lahir``: ``dd-MM-yyyy``."""
    return f"{value.day:02d}-{value.month:02d}-{value.year:04d}"


def _check_text(rule: str, label: str, max_length: int) -> Any:
    """Build a check for free text: not blank, at most ``max_length``, no control chars."""

    def check(value: str) -> str:
        if not value.strip():
            _reject(f"{rule}_empty", f"{label} must not be empty")
        if len(value) > max_length:
            _reject(f"{rule}_length", f"{label} must be at most {max_length} characters")
        if _CONTROL_RE.search(value):
            _reject(f"{rule}_characters", f"{label} must not contain control characters")
        return value

    return check


class _LenientEnum(enum.StrEnum):
    """A string enum whose pydantic validation is lenient and whose errors name the rule."""

    @classmethod
    def _lookup(cls, value: object) -> _LenientEnum | None:
        """The member ``value`` stands for, or None; subclasses widen what is accepted."""
        if isinstance(value, cls):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # payment 3, document_type 2: numbers in, strings out
        if isinstance(value, str):
            for member in cls:
                if member.value.casefold() == value.casefold():
                    return member
        return None

    @classmethod
    def _rule(cls) -> tuple[str, str]:
        """The error type and message for a value that is no member."""
        raise NotImplementedError

    @classmethod
    def _parse(cls, value: object) -> object:
        member = cls._lookup(value)
        if member is None:
            _reject(*cls._rule())
        return member

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: _Handler) -> core_schema.CoreSchema:
        """Validate through `_lookup` first, then as the plain enum (for the JSON schema)."""
        return core_schema.no_info_before_validator_function(cls._parse, handler(source))


class Gender(_LenientEnum):
    """``jenis_kelamin``: accepted in any letter case, sent in Digisign's casing."""

    MALE = "Laki-laki"
    FEMALE = "Perempuan"

    @classmethod
    def _rule(cls) -> tuple[str, str]:
        return "gender", "gender must be Laki-laki or Perempuan"


# --- images and documents -----------------------------------------------------------


def image_kind(data: bytes) -> Literal["jpeg", "png"] | None:
    """Tell a JPEG from a PNG by its magic bytes (never by a file name); None if neither."""
    if data.startswith(_JPEG_MAGIC):
        return "jpeg"
    if data.startswith(_PNG_MAGIC):
        return "png"
    return None


def check_ktp_photo(value: bytes) -> bytes:
    """Accept a KTP (id card) photo: a non-empty JPEG or PNG of at most 4 MB."""
    if not value:
        _reject("ktp_photo_empty", "KTP photo must not be empty")
    if len(value) > KTP_PHOTO_MAX_BYTES:
        _reject("ktp_photo_size", "KTP photo must be at most 4 MB")
    if image_kind(value) is None:
        _reject("ktp_photo_format", "KTP photo must be a JPEG or PNG image")
    return value


def check_selfie(value: bytes) -> bytes:
    """Accept a selfie: a non-empty JPEG of at most 500 KB.

    Digisign does not reject a bad selfie up front: it fails the (charged) identity
    check with result 12, so catching it here saves money.
    """
    if not value:
        _reject("selfie_empty", "selfie must not be empty")
    if len(value) > SELFIE_MAX_BYTES:
        _reject("selfie_size", "selfie must be at most 500 KB")
    if image_kind(value) != "jpeg":
        _reject("selfie_format", "selfie must be a JPEG image")
    return value


def check_signature_image(value: bytes) -> bytes:
    """Accept a handwritten signature image: a non-empty PNG of at most 4 MB."""
    if not value:
        _reject("signature_empty", "signature image must not be empty")
    if len(value) > SIGNATURE_IMAGE_MAX_BYTES:
        _reject("signature_size", "signature image must be at most 4 MB")
    if image_kind(value) != "png":
        _reject("signature_format", "signature image must be a PNG image")
    return value


def check_pdf(value: bytes) -> bytes:
    """Accept a PDF: non-empty, ``%PDF-`` within the first 1024 bytes."""
    if not value:
        _reject("pdf_empty", "PDF document must not be empty")
    if _PDF_MAGIC not in value[: PDF_MAGIC_WINDOW + len(_PDF_MAGIC) - 1]:
        _reject("pdf_format", "PDF document must contain %PDF- within its first 1024 bytes")
    return value


def check_document_id(value: str) -> str:
    """Accept a partner document id: 1 to 20 printable ASCII characters, no spaces."""
    if not value:
        _reject("document_id_empty", "document_id must not be empty")
    if len(value) > DOCUMENT_ID_MAX_LENGTH:
        _reject("document_id_length", "document_id must be at most 20 characters")
    if not _DOCUMENT_ID_RE.fullmatch(value):
        _reject(
            "document_id_characters",
            "document_id may contain only printable ASCII characters without spaces",
        )
    return value


# --- signature boxes ----------------------------------------------------------------


def check_signature_type(value: str) -> str:
    """Accept a signature type (``user``): ttd/prf/app/sgl/mtr then anything, ≤ 30 chars."""
    if len(value) > SIGNATURE_TYPE_MAX_LENGTH:
        _reject("signature_type_length", "signature type (user) must be at most 30 characters")
    if not value.lower().startswith(SIGNATURE_TYPE_PREFIXES):
        _reject(
            "signature_type_prefix",
            "signature type (user) must start with ttd, prf, app, sgl or mtr",
        )
    return value


def parse_visible(value: object) -> object:
    """Accept ``visible`` as a bool, 0/1 or "0"/"1"; pydantic's own bool takes "yes" too."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str) and str(value) in ("0", "1"):
        return str(value) == "1"
    _reject("visible", "visible must be 0 or 1")


def _not_a_bool(rule: str, message: str) -> Any:
    """Build a before-check refusing bools: pydantic would read True as the number 1."""

    def check(value: object) -> object:
        if isinstance(value, bool):
            _reject(rule, message)
        return value

    return check


def check_page(value: int) -> int:
    """Accept a page number from 1 to 999."""
    if not 1 <= value <= PAGE_MAX:
        _reject("page", "page must be between 1 and 999")
    return value


def check_coordinate(value: float) -> float:
    """Accept a coordinate in points from 0 to 14400, rounded to a thousandth."""
    if not math.isfinite(value) or not 0 <= value <= COORDINATE_MAX:
        _reject("coordinate", "coordinate must be a number from 0 to 14400")
    return round(value, COORDINATE_DECIMALS)


def format_coordinate(value: float) -> str:
    """Write a coordinate as Digisign's examples do: "12", "12.5" (no ".0", no exponent)."""
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def check_signing_seq(value: int) -> int:
    """Accept a signing sequence number: 1 or more."""
    if value < 1:
        _reject("signing_seq", "signing_seq must be at least 1")
    return value


class Payment(_LenientEnum):
    """Who pays for signatures; accepted as 2/3 or "2"/"3", sent as a string."""

    PER_SIGNATURE = "2"
    """Pay each time a signer signs."""
    PER_DOCUMENT = "3"
    """The document owner pays once (Digisign's default)."""

    @classmethod
    def _rule(cls) -> tuple[str, str]:
        return "payment", "payment must be 2 (per signature) or 3 (per document)"


class DocumentType(_LenientEnum):
    """The e-meterai document category; "4A" and 2 are accepted, "4a" and "2" sent."""

    TRANSACTION = "2"
    """Transactions, securities, deeds, notarial deeds, auctions, other documents."""
    STATEMENT = "3"
    """Certificates, agreements, other letters."""
    MONEY_RECEIPT = "4a"
    """Statements of or receipts for an amount over Rp 5 million."""
    DEBT_SETTLEMENT = "4b"
    """Settlements of a debt over Rp 5 million."""

    @classmethod
    def _rule(cls) -> tuple[str, str]:
        return "document_type", "document_type must be one of 2, 3, 4a, 4b"


# --- the types ----------------------------------------------------------------------

Nik = Annotated[str, AfterValidator(check_nik)]
"""A NIK (KTP number): exactly 16 digits."""

Phone = Annotated[str, AfterValidator(check_phone)]
"""A mobile number: 8-15 characters, ``08``/``62``/``+62`` then digits."""

PersonName = Annotated[str, AfterValidator(check_person_name)]
"""A legal name as on the KTP: ≤ 80 characters of ``[a-zA-Z .,]``."""

DisplayName = Annotated[str, AfterValidator(check_display_name)]
"""A signer's or viewer's name on a document: 1-80 characters."""

Email = Annotated[str, AfterValidator(check_email)]
"""An e-mail address of at most 80 characters."""

BirthDate = Annotated[
    date,
    # Strict: pydantic's lax date would also take a Unix timestamp or an ISO string.
    Strict(),
    BeforeValidator(parse_birth_date),
    AfterValidator(check_birth_date),
    # JSON round trips (Temporal payloads) use Digisign's format, which parsing accepts.
    PlainSerializer(format_birth_date, when_used="json"),
]
"""A birth date: a `date` or a ``dd-MM-yyyy`` string; a real date, not in the future."""

BirthPlace = Annotated[
    str, AfterValidator(_check_text("birth_place", "birth place", BIRTH_PLACE_MAX_LENGTH))
]
"""A place of birth: 1-30 characters."""

RegionName = Annotated[
    str, AfterValidator(_check_text("region", "province or city", REGION_MAX_LENGTH))
]
"""A province or city name: 1-80 characters."""

KtpPhoto = Annotated[bytes, Strict(), AfterValidator(check_ktp_photo)]
"""A KTP photo: JPEG or PNG by magic bytes, 1 byte to 4 MB."""

SelfiePhoto = Annotated[bytes, Strict(), AfterValidator(check_selfie)]
"""A selfie: JPEG by magic bytes, 1 byte to 500 KB."""

JpegPhoto = SelfiePhoto
"""Another name for `SelfiePhoto`, the only photo that must be JPEG."""

SignatureImage = Annotated[bytes, Strict(), AfterValidator(check_signature_image)]
"""A signature specimen: PNG by magic bytes, 1 byte to 4 MB."""

PdfBytes = Annotated[bytes, Strict(), AfterValidator(check_pdf)]
"""A PDF document: ``%PDF-`` within the first 1024 bytes."""

DocumentId = Annotated[str, AfterValidator(check_document_id)]
"""A partner document id: 1-20 printable ASCII characters, no spaces."""

SignatureType = Annotated[str, AfterValidator(check_signature_type)]
"""The ``user`` of a signature box: ``ttd1``, ``prf2``, ... (≤ 30 characters)."""

Visible = Annotated[bool, BeforeValidator(parse_visible)]
"""Whether a signature box is drawn: bool, 0/1 or "0"/"1"; sent as "1"/"0"."""

Page = Annotated[
    int,
    BeforeValidator(_not_a_bool("page", "page must be a whole number")),
    AfterValidator(check_page),
]
"""A page number, 1-999; sent as a string."""

Coordinate = Annotated[
    float,
    BeforeValidator(_not_a_bool("coordinate", "coordinate must be a number")),
    AfterValidator(check_coordinate),
]
"""A PDF coordinate in points, 0-14400, origin bottom left; sent as "12" or "12.5"."""

SigningSeq = Annotated[
    int,
    BeforeValidator(_not_a_bool("signing_seq", "signing_seq must be a whole number")),
    AfterValidator(check_signing_seq),
]
"""A signer's place in a sequential signing order, from 1."""
