"""The redirect cipher: Digisign's AES/ECB/PKCS5 + MIME base64 + URL-encoding."""

from __future__ import annotations

import base64
import contextlib
import re
from urllib.parse import quote, unquote, unquote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digisign.cipher import MAX_MSG_CHARS, MIME_LINE_LENGTH, RedirectCipher
from digisign.errors import CipherKeyError, RedirectDecryptError, RedirectError

KEY = "RBazsYSDTuShYbUG"
"""The 3.0.4 document's test key (sign redirect section)."""

MISPRINTED_KEY = "RBazsYSDTuShYBUG"
"""The same key as the activation section prints it, with a capital B."""

# The document's two example `msg` values, exactly as printed (the PDF wraps them
# over several lines; they are one string each).
DOCUMENT_ACTIVATION_MSG = (
    "B9zrGI4dF0PAPWDsaTBgrbxWNX%2Fi6qnJhfi%2BrV19DXuPtMkchM6WIS3b4HRIdWWiFtZAhJqdnTS0"
    "%0A0Ap4L8s71cH5ER2gV1s%2BdYmLnyRDIC3acfsw8ka2MBBeCxB0JpvvC6o8Z%2Fs2%2BCKicCG%2BTppYBdp%2B"
    "%0A60N36F0b7CE4EfTDXsw%3D"
)
DOCUMENT_SIGN_MSG = (
    "Cij6Jz9ui76E5Ky%2FqJRqt5jMp1gx%2Bz1onr2%2FO%2Fb%2FQQO1COI%2FsNbocobyzf4XkeXTCZRJ%2B7r7J3%2FI"
    "%0AjMKCjBpOTpZuuhUUeQTD%2BmU43vsKbSKj0oQxhKUvUG%2BNcdYcTSRiM3ikRaMiBB4rrxQXdEwUu18r"
    "%0A1naOnZwvJw0ZnEx94Z4%3D"
)

# Neither printed value decrypts: the document's font confuses glyphs (1/l, 0/O,
# letter case). With the real key, the sign example's only damaged block is fixed by
# one character (`QQO1COI` -> `QQOlCOI`); the activation example differs from the
# real ciphertext in 14 characters (1->l three times, 0->O twice, T/t, w/W, K/k, p/P,
# and `BeCxB` for `eBcXb`). The plaintexts below are what the ciphertexts really hold,
# and they are not the ones the document prints beside them.
SIGN_MSG = DOCUMENT_SIGN_MSG.replace("QQO1COI", "QQOlCOI")
SIGN_PLAINTEXT = (
    '{"document_id":"IdDoc_002","status_document":"complete","result":"00",'
    '"email_user":"testing5@digisign.id","notif":"Sukses"}'
)
ACTIVATION_MSG = (
    "B9zrGI4dF0PAPWDsaTBgrbxWNX%2Fi6qnJhfi%2BrVl9DXuPtMkchM6WIS3b4HRIdWWiFtZAhJqdntS0"
    "%0AOAp4L8s7lcH5ER2gVls%2BdYmLnyRDIC3acfsW8ka2MBeBcXb0JpvvC6o8Z%2Fs2%2BCkicCG%2BTPpYBdp%2B"
    "%0A6ON36F0b7CE4EfTDXsw%3D"
)
ACTIVATION_PLAINTEXT = (
    '{"result":"00","notif":"Proses Aktivasi Berhasil",'
    '"email_user":"testing@tandatanganku.com","nik":"3275094801950033"}'
)

B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


@pytest.fixture
def cipher() -> RedirectCipher:
    return RedirectCipher(KEY)


# --- the document's examples --------------------------------------------------------


@pytest.mark.parametrize("key", [KEY, MISPRINTED_KEY])
@pytest.mark.parametrize("msg", [DOCUMENT_ACTIVATION_MSG, DOCUMENT_SIGN_MSG])
def test_the_documents_printed_example_msgs_do_not_decrypt_with_either_key(
    key: str, msg: str
) -> None:
    with pytest.raises(RedirectDecryptError):
        RedirectCipher(key).decrypt(msg)


def test_decrypts_the_documents_sign_redirect_example_with_its_misprinted_glyph_fixed(
    cipher: RedirectCipher,
) -> None:
    assert cipher.decrypt(SIGN_MSG) == SIGN_PLAINTEXT


