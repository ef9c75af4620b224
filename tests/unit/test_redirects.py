"""Redirect payloads: parsing what Digisign's activation and sign redirects carry."""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digisign.cipher import RedirectCipher
from digisign.errors import RedirectDecryptError, RedirectPayloadError
from digisign.redirects import (
    ActivationRedirect,
    DocumentStatus,
    SignRedirect,
    decode_activation_redirect,
    decode_sign_redirect,
    parse_activation_redirect,
    parse_sign_redirect,
)

CIPHER = RedirectCipher("RBazsYSDTuShYbUG")
EMAIL = "digisigntest@tandatanganku.com"
NIK = "3275094801950033"

SIGN = {
    "document_id": "sni040302",
    "status": "0",
    "status_document": "complete",
    "result": "00",
    "notif": "Proses tanda tangan berhasil!",
    "email_user": EMAIL,
}
ACTIVATION = {
    "result": "00",
    "notif": "Proses Aktivasi Berhasil",
    "email_user": EMAIL,
    "nik": NIK,
}

# The document's printed plaintexts, line breaks and all.
DOCUMENT_SIGN_PLAINTEXT = (
    '{"document_id":"sni040302", "status_document":"complete", "result":"00",\n'
    '"notif":"Proses tanda tangan berhasil!",\n'
    '"email_user":"digisigntest@tandatanganku.com"}'
)
DOCUMENT_ACTIVATION_PLAINTEXT = """{"result":"00","notif":"Proses Aktivasi Berhasil",
"email_user":"digisigntest@tandatanguku.com","nik":"3275094801950033","verifikasi":{"nama":true,
"tanggal_lahir":true,"selfie":true}}"""


def sign_with(**changes: Any) -> str:
    """The sign payload as JSON, with fields changed (None removes a field)."""
    payload = {**SIGN, **changes}
    return json.dumps({k: v for k, v in payload.items() if v is not None})


def activation_with(**changes: Any) -> str:
    """The activation payload as JSON, with fields changed (None removes a field)."""
    payload = {**ACTIVATION, **changes}
    return json.dumps({k: v for k, v in payload.items() if v is not None})


# --- sign redirects -----------------------------------------------------------------------


def test_parses_the_documents_sign_redirect_plaintext() -> None:
    redirect = parse_sign_redirect(DOCUMENT_SIGN_PLAINTEXT)

    assert redirect.document_id == "sni040302"
    assert redirect.email_user == EMAIL
    assert redirect.status_document is DocumentStatus.COMPLETE
    assert redirect.status is None
    assert redirect.signed
    assert not redirect.rejected


def test_decodes_the_real_ciphertext_behind_the_documents_sign_example() -> None:
    # The document's msg with its one misprinted glyph fixed (see test_cipher.py).
    msg = (
        "Cij6Jz9ui76E5Ky%2FqJRqt5jMp1gx%2Bz1onr2%2FO%2Fb%2FQQOlCOI%2FsNbocobyzf4XkeXTCZRJ%2B7r7J3"
        "%2FI%0AjMKCjBpOTpZuuhUUeQTD%2BmU43vsKbSKj0oQxhKUvUG%2BNcdYcTSRiM3ikRaMiBB4rrxQXdEwUu18r"
        "%0A1naOnZwvJw0ZnEx94Z4%3D"
    )
    redirect = decode_sign_redirect(CIPHER, msg)

    assert redirect.document_id == "IdDoc_002"
    assert redirect.notif == "Sukses"
    assert redirect.status_document is DocumentStatus.COMPLETE
    assert redirect.signed


@pytest.mark.parametrize(
    ("sent", "status"),
    [
        ("complete", DocumentStatus.COMPLETE),
        ("completed", DocumentStatus.COMPLETE),
        ("Completed", DocumentStatus.COMPLETE),
        ("COMPLETE", DocumentStatus.COMPLETE),
        ("waiting", DocumentStatus.WAITING),
        ("Waiting", DocumentStatus.WAITING),
        ("rejected", DocumentStatus.REJECTED),
        ("Ditolak", DocumentStatus.REJECTED),
    ],
)
def test_status_document_complete_completed_waiting_and_rejected_are_understood(
    sent: str, status: DocumentStatus
) -> None:
    assert parse_sign_redirect(sign_with(status_document=sent)).status_document is status


@pytest.mark.parametrize("sent", ["signed", "", "complete!", "waiting for"])
def test_any_other_status_document_is_refused(sent: str) -> None:
    with pytest.raises(RedirectPayloadError, match="status_document"):
        parse_sign_redirect(sign_with(status_document=sent))


def test_a_rejection_is_recognised_as_a_rejection_not_a_signature() -> None:
    redirect = parse_sign_redirect(
        sign_with(notif="Proses Penolakan Dokumen berhasil!", status_document="waiting")
    )

    assert redirect.rejected
    assert not redirect.signed


