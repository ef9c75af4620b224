"""The result-code catalogue: what every Digisign result code means, in one place.

Digisign reuses codes across endpoints (`14` is a NIK conflict at registration, an
already-active account at activation and a taken e-mail at UPDATE-EP; `12` is a
failed identity check at registration and a foreign document at download), and
tells `05` variants apart only by their `notif` text. `CATALOGUE` lists every
(code, endpoint) pair with its meaning and the exception it becomes; `raise_for`
is the only function that turns an answer into an exception.

Sources: the "API Response Code" tables of the 3.0.4 document and the server
behaviour recorded in `shared/digisign-behaviour.md`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from digisign import errors as e
from digisign.endpoints import Endpoint
from digisign.envelope import Envelope

_ALL: frozenset[Endpoint] = frozenset(Endpoint)


@dataclass(frozen=True)
class ResultCode:
    """One row of the catalogue.

    Attributes:
        code: the result code.
        endpoints: where the code means this.
        error: the exception raised for it (None for success).
        meaning: what it means, in English.
    """

    code: str
    endpoints: frozenset[Endpoint]
    error: type[e.ApiError] | None
    meaning: str


def _row(
    code: str, error: type[e.ApiError] | None, meaning: str, *endpoints: Endpoint
) -> ResultCode:
    return ResultCode(code, frozenset(endpoints) or _ALL, error, meaning)


R, A, S, G = (
    Endpoint.REGISTER,
    Endpoint.ACTIVATION_LINK,
    Endpoint.SEND_DOCUMENT,
    Endpoint.SIGN_LINK,
)
D64, U = Endpoint.DOWNLOAD_BASE64, Endpoint.UPDATE_CONTACT

# First matching row wins: endpoint-specific rows come before the general ones.
CATALOGUE: tuple[ResultCode, ...] = (
    _row("00", None, "success"),
    _row("91", e.RetryLater, "system timeout: try again in 10 minutes (also: missing token)"),
    _row("55", e.AuthenticationFailed, "wrong token, unknown userid, or token of another partner"),
    _row("30", e.InvalidRequest, "request is not multipart/form-data"),
    _row("FE", e.InvalidRequest, "format error: e-mail, NIK, not a PDF, sequence, page"),
    _row("28", e.InvalidRequest, "incomplete or invalid field: phone, name, date, photos"),
    _row("03", e.OverlappingBoxes, "signature or e-meterai boxes overlap", S),
    _row("12", e.VerificationFailed, "identity check failed (see which checks)", R),
    _row("12", e.AccessDenied, "user or document belongs to another partner", A, D64),
    _row("14", e.AlreadyRegisteredElsewhere, "NIK or e-mail registered with another", R),
    _row("14", e.AlreadyActivated, "the account is already activated", A),
    _row("14", e.ContactChangeRejected, "already active, or new e-mail/phone taken", U),
    _row("15", e.PhoneInUse, "phone number used by another user", R),
    _row("15", e.CertificateInvalid, "a signer's certificate expired or was revoked", S),
    _row("20", e.TooManyAttempts, "more than 3 failed identity checks for this NIK+e-mail", R),
    _row("78", e.UserBlocked, "the user is blocked"),
    _row("05", e.NotFound, "not found: document, user, signer, file, request data"),
    _row("17", e.DocumentIdInUse, "document id already used", S),
    _row("60", e.InsufficientBalance, "partner balance is not enough"),
    _row("61", e.InsufficientBalance, "partner signature or document balance is not enough"),
    _row("08", e.RedirectNotConfigured, "partner has no redirect link registered", S),
    _row("08", e.ContactChangeRejected, "old phone number does not match", U),
    _row("06", e.GeneralError, "general error (e.g. e-mail not in the activation list)"),
)


def lookup(endpoint: Endpoint, code: str) -> ResultCode | None:
    """The catalogue row for `code` at `endpoint`, or None for an unknown code."""
    for row in CATALOGUE:
        if row.code == code and endpoint in row.endpoints:
            return row
    return None


def raise_for(endpoint: Endpoint, envelope: Envelope) -> None:
    """Raise the exception `envelope`'s result code means at `endpoint`; return on `00`.

    Raises:
        digisign.errors.ApiError: the subclass the catalogue names, with the details
            (failed checks, not-found reason, balance, conflict) read off the answer.
    """
    row = lookup(endpoint, envelope.result)
    if row is None:
        error: type[e.ApiError] = e.UnknownResult
    elif row.error is None:
        return
    else:
        error = row.error
    error, details = _refine(error, endpoint, envelope)
    raise error(
        endpoint,
        envelope.result,
        envelope.notif,
        info=envelope.info,
        ref_trx=envelope.ref_trx,
        **details,
    )


def _refine(
    error: type[e.ApiError], endpoint: Endpoint, env: Envelope
) -> tuple[type[e.ApiError], dict[str, Any]]:
    """Pick the exact subclass and its details from notif, info and data."""
    notif, info = env.notif.lower(), (env.info or "").lower()
    if error is e.VerificationFailed:
        data = env.fields.get("data")
        if isinstance(data, str) and "saldo" in data.lower():
            # "Saldo verifikasi text/selfie habis": a result 12 that is really a balance.
            kind = "verification_selfie" if "selfie" in data.lower() else "verification_text"
            return e.InsufficientBalance, {"balance": kind}
        return error, {"checks": failed_checks(env)}
    if error is e.AlreadyRegisteredElsewhere:
        conflict = "nik" if notif.startswith("nik") else "email"
        return error, {"conflict": conflict, "email_registered": env.text("email_registered")}
    if error is e.CertificateInvalid:
        revoked = "dicabut" in notif or "dicabut" in info or "revoked" in info
        return (e.CertificateRevoked if revoked else e.CertificateExpired), {}
    if error is e.NotFound:
        return error, {"reason": not_found_reason(env.notif)}
    if error is e.InsufficientBalance:
        balance = (
            "document"
            if "dokumen" in notif
            else "signature"
            if "tandatangan" in notif
            else "unknown"
        )
        return error, {"balance": balance}
    return error, {}


def failed_checks(env: Envelope) -> frozenset[e.VerificationCheck]:
    """Which identity checks a registration `12` (or `14`) reports as failed.

    `data` holds `nik`/`name`/`birthdate`/`selfie` flags (false = failed); the face
    and selfie checks show up only in `info` ("Verifikasi wajah gagal", "No face
    found on Selfie", "Size foto selfie maksimal 500KB", ...).
    """
    checks: set[e.VerificationCheck] = set()
    data = env.fields.get("data")
    if isinstance(data, dict):
        for key, check in (
            ("nik", e.VerificationCheck.NIK),
            ("name", e.VerificationCheck.NAME),
            ("birthdate", e.VerificationCheck.BIRTHDATE),
            ("selfie", e.VerificationCheck.SELFIE),
        ):
            if data.get(key) is False:
                checks.add(check)
    info = (env.info or "").lower()
    if "selfie" in info:
        checks.add(e.VerificationCheck.SELFIE)
    elif "wajah" in info or "face" in info or "cahaya" in info:
        checks.add(e.VerificationCheck.FACE)
    if not checks and "selfie" in env.notif.lower():
        checks.add(e.VerificationCheck.SELFIE)
    return frozenset(checks)


# `05` variants, told apart only by notif. Order matters: "user tidak masuk
# penandatanganan" must win over "user tidak ditemukan"-style shorter matches.
_NOT_FOUND_NOTIFS: tuple[tuple[str, e.NotFoundReason], ...] = (
    ("belum waktunya", e.NotFoundReason.NOT_YET_THEIR_TURN),
    ("telah menandatangani", e.NotFoundReason.ALREADY_SIGNED),
    ("tidak masuk penandatanganan", e.NotFoundReason.NOT_A_SIGNER),
    ("belum aktivasi", e.NotFoundReason.USER_NOT_ACTIVATED),
    ("belum melakukan aktivasi", e.NotFoundReason.USER_NOT_ACTIVATED),
    ("belum aktif", e.NotFoundReason.USER_NOT_ACTIVATED),
    ("email belum terdaftar", e.NotFoundReason.EMAIL_NOT_REGISTERED),
    ("dokumen tidak ditemukan", e.NotFoundReason.DOCUMENT),
    ("document tidak ditemukan", e.NotFoundReason.DOCUMENT),
    ("user tidak ditemukan", e.NotFoundReason.USER),
    ("file tidak ditemukan", e.NotFoundReason.FILE),
    ("tidak ditemukan", e.NotFoundReason.REQUEST_DATA),
    ("kosong", e.NotFoundReason.REQUEST_DATA),
)


def not_found_reason(notif: str) -> e.NotFoundReason:
    """Which `05` variant a notif text describes."""
    text = notif.lower()
    for needle, reason in _NOT_FOUND_NOTIFS:
        if needle in text:
            return reason
    return e.NotFoundReason.UNKNOWN