def test_decrypts_the_documents_activation_redirect_example_with_its_glyphs_fixed(
    cipher: RedirectCipher,
) -> None:
    assert cipher.decrypt(ACTIVATION_MSG) == ACTIVATION_PLAINTEXT


@pytest.mark.parametrize(
    ("plaintext", "msg"),
    [(SIGN_PLAINTEXT, SIGN_MSG), (ACTIVATION_PLAINTEXT, ACTIVATION_MSG)],
)
def test_encrypts_byte_for_byte_what_digisign_sends(
    cipher: RedirectCipher, plaintext: str, msg: str
) -> None:
    assert cipher.encrypt(plaintext) == msg


# --- the output format ----------------------------------------------------------------


def test_round_trips_with_the_documents_test_key(cipher: RedirectCipher) -> None:
    assert cipher.decrypt(cipher.encrypt(SIGN_PLAINTEXT)) == SIGN_PLAINTEXT


def test_output_is_url_encoded_with_a_line_feed_after_every_76_base64_characters(
    cipher: RedirectCipher,
) -> None:
    msg = cipher.encrypt("x" * 1000)

    assert re.fullmatch(r"[A-Za-z0-9%]+", msg)
    assert "%0D" not in msg
    lines = [unquote(part) for part in msg.split("%0A")]
    assert len(lines) > 10
    assert all(len(line) == MIME_LINE_LENGTH for line in lines[:-1])
    assert 0 < len(lines[-1]) <= MIME_LINE_LENGTH
    assert all(set(line) <= set(B64_ALPHABET) for line in lines)


def test_a_short_plaintext_has_no_line_feed(cipher: RedirectCipher) -> None:
    assert "%0A" not in cipher.encrypt("{}")


def test_encrypts_bytes_as_they_are(cipher: RedirectCipher) -> None:
    assert cipher.encrypt(SIGN_PLAINTEXT.encode()) == cipher.encrypt(SIGN_PLAINTEXT)


# --- what transport does to the value ---------------------------------------------------


RAW_SIGN_MSG = unquote(SIGN_MSG)


@pytest.mark.parametrize(
    "received",
    [
        pytest.param(SIGN_MSG, id="url-encoded-once"),
        pytest.param(quote(SIGN_MSG, safe=""), id="url-encoded-twice"),
        pytest.param(RAW_SIGN_MSG, id="raw-with-line-feeds"),
        pytest.param(RAW_SIGN_MSG.replace("\n", ""), id="raw-without-line-breaks"),
        pytest.param(RAW_SIGN_MSG.replace("\n", "\r\n"), id="raw-with-crlf"),
        pytest.param(unquote_plus(RAW_SIGN_MSG), id="raw-with-plus-turned-into-space"),
        pytest.param(quote(RAW_SIGN_MSG.replace("\n", ""), safe=""), id="encoded-no-breaks"),
    ],
)
def test_accepts_the_msg_however_transport_left_it(cipher: RedirectCipher, received: str) -> None:
    assert cipher.decrypt(received) == SIGN_PLAINTEXT


def test_the_plus_to_space_case_really_has_spaces() -> None:
    assert " " in unquote_plus(RAW_SIGN_MSG)


# --- refusals ---------------------------------------------------------------------------


def test_a_wrong_key_is_refused_without_leaking_key_msg_or_plaintext() -> None:
    with pytest.raises(RedirectDecryptError) as caught:
        RedirectCipher("0123456789abcdef").decrypt(SIGN_MSG)

    message = str(caught.value)
    for secret in ("0123456789abcdef", KEY, SIGN_MSG, RAW_SIGN_MSG[:20], "testing5"):
        assert secret not in message
    assert caught.value.__context__ is None
    assert caught.value.__cause__ is None


def test_a_flipped_byte_in_the_last_block_is_caught_by_strict_unpadding(
    cipher: RedirectCipher,
) -> None:
    ciphertext = bytearray(base64.b64decode(unquote(SIGN_MSG)))
    ciphertext[-3] ^= 0x01

    with pytest.raises(RedirectDecryptError, match="padding"):
        cipher.decrypt(base64.b64encode(bytes(ciphertext)).decode())


