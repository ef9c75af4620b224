"""The validated field types: every rule accepted and rejected, and errors that keep quiet."""

from __future__ import annotations

import functools
import math
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError, create_model

from digisign.fields import (
    KTP_PHOTO_MAX_BYTES,
    PERSONAL_DATA_CONFIG,
    SELFIE_MAX_BYTES,
    SIGNATURE_IMAGE_MAX_BYTES,
    BirthDate,
    BirthPlace,
    Coordinate,
    DisplayName,
    DocumentId,
    DocumentType,
    Email,
    Gender,
    KtpPhoto,
    Nik,
    Page,
    Payment,
    PdfBytes,
    PersonName,
    Phone,
    RegionName,
    SelfiePhoto,
    SignatureImage,
    SignatureType,
    SigningSeq,
    Visible,
    format_birth_date,
    format_coordinate,
    image_kind,
)
from tests.unit.fixtures.samples import JPEG, PDF, PNG


@functools.cache
def holder(field_type: Any) -> type[BaseModel]:
    """A one-field model configured like the request models, so errors carry a loc."""
    model: type[BaseModel] = create_model(
        "Holder", __config__=PERSONAL_DATA_CONFIG, field=(field_type, ...)
    )
    return model


def accept(field_type: Any, value: object) -> Any:
    """Validate ``value`` as ``field_type`` and return what the model keeps."""
    return holder(field_type)(field=value).field  # type: ignore[attr-defined]


def reject(field_type: Any, value: object, rule: str, phrase: str) -> ValidationError:
    """Assert ``value`` is rejected by ``rule``, under the field, without echoing it."""
    with pytest.raises(ValidationError) as caught:
        holder(field_type)(field=value)
    [error] = caught.value.errors()
    assert error["loc"] == ("field",)
    assert error["type"] == rule
    assert phrase in error["msg"]
    text = str(caught.value)
    if isinstance(value, str) and len(value) >= 4:
        assert value not in text
    if isinstance(value, bytes) and value:
        assert repr(value) not in text
        assert value[:16].decode("latin-1") not in text
    return caught.value


def broken_rule(field_type: Any, value: object) -> str | None:
    """The error type ``value`` gets as ``field_type``, None if it is accepted.

    Anything other than a `ValidationError` propagates and fails the test.
    """
    try:
        accept(field_type, value)
    except ValidationError as exc:
        return str(exc.errors()[0]["type"])
    return None


# --- NIK ----------------------------------------------------------------------------


def test_nik_of_sixteen_digits_is_accepted() -> None:
    assert accept(Nik, "3199091003880012") == "3199091003880012"


@pytest.mark.parametrize(
    "value",
    [
        "319909100388001",
        "31990910038800123",
        "319909100388001A",
        " 3199091003880012",
        "3199091003880012\n",
        "３１９９０９１００３８８００１２",
        "",
    ],
)
def test_nik_not_of_sixteen_ascii_digits_is_rejected(value: str) -> None:
    reject(Nik, value, "nik_format", "NIK must be exactly 16 digits")


def test_nik_given_as_a_number_is_rejected_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as caught:
        accept(Nik, 3199091003880012)
    assert "3199091003880012" not in str(caught.value)


@given(st.text(max_size=40))
def test_any_text_as_nik_validates_or_raises_validation_error(value: str) -> None:
    assert broken_rule(Nik, value) in {None, "nik_format"}


@given(st.from_regex(r"[0-9]{6,15}|[0-9]{17,30}", fullmatch=True))
def test_a_rejected_nik_never_appears_in_the_error(value: str) -> None:
    reject(Nik, value, "nik_format", "NIK")


# --- phone --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["08123456", "6281290700111", "+6281290700111", "081234567890123"]
)
def test_phone_starting_08_62_or_plus_62_is_accepted(value: str) -> None:
    assert accept(Phone, value) == value


