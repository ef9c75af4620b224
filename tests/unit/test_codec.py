"""The payload codec: AES-256-GCM with the key id in metadata and as associated data."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from Crypto.Cipher import AES
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from workers.codec import (
    ENCODING,
    KEY_ID_METADATA,
    NONCE_BYTES,
    TAG_BYTES,
    CodecError,
    EncryptionCodec,
    data_converter,
)

OLD_KEY = bytes(range(32))
NEW_KEY = bytes(range(100, 132))
NIK = "3275094801950033"
EMAIL = "siti.rahayu@example.co.id"


class Applicant(BaseModel):
    """A model like the workflows' inputs: personal data, bytes and times."""

    # Arbitrary bytes (not only UTF-8) need base64 in pydantic's JSON.
    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    nik: str
    email: str
    photo: bytes
    birth_date: date
    consented_at: datetime
    local_time: datetime


APPLICANT = Applicant(
    nik=NIK,
    email=EMAIL,
    photo=b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x02\x80\xfe",
    birth_date=date(1995, 1, 8),
    consented_at=datetime(2026, 11, 1, 9, 30, 15, 123456, tzinfo=UTC),
    local_time=datetime(2026, 11, 1, 16, 30, tzinfo=timezone(timedelta(hours=7))),
)


@pytest.fixture
def codec() -> EncryptionCodec:
    return EncryptionCodec({"2026-01": OLD_KEY, "2026-07": NEW_KEY}, "2026-07")


def plain(value: object) -> Payload:
    """The payload the pydantic converter makes of `value`, before any codec."""
    return pydantic_data_converter.payload_converter.to_payloads([value])[0]


def gcm_encrypt(key: bytes, aad: bytes, plaintext: bytes) -> bytes:
    nonce = b"\x01" * NONCE_BYTES
    cipher = AES.new(key, AES.MODE_GCM, nonce=nonce, mac_len=TAG_BYTES)
    ciphertext, tag = cipher.update(aad).encrypt_and_digest(plaintext)
    return nonce + ciphertext + tag


# --- round trips ---------------------------------------------------------------------


async def test_encoded_payloads_decode_to_exactly_the_originals(codec: EncryptionCodec) -> None:
    originals = [plain(APPLICANT), plain("teks"), plain(42), plain(None), plain([1, "dua"])]

    decoded = await codec.decode(await codec.encode(originals))

    assert decoded == originals


async def test_a_pydantic_model_with_bytes_and_datetimes_survives_the_encrypting_converter(
    codec: EncryptionCodec,
) -> None:
    converter = data_converter(codec)

    payloads = await converter.encode([APPLICANT, "catatan", 7])
    values = await converter.decode(payloads, [Applicant, str, int])

    assert values == [APPLICANT, "catatan", 7]
    assert values[0].photo == APPLICANT.photo
    assert values[0].local_time.utcoffset() == timedelta(hours=7)
    assert all(p.metadata["encoding"] == ENCODING for p in payloads)


async def test_the_encrypting_converter_writes_what_a_plain_converter_cannot_read(
    codec: EncryptionCodec,
) -> None:
    payloads = await data_converter(codec).encode([APPLICANT])

    with pytest.raises(KeyError, match="binary/encrypted"):
        await pydantic_data_converter.decode(payloads, [Applicant])


async def test_without_a_codec_the_converter_is_the_plain_pydantic_one() -> None:
    converter = data_converter(None)

    payloads = await converter.encode([APPLICANT])

    assert converter.payload_codec is None
    assert converter.payload_converter_class is pydantic_data_converter.payload_converter_class
    assert payloads[0].metadata["encoding"] == b"json/plain"
    assert await converter.decode(payloads, [Applicant]) == [APPLICANT]


def test_the_encrypting_converter_is_the_pydantic_one_with_the_codec(
    codec: EncryptionCodec,
) -> None:
    converter = data_converter(codec)

    assert converter.payload_codec is codec
    assert converter.payload_converter_class is pydantic_data_converter.payload_converter_class
    assert converter.failure_converter_class is pydantic_data_converter.failure_converter_class


@given(
    data=st.binary(max_size=2048),
    metadata=st.dictionaries(st.text(max_size=20), st.binary(max_size=64), max_size=5),
)
async def test_any_payload_survives_encode_then_decode(
    data: bytes, metadata: dict[str, bytes]
) -> None:
    codec = EncryptionCodec({"k": OLD_KEY}, "k")
    original = Payload(metadata=metadata, data=data)

    assert await codec.decode(await codec.encode([original])) == [original]


# --- what an encrypted payload looks like --------------------------------------------


async def test_an_encrypted_payload_is_marked_and_names_the_current_key(
    codec: EncryptionCodec,
) -> None:
    original = plain(APPLICANT)

    [encrypted] = await codec.encode([original])

    assert dict(encrypted.metadata) == {
        "encoding": b"binary/encrypted",
        KEY_ID_METADATA: b"2026-07",
    }
    assert len(encrypted.data) == NONCE_BYTES + len(original.SerializeToString()) + TAG_BYTES


