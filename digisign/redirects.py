"""The decrypted redirect payloads: activation and signing.

What Digisign really sends (the 3.0.4 document's examples, the ciphertexts behind
them, and `shared/digisign-behaviour.md`):

- activation: `{"result":"00","notif":"Proses Aktivasi Berhasil","email_user":...,
  "nik":...}`, sometimes with `verifikasi` (a bool, or an object such as
  `{"nama":true,"tanggal_lahir":true,"selfie":true}`). It carries the NIK.
- signing: `{"document_id":...,"status":"0","status_document":"complete",
  "result":"00","notif":"Proses tanda tangan berhasil!","email_user":...}`;
  `status_document` is `complete` or `waiting` (the document says `completed`),
  `notif` may be "Sukses". A *rejection* also arrives as `result 00`, told apart
  only by its notif ("Proses Penolakan Dokumen berhasil!").
- keys in any order, with or without the `{"JSONFile": {...}}` wrapper the API
  answers use, and sometimes keys we do not know (kept in `model_extra`).

Parsing is strict about what decisions rest on and raises `RedirectPayloadError`
for anything else. Error messages name the field and the problem, never a value:
the payload holds an e-mail address and a NIK. The models keep those fields out
of `repr` too.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from digisign.cipher import MAX_MSG_CHARS, RedirectCipher
from digisign.errors import RedirectPayloadError
from digisign.fields import DocumentId, Email, Nik

MAX_PLAINTEXT_CHARS = MAX_MSG_CHARS
"""A plaintext can never be longer than the `msg` that carried it."""

REJECTION_MARKER = "penolakan"
"""Word in the notif of a refusal ("Proses Penolakan Dokumen berhasil!"), lower-cased."""


class DocumentStatus(enum.StrEnum):
    """Where the document stands after a signer's redirect."""

    COMPLETE = "complete"
    """Every signer has signed."""

    WAITING = "waiting"
    """At least one signer has not signed yet."""

    REJECTED = "rejected"
    """A signer refused. Digisign's rejection redirect is not documented beyond its
    notif; should it carry a status of its own, the rejection must still arrive."""


_REJECTED_STATUSES = frozenset({"rejected", "reject", "ditolak", "tolak", "declined"})


def _document_status(value: object) -> object:
    # Digisign sends "complete"; its document says "completed". Case varies.
    if isinstance(value, str):
        folded = value.strip().lower()
        if folded == "completed":
            return DocumentStatus.COMPLETE
        if folded in (DocumentStatus.COMPLETE, DocumentStatus.WAITING):
            return DocumentStatus(folded)
        if folded in _REJECTED_STATUSES:
            return DocumentStatus.REJECTED
        raise ValueError("must be complete, completed, waiting or a rejection")
    return value


class _Redirect(BaseModel):
    """Shared configuration: immutable, unknown keys kept, inputs never echoed in errors."""

    model_config = ConfigDict(frozen=True, extra="allow", hide_input_in_errors=True)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # Extra keys are unknown, so their values may be personal data: show names only.
        for name, value in super().__repr_args__():
            if name is None or name in type(self).model_fields:
                yield name, value
        if self.model_extra:
            yield "extra_keys", sorted(self.model_extra)


class ActivationRedirect(_Redirect):
    """The payload of the redirect after a signer activated their Digisign account.

    Attributes:
        result: Digisign's result code, `"00"` on success.
        notif: Digisign's notification text.
        email_user: the e-mail of the account that was activated (not in repr).
        nik: the signer's NIK (not in repr).
        verifikasi: the civil-registry check results, when sent: a bool or an
            object of per-check bools.
    """

    result: str
    notif: str
    email_user: Email = Field(repr=False)
    nik: Nik = Field(repr=False)
    verifikasi: bool | dict[str, Any] | None = None

    @property
    def succeeded(self) -> bool:
        """Whether Digisign reports the activation as done (`result == "00"`)."""
        return self.result == "00"