@pytest.mark.parametrize("value", ["0812345", "0812345678901234", ""])
def test_phone_shorter_than_8_or_longer_than_15_is_rejected(value: str) -> None:
    reject(Phone, value, "phone_length", "phone number must be 8 to 15 characters")


@pytest.mark.parametrize("value", ["8123456789", "+6581234567", "+0812345678", "0712345678"])
def test_phone_with_another_prefix_is_rejected(value: str) -> None:
    reject(Phone, value, "phone_prefix", "phone number must start with 08, 62 or +62")


@pytest.mark.parametrize("value", ["0812-3456-789", "62812 345678", "+62812345678+", "0812345678٣"])
def test_phone_with_non_digits_after_the_first_character_is_rejected(value: str) -> None:
    reject(Phone, value, "phone_digits", "only digits")


@given(st.text(max_size=20))
def test_any_text_as_phone_validates_or_raises_validation_error(value: str) -> None:
    rule = broken_rule(Phone, value)
    if rule is None:
        assert value.startswith(("08", "62", "+62"))
        assert 8 <= len(value) <= 15
    else:
        assert rule in {"phone_length", "phone_prefix", "phone_digits"}


# --- names --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["test registrasi", "Drs. Budi Santoso, S.E.", "A" * 80])
def test_person_name_of_letters_spaces_periods_commas_is_accepted(value: str) -> None:
    assert accept(PersonName, value) == value


def test_person_name_over_80_characters_is_rejected() -> None:
    reject(PersonName, "A" * 81, "name_length", "name must be at most 80 characters")


@pytest.mark.parametrize("value", ["Budi O'Neil", "Budi-Santoso", "Budi2", "Siti Ñ", "", "Budi\n"])
def test_person_name_with_other_characters_is_rejected(value: str) -> None:
    reject(PersonName, value, "name_characters", "name may contain only letters")


def test_person_name_without_a_letter_is_rejected() -> None:
    reject(PersonName, " ., ", "name_characters", "name must contain a letter")


def test_display_name_allows_digits_like_digisigns_example() -> None:
    assert accept(DisplayName, "test1") == "test1"


@pytest.mark.parametrize(
    ("value", "rule", "phrase"),
    [
        ("   ", "name_empty", "name must not be empty"),
        ("x" * 81, "name_length", "name must be at most 80 characters"),
        ("Budi\x00", "name_characters", "control characters"),
    ],
)
def test_display_name_rules(value: str, rule: str, phrase: str) -> None:
    reject(DisplayName, value, rule, phrase)


# --- e-mail -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "test@hotmail.com",
        "first.last+tag@mail.example.co.id",
        "a_b-c@x-y.id",
        "u@" + "d" * 61 + ".com",
    ],
)
def test_ordinary_email_is_accepted(value: str) -> None:
    assert accept(Email, value) == value


@pytest.mark.parametrize(
    "value",
    [
        "test.hotmail.com",
        "test@@hotmail.com",
        "te@st@hotmail.com",
        "test@hotmail",
        "test@.hotmail.com",
        "test@hotmail..com",
        ".test@hotmail.com",
        "te..st@hotmail.com",
        "test@-hotmail.com",
        "te st@hotmail.com",
        "test@hotmail.com\n",
        "tést@hotmail.com",
        "@hotmail.com",
        "",
    ],
)
def test_malformed_email_is_rejected(value: str) -> None:
    reject(Email, value, "email_format", "e-mail must be an address")


def test_email_over_80_characters_is_rejected() -> None:
    value = "a" * 70 + "@hotmail.com"
    reject(Email, value, "email_length", "e-mail must be at most 80 characters")


@given(st.emails())
def test_generated_emails_validate_or_raise_validation_error(value: str) -> None:
    assert broken_rule(Email, value) in {None, "email_format", "email_length"}


# --- birth date ---------------------------------------------------------------------


def test_birth_date_is_read_from_dd_mm_yyyy() -> None:
    assert accept(BirthDate, "10-03-1978") == date(1978, 3, 10)