async def test_the_ciphertext_hides_the_plaintext_and_its_metadata(codec: EncryptionCodec) -> None:
    original = plain(APPLICANT)

    [encrypted] = await codec.encode([original])

    wire = encrypted.SerializeToString()
    assert encrypted.data != original.data
    for secret in (
        NIK.encode(),
        EMAIL.encode(),
        b"siti",
        b"json/plain",
        b"Applicant",
        base64.b64encode(APPLICANT.photo),
        APPLICANT.photo[:4],
        b"2026-11-01",
    ):
        assert secret not in wire


async def test_the_same_payload_encrypts_differently_every_time(codec: EncryptionCodec) -> None:
    original = plain(APPLICANT)

    first, second = await codec.encode([original, original])

    assert first.data[:NONCE_BYTES] != second.data[:NONCE_BYTES]
    assert first.data != second.data


async def test_encode_does_not_modify_its_input(codec: EncryptionCodec) -> None:
    original = plain(APPLICANT)
    copy = Payload()
    copy.CopyFrom(original)

    await codec.encode([original])

    assert original == copy


# --- key rotation --------------------------------------------------------------------


async def test_payloads_encrypted_under_a_retired_key_decode_after_rotation() -> None:
    before = EncryptionCodec({"2026-01": OLD_KEY}, "2026-01")
    after = EncryptionCodec({"2026-01": OLD_KEY, "2026-07": NEW_KEY}, "2026-07")
    old_payloads = await before.encode([plain(APPLICANT)])

    [written_after] = await after.encode([plain(APPLICANT)])

    assert await after.decode(old_payloads) == [plain(APPLICANT)]
    assert written_after.metadata[KEY_ID_METADATA] == b"2026-07"
    assert old_payloads[0].metadata[KEY_ID_METADATA] == b"2026-01"


async def test_an_unknown_key_id_is_a_codec_error_naming_only_the_id() -> None:
    before = EncryptionCodec({"2026-01": OLD_KEY}, "2026-01")
    forgetful = EncryptionCodec({"2026-07": NEW_KEY}, "2026-07")
    payloads = await before.encode([plain(APPLICANT)])

    with pytest.raises(CodecError, match=r"unknown key id '2026-01'") as caught:
        await forgetful.decode(payloads)

    assert caught.value.key_id == "2026-01"
    message = str(caught.value)
    for secret in (NIK, EMAIL, OLD_KEY.hex(), NEW_KEY.hex(), repr(OLD_KEY), repr(NEW_KEY)):
        assert secret not in message


async def test_an_unknown_key_id_that_is_not_utf8_is_still_a_codec_error(
    codec: EncryptionCodec,
) -> None:
    [encrypted] = await codec.encode([plain("x")])
    encrypted.metadata[KEY_ID_METADATA] = b"\xff\xfe\nforged log line" + b"x" * 200

    with pytest.raises(CodecError, match="unknown key id") as caught:
        await codec.decode([encrypted])

    assert "\n" not in str(caught.value)
    assert caught.value.key_id is not None
    assert len(caught.value.key_id) <= 64


# --- tampering -----------------------------------------------------------------------


def flip(data: bytes, index: int) -> bytes:
    changed = bytearray(data)
    changed[index] ^= 0x01
    return bytes(changed)


@pytest.mark.parametrize(
    ("where", "tamper"),
    [
        ("nonce", lambda data: flip(data, 0)),
        ("ciphertext", lambda data: flip(data, NONCE_BYTES + 3)),
        ("tag", lambda data: flip(data, len(data) - 1)),
        ("truncated tag", lambda data: data[:-1]),
        ("appended byte", lambda data: data + b"\x00"),
        ("dropped ciphertext", lambda data: data[:NONCE_BYTES] + data[-TAG_BYTES:]),
    ],
)
async def test_a_tampered_payload_is_a_codec_error_naming_the_key_id(
    codec: EncryptionCodec, where: str, tamper: object
) -> None:
    [encrypted] = await codec.encode([plain(APPLICANT)])
    assert callable(tamper)
    encrypted.data = tamper(encrypted.data)

    with pytest.raises(CodecError, match=r"key id '2026-07' failed authentication") as caught:
        await codec.decode([encrypted])

    assert caught.value.key_id == "2026-07"
    assert NIK not in str(caught.value)


@pytest.mark.parametrize("length", [0, 1, NONCE_BYTES, NONCE_BYTES + TAG_BYTES - 1])
async def test_a_payload_too_short_to_hold_nonce_and_tag_is_a_codec_error(
    codec: EncryptionCodec, length: int
) -> None:
    [encrypted] = await codec.encode([plain(APPLICANT)])
    encrypted.data = encrypted.data[:length]

    with pytest.raises(CodecError, match=r"key id '2026-07' is truncated"):
        await codec.decode([encrypted])


async def test_relabelling_a_payload_with_another_key_id_fails_authentication(
    codec: EncryptionCodec,
) -> None:
    [encrypted] = await codec.encode([plain(APPLICANT)])
    encrypted.metadata[KEY_ID_METADATA] = b"2026-01"

    with pytest.raises(CodecError, match=r"key id '2026-01' failed authentication"):
        await codec.decode([encrypted])


