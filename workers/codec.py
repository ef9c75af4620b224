"""The payload codec: every workflow payload is AES-256-GCM encrypted before it leaves us.

Temporal stores workflow inputs, results, signals, memos and failures in its own
database, readable by anyone who can read that database or the Temporal UI. signflow's
payloads carry NIKs, names, phone numbers and e-mail addresses, so the worker, the
gateway and every client encrypt them with `EncryptionCodec`; the gateway's
`/codec/decode` endpoint lets an operator's Temporal UI show them again.

An encrypted payload looks like this:

- metadata `encoding` = `binary/encrypted`, `encryption-key-id` = the key's id (UTF-8);
- data = nonce (12 random bytes) || ciphertext || GCM tag (16 bytes), where the
  plaintext is the whole original `Payload` message, serialized. Encrypting the
  message rather than its data keeps the original metadata (`json/plain`, the
  pydantic type hints) secret as well, and restores it exactly on decode.
- the key id is GCM associated data: relabelling a payload with another key id fails
  authentication even when both ids name the same key.

Key rotation: the codec holds several keys, encrypts with the current one and decrypts
with whichever the payload names, so histories written under an old key stay readable
as long as that key stays configured.

Errors (all are `ValueError`s):

    ValueError                   a key or key id given to the constructor is unusable
    └── CodecError               a payload claims to be encrypted but cannot be decrypted

Neither ever carries a key, a nonce or any plaintext; `CodecError` names only the key id.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from Crypto.Cipher import AES
from Crypto.Random import get_random_bytes
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec

if TYPE_CHECKING:
    from Crypto.Cipher._mode_gcm import GcmMode

ENCODING = b"binary/encrypted"
"""The `encoding` metadata of an encrypted payload."""

KEY_ID_METADATA = "encryption-key-id"
"""The metadata entry naming the key a payload was encrypted with."""

KEY_BYTES = 32
"""AES-256 only: one key size means one thing to check and nothing to downgrade to."""

NONCE_BYTES = 12
"""GCM's native nonce size. Random nonces are safe for about 2**32 payloads per key;
rotate keys long before that (new key id, old one kept for reading)."""

TAG_BYTES = 16
"""The full GCM tag; shorter tags weaken authentication for no useful saving."""

KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,64}")
"""Key ids end up in payload metadata, logs and error messages: keep them plain."""

_MAX_SHOWN_KEY_ID = 64
"""An unknown key id read from a payload is untrusted; show at most this much of it."""


class CodecError(ValueError):
    """An encrypted payload cannot be decrypted.

    The key is unknown, the payload was tampered with or truncated, or it was
    encrypted under a different key that carries the same id. The message names the
    key id and nothing else from the payload.

    Attributes:
        key_id: the key id the payload names, or `None` when it names none.
    """

    def __init__(self, message: str, *, key_id: str | None) -> None:
        super().__init__(message)
        self.key_id = key_id


class EncryptionCodec(PayloadCodec):
    """Encrypts payloads with AES-256-GCM under the current key; decrypts with any key.

    Args:
        keys: key id → 32-byte AES key. Keep retired keys here for as long as
            histories encrypted with them must stay readable.
        current_key_id: the id of the key new payloads are encrypted with.

    Raises:
        ValueError: no keys, a key id that is not 1-64 of `A-Z a-z 0-9 . _ : -`, a key
            that is not exactly 32 bytes, or a current key id that is not among the
            keys. The message names the key id, never the key.
    """

    __slots__ = ("_current_key_id", "_keys")

    def __init__(self, keys: Mapping[str, bytes], current_key_id: str) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        checked: dict[str, bytes] = {}
        for key_id, key in keys.items():
            if not isinstance(key_id, str) or not KEY_ID_PATTERN.fullmatch(key_id):
                raise ValueError(
                    f"encryption key id {key_id!r} must be 1-64 of A-Z a-z 0-9 . _ : -"
                )
            if not isinstance(key, bytes | bytearray | memoryview):
                raise ValueError(
                    f"encryption key {key_id!r} must be bytes (decoded, not its base64 "
                    f"text), got {type(key).__name__}"
                )
            # A copy: the caller's buffer may change later; ours must not.
            raw = bytes(key)
            if len(raw) != KEY_BYTES:
                raise ValueError(
                    f"encryption key {key_id!r} must be {KEY_BYTES} bytes, got {len(raw)}"
                )
            checked[key_id] = raw
        if current_key_id not in checked:
            raise ValueError(f"current encryption key id {current_key_id!r} is not among the keys")
        self._keys = checked
        self._current_key_id = current_key_id

    def __repr__(self) -> str:
        return (
            f"EncryptionCodec(key_ids={sorted(self._keys)!r}, "
            f"current_key_id={self._current_key_id!r})"
        )

    @property
    def current_key_id(self) -> str:
        """The id of the key new payloads are encrypted with."""
        return self._current_key_id

    @property
    def key_ids(self) -> frozenset[str]:
        """The ids of every key payloads can be decrypted with."""
        return frozenset(self._keys)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Encrypt each payload, whole, under the current key.

        Args:
            payloads: the payloads to encrypt; not modified.

        Returns:
            One encrypted payload per payload, in order.
        """
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Decrypt each encrypted payload; pass every other payload through unchanged.

        Unencrypted payloads are passed through so histories written before
        encryption was switched on (and payloads Temporal itself creates) still read.

        Args:
            payloads: the payloads to decrypt; not modified.

        Returns:
            One payload per payload, in order.

        Raises:
            CodecError: a payload is marked encrypted but names no key or an unknown
                key, is truncated, or fails authentication.
        """
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        """Encrypt one payload under the current key (the synchronous core of `encode`)."""
        key_id = self._current_key_id
        aad = key_id.encode()
        # A fresh random nonce per payload: GCM is broken by a nonce reused under a key.
        nonce = get_random_bytes(NONCE_BYTES)
        ciphertext, tag = (
            self._cipher(key_id, nonce).update(aad).encrypt_and_digest(payload.SerializeToString())
        )
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_METADATA: aad},
            data=nonce + ciphertext + tag,
        )

    def decrypt(self, payload: Payload) -> Payload:
        """Decrypt one payload, or return it as it is when it is not encrypted.

        Raises:
            CodecError: as for `decode`.
        """
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        raw_key_id = payload.metadata.get(KEY_ID_METADATA)
        if raw_key_id is None:
            raise CodecError(f"encrypted payload has no {KEY_ID_METADATA} metadata", key_id=None)
        key_id = raw_key_id.decode("utf-8", errors="replace")
        if key_id not in self._keys:
            raise CodecError(
                f"payload encrypted with unknown key id {key_id[:_MAX_SHOWN_KEY_ID]!r}; "
                "is a retired key missing from the configured keys?",
                key_id=key_id[:_MAX_SHOWN_KEY_ID],
            )
        data = payload.data
        if len(data) < NONCE_BYTES + TAG_BYTES:
            raise CodecError(
                f"payload encrypted with key id {key_id!r} is truncated", key_id=key_id
            )
        nonce, ciphertext, tag = data[:NONCE_BYTES], data[NONCE_BYTES:-TAG_BYTES], data[-TAG_BYTES:]
        try:
            plaintext = (
                self._cipher(key_id, nonce).update(raw_key_id).decrypt_and_verify(ciphertext, tag)
            )
        except ValueError as exc:
            # pycryptodome's only word is "MAC check failed"; ours says which key.
            raise CodecError(
                f"payload encrypted with key id {key_id!r} failed authentication "
                "(tampered, or encrypted under another key with the same id)",
                key_id=key_id,
            ) from exc
        try:
            return Payload.FromString(plaintext)
        except DecodeError as exc:
            # Authentic but not a Payload: written by something else holding our key.
            raise CodecError(
                f"payload encrypted with key id {key_id!r} does not hold a Temporal payload",
                key_id=key_id,
            ) from exc

    def _cipher(self, key_id: str, nonce: bytes) -> GcmMode:
        return AES.new(self._keys[key_id], AES.MODE_GCM, nonce=nonce, mac_len=TAG_BYTES)


def data_converter(codec: EncryptionCodec | None) -> DataConverter:
    """The pydantic data converter, encrypting through `codec` when one is given.

    Every client and worker of signflow must use the same converter: a worker
    without the codec cannot read what an encrypting client wrote.

    Args:
        codec: the payload codec, or `None` for plaintext payloads (tests, local
            experiments).

    Returns:
        A `DataConverter` that converts with pydantic and then encrypts.
    """
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec)