def test_birth_date_is_accepted_as_a_date() -> None:
    assert accept(BirthDate, date(1978, 3, 10)) == date(1978, 3, 10)


@pytest.mark.parametrize(
    "value", ["1978-03-10", "10/03/1978", "1-3-1978", "10-03-78", "10-03-1978 "]
)
def test_birth_date_in_another_format_is_rejected(value: str) -> None:
    reject(BirthDate, value, "birth_date_format", "birth date must be written dd-MM-yyyy")


@pytest.mark.parametrize("value", ["31-02-1990", "29-02-1991", "00-01-1990", "10-13-1990"])
def test_birth_date_that_is_not_on_the_calendar_is_rejected(value: str) -> None:
    reject(BirthDate, value, "birth_date_calendar", "birth date must be a real calendar date")


def test_leap_day_birth_date_is_accepted() -> None:
    assert accept(BirthDate, "29-02-1992") == date(1992, 2, 29)


def test_birth_date_in_the_future_is_rejected() -> None:
    future = date.today() + timedelta(days=2)
    reject(BirthDate, future, "birth_date_future", "birth date must not be in the future")
    reject(BirthDate, format_birth_date(future), "birth_date_future", "must not be in the future")


def test_birth_date_given_as_a_timestamp_is_rejected() -> None:
    with pytest.raises(ValidationError):
        accept(BirthDate, 0)


def test_birth_date_is_written_dd_mm_yyyy_in_json() -> None:
    adapter = TypeAdapter(BirthDate)
    assert adapter.dump_json(date(1978, 3, 10)) == b'"10-03-1978"'
    assert adapter.validate_json(b'"10-03-1978"') == date(1978, 3, 10)


# --- gender, birth place, region ----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Laki-laki", Gender.MALE),
        ("laki-laki", Gender.MALE),
        ("LAKI-LAKI", Gender.MALE),
        ("perempuan", Gender.FEMALE),
        (Gender.FEMALE, Gender.FEMALE),
    ],
)
def test_gender_is_accepted_in_any_case_and_kept_in_digisigns_casing(
    value: object, expected: Gender
) -> None:
    accepted = accept(Gender, value)
    assert accepted is expected
    assert accepted.value in {"Laki-laki", "Perempuan"}


@pytest.mark.parametrize("value", ["L", "male", "laki laki", "", 1])
def test_other_gender_values_are_rejected(value: object) -> None:
    reject(Gender, value, "gender", "gender must be Laki-laki or Perempuan")


def test_birth_place_up_to_30_characters_is_accepted() -> None:
    assert accept(BirthPlace, "p" * 30) == "p" * 30


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("p" * 31, "birth_place_length"),
        ("  ", "birth_place_empty"),
        ("a\tb", "birth_place_characters"),
    ],
)
def test_birth_place_rules(value: str, rule: str) -> None:
    reject(BirthPlace, value, rule, "birth place must")


def test_region_name_over_80_characters_is_rejected() -> None:
    reject(RegionName, "r" * 81, "region_length", "at most 80 characters")


# --- images and PDF -----------------------------------------------------------------


def test_image_kind_is_told_by_magic_bytes() -> None:
    assert image_kind(JPEG) == "jpeg"
    assert image_kind(PNG) == "png"
    assert image_kind(PDF) is None
    assert image_kind(b"") is None


@pytest.mark.parametrize("value", [JPEG, PNG])
def test_ktp_photo_in_jpeg_or_png_is_accepted(value: bytes) -> None:
    assert accept(KtpPhoto, value) == value


def test_ktp_photo_of_exactly_4_mb_is_accepted() -> None:
    value = JPEG + b"\x00" * (KTP_PHOTO_MAX_BYTES - len(JPEG))
    assert len(accept(KtpPhoto, value)) == KTP_PHOTO_MAX_BYTES