async def test_relabelling_fails_even_when_both_ids_name_the_same_key() -> None:
    # Only the key id as associated data catches this: the key itself still fits.
    codec = EncryptionCodec({"a": OLD_KEY, "b": OLD_KEY}, "a")
    [encrypted] = await codec.encode([plain(APPLICANT)])
    encrypted.metadata[KEY_ID_METADATA] = b"b"

    with pytest.raises(CodecError, match=r"key id 'b' failed authentication"):
        await codec.decode([encrypted])


async def test_an_encrypted_payload_without_a_key_id_is_a_codec_error(
    codec: EncryptionCodec,
) -> None:
    [encrypted] = await codec.encode([plain(APPLICANT)])
    del encrypted.metadata[KEY_ID_METADATA]

    with pytest.raises(CodecError, match="no encryption-key-id") as caught:
        await codec.decode([encrypted])

    assert caught.value.key_id is None


async def test_authentic_ciphertext_that_is_not_a_payload_is_a_codec_error() -> None:
    codec = EncryptionCodec({"k": OLD_KEY}, "k")
    # A field tag with wire type 7, which no protobuf message can contain.
    forged = Payload(
        metadata={"encoding": ENCODING, KEY_ID_METADATA: b"k"},
        data=gcm_encrypt(OLD_KEY, b"k", b"\xff\xff\xff\xff"),
    )

    with pytest.raises(CodecError, match="does not hold a Temporal payload"):
        await codec.decode([forged])


async def test_ciphertext_made_without_the_key_id_as_associated_data_is_refused() -> None:
    codec = EncryptionCodec({"k": OLD_KEY}, "k")
    forged = Payload(
        metadata={"encoding": ENCODING, KEY_ID_METADATA: b"k"},
        data=gcm_encrypt(OLD_KEY, b"", plain("x").SerializeToString()),
    )

    with pytest.raises(CodecError, match="failed authentication"):
        await codec.decode([forged])


def test_a_codec_error_is_a_value_error() -> None:
    assert issubclass(CodecError, ValueError)


# --- pass-through --------------------------------------------------------------------


async def test_unencrypted_payloads_pass_through_decode_unchanged_and_in_order(
    codec: EncryptionCodec,
) -> None:
    unencrypted = [
        plain(APPLICANT),
        plain(None),
        Payload(),
        Payload(metadata={"encoding": b"binary/plain"}, data=b"\x00\x01"),
    ]
    [encrypted] = await codec.encode([plain("rahasia")])

    decoded = await codec.decode([unencrypted[0], encrypted, *unencrypted[1:]])

    assert decoded == [unencrypted[0], plain("rahasia"), *unencrypted[1:]]


# --- construction --------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 16, 24, 31, 33, 64])
def test_a_key_that_is_not_32_bytes_is_refused_naming_its_id(length: int) -> None:
    key = bytes([0x5A]) * length

    with pytest.raises(ValueError, match=rf"key 'k2' must be 32 bytes, got {length}") as caught:
        EncryptionCodec({"k1": OLD_KEY, "k2": key}, "k1")

    assert repr(key) not in str(caught.value)


def test_a_key_given_as_its_base64_text_is_refused_without_showing_it() -> None:
    text = base64.b64encode(OLD_KEY).decode()

    with pytest.raises(ValueError, match="key 'k1' must be bytes") as caught:
        EncryptionCodec({"k1": text}, "k1")  # type: ignore[dict-item]

    assert text not in str(caught.value)


def test_a_key_given_as_a_bytearray_is_copied() -> None:
    key = bytearray(OLD_KEY)
    codec = EncryptionCodec({"k": key}, "k")  # type: ignore[dict-item]
    key[:] = NEW_KEY

    payload = Payload(
        metadata={"encoding": ENCODING, KEY_ID_METADATA: b"k"},
        data=gcm_encrypt(OLD_KEY, b"k", plain("x").SerializeToString()),
    )
    assert codec.decrypt(payload) == plain("x")


def test_a_current_key_id_that_is_not_configured_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"current encryption key id '2027-01'"):
        EncryptionCodec({"2026-01": OLD_KEY}, "2027-01")


def test_no_keys_at_all_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        EncryptionCodec({}, "k")


@pytest.mark.parametrize("key_id", ["", "has space", "line\nbreak", "kunci/1", "k" * 65, "ü"])
def test_a_key_id_that_would_be_unsafe_in_metadata_or_logs_is_refused(key_id: str) -> None:
    with pytest.raises(ValueError, match="key id"):
        EncryptionCodec({key_id: OLD_KEY}, key_id)


def test_the_codec_shows_its_key_ids_but_never_its_keys(codec: EncryptionCodec) -> None:
    shown = repr(codec) + str(codec)

    assert "2026-01" in shown
    assert "2026-07" in shown
    for key in (OLD_KEY, NEW_KEY):
        assert repr(key) not in shown
        assert key.hex() not in shown
    assert codec.current_key_id == "2026-07"
    assert codec.key_ids == frozenset({"2026-01", "2026-07"})