def test_a_result_other_than_00_is_neither_signed_nor_rejected() -> None:
    redirect = parse_sign_redirect(sign_with(result="06", notif="Penolakan gagal"))

    assert not redirect.signed
    assert not redirect.rejected


def test_sukses_is_a_signature() -> None:
    assert parse_sign_redirect(sign_with(notif="Sukses")).signed


@given(st.permutations(list(SIGN.items())))
def test_sign_keys_may_come_in_any_order(items: list[tuple[str, str]]) -> None:
    assert parse_sign_redirect(json.dumps(dict(items))) == parse_sign_redirect(sign_with())


def test_unknown_sign_keys_are_kept() -> None:
    redirect = parse_sign_redirect(sign_with(status_ttd="1", extra={"a": 1}))

    assert redirect.model_extra == {"status_ttd": "1", "extra": {"a": 1}}


def test_a_document_id_longer_than_20_characters_is_refused() -> None:
    with pytest.raises(RedirectPayloadError, match="document_id"):
        parse_sign_redirect(sign_with(document_id="d" * 21))


# --- activation redirects -------------------------------------------------------------------


def test_parses_the_documents_activation_redirect_plaintext() -> None:
    redirect = parse_activation_redirect(DOCUMENT_ACTIVATION_PLAINTEXT)

    assert redirect.succeeded
    assert redirect.nik == NIK
    assert redirect.email_user == "digisigntest@tandatanguku.com"
    assert redirect.verifikasi == {"nama": True, "tanggal_lahir": True, "selfie": True}


def test_decodes_the_real_ciphertext_behind_the_documents_activation_example() -> None:
    # The document's msg with its misprinted glyphs fixed (see test_cipher.py).
    msg = (
        "B9zrGI4dF0PAPWDsaTBgrbxWNX%2Fi6qnJhfi%2BrVl9DXuPtMkchM6WIS3b4HRIdWWiFtZAhJqdntS0"
        "%0AOAp4L8s7lcH5ER2gVls%2BdYmLnyRDIC3acfsW8ka2MBeBcXb0JpvvC6o8Z%2Fs2%2BCkicCG%2BTPpYBdp"
        "%2B%0A6ON36F0b7CE4EfTDXsw%3D"
    )
    redirect = decode_activation_redirect(CIPHER, msg)

    assert redirect.succeeded
    assert redirect.email_user == "testing@tandatanganku.com"
    assert redirect.nik == NIK
    assert redirect.verifikasi is None


@pytest.mark.parametrize("verifikasi", [True, False, {"nama": True, "selfie": False}])
def test_verifikasi_may_be_a_bool_or_an_object(verifikasi: bool | dict[str, bool]) -> None:
    assert parse_activation_redirect(activation_with(verifikasi=verifikasi)).verifikasi == (
        verifikasi
    )


def test_a_failed_activation_result_is_not_success() -> None:
    assert not parse_activation_redirect(activation_with(result="06")).succeeded


def test_unknown_activation_keys_are_kept() -> None:
    redirect = parse_activation_redirect(activation_with(kode_user="U123"))

    assert redirect.model_extra == {"kode_user": "U123"}


@pytest.mark.parametrize("nik", ["123", "32750948019500331", "327509480195003X"])
def test_a_nik_that_is_not_16_digits_is_refused_without_showing_it(nik: str) -> None:
    with pytest.raises(RedirectPayloadError, match="nik") as caught:
        parse_activation_redirect(activation_with(nik=nik))

    assert nik not in str(caught.value)


# --- both ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parse", "payload"),
    [(parse_sign_redirect, sign_with()), (parse_activation_redirect, activation_with())],
)
def test_the_jsonfile_wrapper_is_optional(parse: Any, payload: str) -> None:
    plain = parse(payload)
    wrapped = parse(json.dumps({"JSONFile": json.loads(payload)}))
    wrapped_as_string = parse(json.dumps({"JSONFile": payload}))

    assert plain == wrapped == wrapped_as_string


@pytest.mark.parametrize(
    "field", ["document_id", "email_user", "result", "notif", "status_document"]
)
def test_a_missing_sign_field_is_named(field: str) -> None:
    with pytest.raises(RedirectPayloadError, match=f"missing field '{field}'"):
        parse_sign_redirect(sign_with(**{field: None}))


@pytest.mark.parametrize("field", ["result", "notif", "email_user", "nik"])
def test_a_missing_activation_field_is_named(field: str) -> None:
    with pytest.raises(RedirectPayloadError, match=f"missing field '{field}'"):
        parse_activation_redirect(activation_with(**{field: None}))


@pytest.mark.parametrize("field", ["result", "notif", "document_id", "email_user"])
def test_a_field_of_the_wrong_type_is_named(field: str) -> None:
    with pytest.raises(RedirectPayloadError, match=f"invalid field '{field}'"):
        parse_sign_redirect(sign_with(**{field: 0}))