@pytest.mark.parametrize(
    ("value", "rule", "phrase"),
    [
        (b"", "ktp_photo_empty", "KTP photo must not be empty"),
        (JPEG + b"\x00" * KTP_PHOTO_MAX_BYTES, "ktp_photo_size", "KTP photo must be at most 4 MB"),
        (PDF, "ktp_photo_format", "KTP photo must be a JPEG or PNG"),
        (b"GIF89a\x01\x00", "ktp_photo_format", "JPEG or PNG"),
    ],
)
def test_ktp_photo_rules(value: bytes, rule: str, phrase: str) -> None:
    reject(KtpPhoto, value, rule, phrase)


def test_photo_given_as_text_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        accept(KtpPhoto, "\xff\xd8\xff")
    assert caught.value.errors()[0]["type"] == "bytes_type"


def test_selfie_in_jpeg_up_to_500_kb_is_accepted() -> None:
    value = JPEG + b"\x00" * (SELFIE_MAX_BYTES - len(JPEG))
    assert accept(SelfiePhoto, value) == value


@pytest.mark.parametrize(
    ("value", "rule", "phrase"),
    [
        (b"", "selfie_empty", "selfie must not be empty"),
        (JPEG + b"\x00" * SELFIE_MAX_BYTES, "selfie_size", "selfie must be at most 500 KB"),
        (PNG, "selfie_format", "selfie must be a JPEG image"),
        (b"\xff\xd8\x00\x00", "selfie_format", "JPEG"),
    ],
)
def test_selfie_rules(value: bytes, rule: str, phrase: str) -> None:
    reject(SelfiePhoto, value, rule, phrase)


def test_signature_image_in_png_is_accepted() -> None:
    assert accept(SignatureImage, PNG) == PNG


@pytest.mark.parametrize(
    ("value", "rule", "phrase"),
    [
        (b"", "signature_empty", "signature image must not be empty"),
        (PNG + b"\x00" * SIGNATURE_IMAGE_MAX_BYTES, "signature_size", "at most 4 MB"),
        (JPEG, "signature_format", "signature image must be a PNG image"),
    ],
)
def test_signature_image_rules(value: bytes, rule: str, phrase: str) -> None:
    reject(SignatureImage, value, rule, phrase)


@pytest.mark.parametrize("value", [PDF, b"\x00" * 1023 + PDF, b"garbage\r\n" + PDF])
def test_pdf_with_magic_in_the_first_1024_bytes_is_accepted(value: bytes) -> None:
    assert accept(PdfBytes, value) == value


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (b"", "pdf_empty"),
        (b"\x00" * 1024 + PDF, "pdf_format"),
        (b"PK\x03\x04 a zip, not a PDF", "pdf_format"),
        (b"%PDF 1.4", "pdf_format"),
    ],
)
def test_pdf_rules(value: bytes, rule: str) -> None:
    reject(PdfBytes, value, rule, "PDF document must")


# --- document id, signature boxes ---------------------------------------------------


@pytest.mark.parametrize("value", ["20180920_AB", "testdoc123", "x" * 20])
def test_document_id_up_to_20_characters_is_accepted(value: str) -> None:
    assert accept(DocumentId, value) == value


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("", "document_id_empty"),
        ("x" * 21, "document_id_length"),
        ("doc 1", "document_id_characters"),
        ("dokumen-é", "document_id_characters"),
    ],
)
def test_document_id_rules(value: str, rule: str) -> None:
    reject(DocumentId, value, rule, "document_id m")


@pytest.mark.parametrize("value", ["ttd", "ttd1", "Prf2", "APP", "sgl1", "mtr"])
def test_signature_type_with_a_known_prefix_is_accepted(value: str) -> None:
    assert accept(SignatureType, value) == value


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("sign1", "signature_type_prefix"),
        ("", "signature_type_prefix"),
        ("ttd" + "1" * 28, "signature_type_length"),
    ],
)
def test_signature_type_rules(value: str, rule: str) -> None:
    reject(SignatureType, value, rule, "signature type (user) must")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), (1, True), (0, False), ("1", True), ("0", False)],
)
def test_visible_accepts_bools_and_0_or_1(value: object, expected: bool) -> None:
    assert accept(Visible, value) is expected


