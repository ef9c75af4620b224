"""The redirect cipher: how Digisign encrypts the `?msg=` of its browser redirects.

After activation and after signing, Digisign sends the browser to the partner's URL
with `?msg=<value>`. What produces `<value>` (the 3.0.4 document, "Redirect", and
the behaviour recorded in `shared/digisign-behaviour.md`):

1. the JSON plaintext, UTF-8;
2. Java's `Cipher.getInstance("AES")`, which is AES/ECB/PKCS5Padding, keyed with
   the partner's AES key string as bytes (16 characters in practice);
3. a MIME-style base64 encoder: a line break every 76 characters. Java 8's
   `Base64.getMimeEncoder()` would put `\\r\\n` there, but Digisign's examples
   only ever show `%0A`, so theirs is the older `\\n` encoder and so is ours;
4. URL-encoding of the whole string, so `%0A`, `%2B`, `%2F` and `%3D` appear.

Decryption is the strict reverse, and forgiving only about what happens to the
value on its way to us: frameworks hand it over URL-decoded or not, proxies and
copy-paste add or drop line breaks, and a raw `+` that reaches a form decoder
becomes a space. Anything else is refused with `RedirectDecryptError`, whose
message never carries the key, the `msg` or the plaintext.

ECB leaks equal blocks and authenticates nothing; that is Digisign's choice, not
ours. The redirect is therefore untrusted input even when it decrypts: callers
cross-check it against their own state.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from Crypto.Cipher import AES

from digisign.errors import CipherKeyError, RedirectDecryptError

if TYPE_CHECKING:
    from Crypto.Cipher._mode_ecb import EcbMode

MAX_MSG_CHARS = 64 * 1024
"""Longer `msg` values are refused unread; real redirects are a few hundred characters."""

MIME_LINE_LENGTH = 76
"""Base64 characters per line, as Java's MIME encoders write them."""

_BLOCK = AES.block_size
_KEY_SIZES = (16, 24, 32)
_MAX_URL_DECODES = 2
"""Raw, URL-encoded once (the normal case) or twice (a proxy or framework re-encoding it)."""


class RedirectCipher:
    """Encrypts and decrypts Digisign redirect `msg` values with the partner's AES key.

    The key never appears in `repr`, `str` or any error message.

    Args:
        key: the partner's AES key; a `str` is encoded as UTF-8.

    Raises:
        CipherKeyError: the key is not 16, 24 or 32 bytes.
    """

    __slots__ = ("_key",)

    def __init__(self, key: str | bytes) -> None:
        if isinstance(key, str):
            key = key.encode("utf-8")
        if not isinstance(key, bytes):
            raise TypeError(f"AES key must be str or bytes, not {type(key).__name__}")
        if len(key) not in _KEY_SIZES:
            raise CipherKeyError(f"AES key must be 16, 24 or 32 bytes, got {len(key)}")
        self._key = key

    def __repr__(self) -> str:
        return f"RedirectCipher(key=<{len(self._key)} bytes>)"

    def encrypt(self, plaintext: str | bytes) -> str:
        """Encrypt a redirect payload exactly as Digisign puts it in `?msg=`.

        Args:
            plaintext: the JSON text (encoded as UTF-8), or raw bytes used as they
                are (the sandbox uses this to send undecodable redirects on purpose).

        Returns:
            URL-encoded MIME base64 of the AES/ECB/PKCS5 ciphertext, ready to append
            after `msg=`.
        """
        data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
        pad = _BLOCK - len(data) % _BLOCK
        ciphertext = self._aes().encrypt(data + bytes([pad]) * pad)
        encoded = base64.b64encode(ciphertext).decode("ascii")
        lines = [
            encoded[i : i + MIME_LINE_LENGTH] for i in range(0, len(encoded), MIME_LINE_LENGTH)
        ]
        return quote("\n".join(lines), safe="")

    def decrypt(self, msg: str) -> str:
        """Decrypt a redirect's `msg` value to its plaintext.

        Args:
            msg: the value as received: raw base64 (with or without line breaks,
                `\\r\\n` or `\\n`, `+` possibly turned into spaces by a form
                decoder), URL-encoded once, or URL-encoded twice.

        Returns:
            The plaintext (normally JSON; see `digisign.redirects` to parse it).

        Raises:
            RedirectDecryptError: too long, empty, not base64, not whole AES blocks,
                bad PKCS5 padding or not UTF-8: tampered, truncated, or encrypted
                with another key.
        """
        if not isinstance(msg, str):
            raise RedirectDecryptError("redirect msg must be text")
        if len(msg) > MAX_MSG_CHARS:
            raise RedirectDecryptError(f"redirect msg longer than {MAX_MSG_CHARS} characters")
        ciphertext = _ciphertext(_normalise(msg))
        if ciphertext is None:
            raise RedirectDecryptError("redirect msg is not valid base64")
        if not ciphertext:
            raise RedirectDecryptError("redirect msg is empty")
        if len(ciphertext) % _BLOCK:
            raise RedirectDecryptError(
                "redirect msg is not a whole number of AES blocks (truncated or not Digisign's)"
            )
        data = _unpad(self._aes().decrypt(ciphertext))
        if data is None:
            raise RedirectDecryptError("redirect msg has bad padding (wrong key or tampered)")
        text = _utf8(data)
        if text is None:
            raise RedirectDecryptError("redirect msg is not UTF-8 text (wrong key or tampered)")
        return text

    def _aes(self) -> EcbMode:
        # A fresh cipher object per call: cheap, and nothing shared between threads.
        return AES.new(self._key, AES.MODE_ECB)


def _normalise(msg: str) -> str:
    """Undo what transport did to the value: URL-encoding, line breaks, `+` → space."""
    text = msg
    for _ in range(_MAX_URL_DECODES):
        # `%` is not a base64 character, so its presence means "still URL-encoded".
        if "%" not in text:
            break
        text = unquote(text)
    # Base64 has no spaces: any space was a `+` that met a form decoder (unquote_plus).
    return text.replace("\r", "").replace("\n", "").replace(" ", "+")


def _ciphertext(text: str) -> bytes | None:
    """Strict base64 decoding; None (never the exception, which may quote input) on failure."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _unpad(data: bytes) -> bytes | None:
    """Strict PKCS5 unpadding: the last byte n is 1..16 and the last n bytes all equal n.

    Lenient unpadding (trusting the last byte, or stripping control characters) is
    what the public integrations got wrong: it turns a wrong key into garbage JSON.
    """
    pad = data[-1]
    if not 1 <= pad <= _BLOCK or data[-pad:] != bytes([pad]) * pad:
        return None
    return data[:-pad]


def _utf8(data: bytes) -> str | None:
    """Strict UTF-8 decoding; None on failure so the error cannot carry plaintext bytes."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