class SignRedirect(_Redirect):
    """The payload of the redirect after a signer acted on a document.

    Attributes:
        document_id: our document id.
        email_user: the signer's e-mail (not in repr).
        result: Digisign's result code, `"00"` on success.
        notif: Digisign's notification text; the only sign of a rejection.
        status: Digisign's undocumented `status` (`"0"` when seen), if sent.
        status_document: whether every signer has signed.
    """

    document_id: DocumentId
    email_user: Email = Field(repr=False)
    result: str
    notif: str
    status: str | None = None
    status_document: Annotated[DocumentStatus, BeforeValidator(_document_status)]

    @property
    def rejected(self) -> bool:
        """Whether the signer refused to sign: `result 00` with a "Penolakan" notif."""
        return self.result == "00" and REJECTION_MARKER in self.notif.lower()

    @property
    def signed(self) -> bool:
        """Whether the signer signed: `result 00` and not a rejection."""
        return self.result == "00" and not self.rejected


_M = TypeVar("_M", bound=_Redirect)


def parse_activation_redirect(plaintext: str) -> ActivationRedirect:
    """Parse a decrypted activation redirect.

    Args:
        plaintext: the JSON text, wrapped in `JSONFile` or not.

    Returns:
        The validated payload.

    Raises:
        RedirectPayloadError: not JSON, not an object, or a field missing or
            invalid (the message names the field, never its value).
    """
    return _parse(ActivationRedirect, plaintext, "activation redirect")


def parse_sign_redirect(plaintext: str) -> SignRedirect:
    """Parse a decrypted sign redirect.

    Args:
        plaintext: the JSON text, wrapped in `JSONFile` or not.

    Returns:
        The validated payload; check `rejected` before treating it as a signature.

    Raises:
        RedirectPayloadError: not JSON, not an object, or a field missing or
            invalid (the message names the field, never its value).
    """
    return _parse(SignRedirect, plaintext, "sign redirect")


def decode_activation_redirect(cipher: RedirectCipher, msg: str) -> ActivationRedirect:
    """Decrypt and parse the `msg` of an activation redirect.

    Args:
        cipher: the partner's redirect cipher.
        msg: the `msg` query value, as received.

    Returns:
        The validated payload.

    Raises:
        RedirectDecryptError: `msg` does not decrypt.
        RedirectPayloadError: it decrypts, but not to an activation payload.
    """
    return parse_activation_redirect(cipher.decrypt(msg))


def decode_sign_redirect(cipher: RedirectCipher, msg: str) -> SignRedirect:
    """Decrypt and parse the `msg` of a sign redirect.

    Args:
        cipher: the partner's redirect cipher.
        msg: the `msg` query value, as received.

    Returns:
        The validated payload; check `rejected` before treating it as a signature.

    Raises:
        RedirectDecryptError: `msg` does not decrypt.
        RedirectPayloadError: it decrypts, but not to a sign payload.
    """
    return parse_sign_redirect(cipher.decrypt(msg))


def _parse(model: type[_M], plaintext: str, what: str) -> _M:
    # Errors are raised outside the `except` blocks on purpose: json's and pydantic's
    # exceptions hold the plaintext, and a chained __context__ would carry it into logs.
    if not isinstance(plaintext, str):
        raise RedirectPayloadError(f"{what}: plaintext must be text")
    if len(plaintext) > MAX_PLAINTEXT_CHARS:
        raise RedirectPayloadError(f"{what}: plaintext longer than {MAX_PLAINTEXT_CHARS}")
    obj = _unwrap(_load_json(plaintext))
    if obj is _NOT_JSON:
        raise RedirectPayloadError(f"{what}: plaintext is not JSON")
    if not isinstance(obj, dict):
        raise RedirectPayloadError(f"{what}: not a JSON object")
    problems: list[str] | None = None
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        problems = _describe(exc)
    raise RedirectPayloadError(f"{what}: " + "; ".join(problems))


_NOT_JSON = object()
"""What `_load_json` returns for text that is not JSON (`None` is valid JSON)."""


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON


def _unwrap(obj: Any) -> Any:
    """The object inside `{"JSONFile": ...}` (an object or a JSON string), else `obj`."""
    if isinstance(obj, dict) and "JSONFile" in obj:
        inner = obj["JSONFile"]
        if isinstance(inner, str):
            inner = _load_json(inner)
        return inner
    return obj


def _describe(exc: ValidationError) -> list[str]:
    """One line per problem: field and pydantic's message, never the input."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        field = ".".join(str(part) for part in error["loc"]) or "payload"
        if error["type"] == "missing":
            problems.append(f"missing field {field!r}")
        else:
            problems.append(f"invalid field {field!r}: {error['msg']}")
    return problems