@pytest.mark.parametrize(
    ("msg", "reason"),
    [
        ("", "empty"),
        ("not base64!", "base64"),
        ("%25ZZ", "base64"),
        ("QUJD", "AES blocks"),
        (base64.b64encode(b"x" * 17).decode(), "AES blocks"),
        ("A" * (MAX_MSG_CHARS + 1), "longer"),
        (quote(quote(SIGN_MSG, safe=""), safe=""), "base64"),
    ],
)
def test_malformed_msgs_are_refused_with_a_reason(
    cipher: RedirectCipher, msg: str, reason: str
) -> None:
    with pytest.raises(RedirectDecryptError, match=reason):
        cipher.decrypt(msg)


def test_a_ciphertext_that_is_not_utf8_is_refused(cipher: RedirectCipher) -> None:
    msg = cipher.encrypt(b"\xff\xfe not text")

    with pytest.raises(RedirectDecryptError, match="UTF-8"):
        cipher.decrypt(msg)


def test_padding_bytes_must_all_be_equal(cipher: RedirectCipher) -> None:
    # 14 bytes of data + "\x01\x02": the last byte says 2, the one before disagrees.
    msg = cipher.encrypt(b"0123456789abcd\x01\x02")
    raw = base64.b64decode(unquote(msg))[:16]

    with pytest.raises(RedirectDecryptError, match="padding"):
        cipher.decrypt(base64.b64encode(raw).decode())


@pytest.mark.parametrize("pad_byte", [0, 17, 255])
def test_padding_bytes_outside_1_to_16_are_refused(cipher: RedirectCipher, pad_byte: int) -> None:
    block = bytes([pad_byte]) * 16
    raw = base64.b64decode(unquote(cipher.encrypt(block)))[:16]

    with pytest.raises(RedirectDecryptError, match="padding"):
        cipher.decrypt(base64.b64encode(raw).decode())


# --- the key ----------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 15, 17, 23, 25, 31, 33, 64])
def test_keys_of_bad_length_are_refused_without_showing_them(length: int) -> None:
    key = "Q" * length
    with pytest.raises(CipherKeyError) as caught:
        RedirectCipher(key)

    assert isinstance(caught.value, ValueError)
    assert str(caught.value).endswith(f"got {length}")
    assert "Q" not in str(caught.value)


@pytest.mark.parametrize("key", ["k" * 16, b"k" * 24, "k" * 32, "é" * 8])
def test_keys_of_16_24_or_32_bytes_are_accepted(key: str | bytes) -> None:
    cipher = RedirectCipher(key)
    assert cipher.decrypt(cipher.encrypt("ok")) == "ok"


def test_a_key_is_measured_in_utf8_bytes_not_characters() -> None:
    key = "é" * 4 + "a" * 12  # 16 characters, 20 bytes
    with pytest.raises(CipherKeyError, match="got 20"):
        RedirectCipher(key)


def test_repr_shows_only_the_key_length(cipher: RedirectCipher) -> None:
    assert repr(cipher) == "RedirectCipher(key=<16 bytes>)"
    assert KEY not in repr(cipher)
    assert KEY not in str(cipher)


# --- properties -------------------------------------------------------------------------


CIPHER = RedirectCipher(KEY)

b64_looking = st.text(alphabet=B64_ALPHABET + "\r\n %", max_size=300)
whole_blocks = st.binary(min_size=16, max_size=256).map(
    lambda data: base64.b64encode(data[: len(data) // 16 * 16]).decode()
)


@given(st.text())
def test_decrypting_arbitrary_text_raises_only_redirect_errors(text: str) -> None:
    with contextlib.suppress(RedirectError):
        CIPHER.decrypt(text)


@given(st.one_of(b64_looking, whole_blocks, whole_blocks.map(lambda s: quote(s, safe=""))))
def test_decrypting_base64_looking_text_raises_only_redirect_errors(text: str) -> None:
    with contextlib.suppress(RedirectError):
        CIPHER.decrypt(text)


@given(st.text())
def test_encrypt_then_decrypt_returns_any_text(text: str) -> None:
    assert CIPHER.decrypt(CIPHER.encrypt(text)) == text