@pytest.mark.parametrize("value", [2, "yes", "true", None, 1.5])
def test_visible_other_values_are_rejected(value: object) -> None:
    reject(Visible, value, "visible", "visible must be 0 or 1")


@pytest.mark.parametrize(
    ("value", "expected"), [(2, Payment.PER_SIGNATURE), ("3", Payment.PER_DOCUMENT)]
)
def test_payment_accepts_2_and_3(value: object, expected: Payment) -> None:
    assert accept(Payment, value) is expected


@pytest.mark.parametrize("value", [1, "4", True, "three"])
def test_payment_other_values_are_rejected(value: object) -> None:
    reject(Payment, value, "payment", "payment must be 2")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2, DocumentType.TRANSACTION),
        ("3", DocumentType.STATEMENT),
        ("4a", DocumentType.MONEY_RECEIPT),
        ("4B", DocumentType.DEBT_SETTLEMENT),
    ],
)
def test_document_type_accepts_2_3_4a_4b(value: object, expected: DocumentType) -> None:
    assert accept(DocumentType, value) is expected
    assert expected.value in {"2", "3", "4a", "4b"}


@pytest.mark.parametrize("value", [4, "4", "1", "4c"])
def test_document_type_other_values_are_rejected(value: object) -> None:
    reject(DocumentType, value, "document_type", "document_type must be one of 2, 3, 4a, 4b")


@pytest.mark.parametrize(("value", "expected"), [(1, 1), ("3", 3), (999, 999)])
def test_page_from_1_to_999_is_accepted(value: object, expected: int) -> None:
    assert accept(Page, value) == expected


@pytest.mark.parametrize("value", [0, -1, 1000])
def test_page_out_of_range_is_rejected(value: int) -> None:
    reject(Page, value, "page", "page must be between 1 and 999")


def test_page_given_as_a_bool_is_rejected() -> None:
    reject(Page, True, "page", "page must be a whole number")


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 0.0), ("12", 12.0), (12.5, 12.5), (14400, 14400.0)]
)
def test_coordinate_from_0_to_14400_is_accepted(value: object, expected: float) -> None:
    assert accept(Coordinate, value) == expected


@pytest.mark.parametrize("value", [-0.5, 14400.5, math.inf, math.nan])
def test_coordinate_out_of_range_is_rejected(value: float) -> None:
    reject(Coordinate, value, "coordinate", "coordinate must be a number from 0 to 14400")


def test_coordinate_given_as_a_bool_is_rejected() -> None:
    reject(Coordinate, False, "coordinate", "coordinate must be a number")


def test_coordinate_is_rounded_to_a_thousandth() -> None:
    assert accept(Coordinate, 12.34567) == 12.346


@pytest.mark.parametrize(
    ("value", "text"), [(12.0, "12"), (0.0, "0"), (12.5, "12.5"), (110.0, "110"), (0.001, "0.001")]
)
def test_coordinates_are_written_like_digisigns_examples(value: float, text: str) -> None:
    assert format_coordinate(value) == text


@given(st.floats(min_value=0, max_value=14400))
def test_written_coordinates_read_back_without_exponent_or_trailing_zero(value: float) -> None:
    kept = accept(Coordinate, value)
    text = format_coordinate(kept)
    assert float(text) == kept
    assert "e" not in text.lower()
    assert not text.endswith(".0")
    assert len(text) <= 30


def test_signing_seq_from_1_is_accepted() -> None:
    assert accept(SigningSeq, 1) == 1


@pytest.mark.parametrize("value", [0, -3])
def test_signing_seq_below_1_is_rejected(value: int) -> None:
    reject(SigningSeq, value, "signing_seq", "signing_seq must be at least 1")