@pytest.mark.parametrize(
    "email",
    ["not-an-email", "a@b@c.id", "@tandatanganku.com", "user@", "a b@c.id", "a" * 78 + "@c.id"],
)
def test_an_implausible_email_is_refused_without_showing_it(email: str) -> None:
    with pytest.raises(RedirectPayloadError, match="email_user") as caught:
        parse_sign_redirect(sign_with(email_user=email))

    assert email not in str(caught.value)


@pytest.mark.parametrize(
    "plaintext", ["", "not json", "[]", '"text"', "null", "42", '{"JSONFile": 5}', "{" * 5000]
)
@pytest.mark.parametrize("parse", [parse_sign_redirect, parse_activation_redirect])
def test_plaintext_that_is_not_a_json_object_is_refused(parse: Any, plaintext: str) -> None:
    with pytest.raises(RedirectPayloadError):
        parse(plaintext)


def test_errors_never_carry_personal_data_or_chain_the_input() -> None:
    # Everything present but one field invalid: the message must not echo the rest.
    with pytest.raises(RedirectPayloadError) as caught:
        parse_activation_redirect(activation_with(result=0))

    assert EMAIL not in str(caught.value)
    assert NIK not in str(caught.value)
    assert caught.value.__context__ is None
    assert caught.value.__cause__ is None


def test_not_json_errors_do_not_chain_the_plaintext() -> None:
    with pytest.raises(RedirectPayloadError) as caught:
        parse_sign_redirect(f'{{"email_user": "{EMAIL}"')

    assert EMAIL not in str(caught.value)
    assert caught.value.__context__ is None


@pytest.mark.parametrize(
    "redirect",
    [
        parse_sign_redirect(sign_with(secret_phone="6281290700111")),
        parse_activation_redirect(activation_with(tlp="6281290700111")),
    ],
)
def test_repr_and_str_show_no_personal_data(redirect: SignRedirect | ActivationRedirect) -> None:
    for text in (repr(redirect), str(redirect)):
        assert EMAIL not in text
        assert NIK not in text
        assert "6281290700111" not in text


def test_repr_names_unknown_keys_but_not_their_values() -> None:
    redirect = parse_sign_redirect(sign_with(status_ttd="secret"))

    assert "status_ttd" in repr(redirect)
    assert "secret" not in repr(redirect)


def test_redirects_are_immutable() -> None:
    redirect = parse_sign_redirect(sign_with())
    with pytest.raises(ValueError, match="frozen"):
        redirect.result = "06"  # type: ignore[misc]


# --- decrypt and parse together -------------------------------------------------------------


def test_decode_sign_redirect_round_trips_through_the_cipher() -> None:
    redirect = decode_sign_redirect(CIPHER, CIPHER.encrypt(sign_with()))

    assert redirect == parse_sign_redirect(sign_with())


def test_decode_activation_redirect_round_trips_through_the_cipher() -> None:
    redirect = decode_activation_redirect(CIPHER, CIPHER.encrypt(activation_with()))

    assert redirect.nik == NIK


def test_a_payload_of_the_wrong_kind_is_a_payload_error() -> None:
    with pytest.raises(RedirectPayloadError, match="missing field 'nik'"):
        decode_activation_redirect(CIPHER, CIPHER.encrypt(sign_with()))


def test_a_flipped_byte_anywhere_in_the_ciphertext_raises_a_typed_redirect_error() -> None:
    ciphertext = base64.b64decode(unquote(CIPHER.encrypt(sign_with())))
    for position in range(len(ciphertext)):
        tampered = bytearray(ciphertext)
        tampered[position] ^= 0x01
        msg = base64.b64encode(bytes(tampered)).decode()
        # ECB garbles the whole block: bad padding, not UTF-8, or no longer the JSON.
        with pytest.raises((RedirectDecryptError, RedirectPayloadError)):
            decode_sign_redirect(CIPHER, msg)


# --- properties ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from([*SIGN, *ACTIVATION, "verifikasi", "JSONFile"]) | st.text(max_size=8)
json_objects = st.dictionaries(field_names, json_values, max_size=8)


@given(st.text())
def test_parsing_arbitrary_text_raises_only_payload_errors(text: str) -> None:
    for parse in (parse_sign_redirect, parse_activation_redirect):
        with contextlib.suppress(RedirectPayloadError):
            parse(text)


@given(json_objects)
def test_parsing_arbitrary_json_objects_raises_only_payload_errors(obj: dict[str, Any]) -> None:
    for plaintext in (json.dumps(obj), json.dumps({"JSONFile": obj})):
        for parse in (parse_sign_redirect, parse_activation_redirect):
            with contextlib.suppress(RedirectPayloadError):
                parse(plaintext)
