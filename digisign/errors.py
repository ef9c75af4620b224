"""Everything the `digisign` library raises.

One tree, so callers catch at the depth they care about::

    DigisignError                     root of everything this library raises
    ├── TransportError                no usable answer: connect/read timeout, dropped
    │                                 connection, HTTP 5xx (transient: the outcome is unknown)
    ├── UnexpectedResponse            an answer we cannot read: HTML error page, non-JSON,
    │   │                             no result code, a "PDF" that is not one (transient)
    │   └── HttpStatusError           a non-2xx status with no Digisign body (403/404 downloads)
    ├── ApiError                      Digisign answered with a result code other than 00
    │   ├── RetryLater                91  system timeout, "try again in 10 minutes"
    │   ├── AuthenticationFailed      55  wrong token, unknown userid, token of another partner
    │   ├── InvalidRequest            FE 28 30  the request broke a server rule
    │   │   └── OverlappingBoxes      03  signature / e-meterai boxes overlap
    │   ├── VerificationFailed        12  (register) identity check failed; `.checks` says which
    │   ├── AlreadyRegisteredElsewhere 14 (register) NIK under another e-mail, or the reverse
    │   ├── PhoneInUse                15  (register) phone number used by another user
    │   ├── CertificateInvalid        15  (send) a signer must re-register
    │   │   ├── CertificateExpired        certificate older than one year
    │   │   └── CertificateRevoked        certificate revoked (mass revocation)
    │   ├── TooManyAttempts           20  more than 3 failed identity checks for this NIK+e-mail
    │   ├── UserBlocked               78  the user is blocked at Digisign
    │   ├── NotFound                  05  `.reason` says what: document, user, not a signer,
    │   │                                 already signed, not yet their turn, file, ...
    │   ├── AlreadyActivated          14  (activation link) the account is already active
    │   ├── ContactChangeRejected     14 08 (change e-mail/phone) already active, value taken,
    │   │                                 old phone does not match
    │   ├── AccessDenied              12  (activation link, download) user/document of
    │   │                                 another partner
    │   ├── DocumentIdInUse           17  the document id was already sent
    │   ├── InsufficientBalance       60 61 (and 12 "Saldo ... habis") partner balance is empty
    │   ├── RedirectNotConfigured     08  (send) no redirect URL registered for the partner
    │   ├── GeneralError              06  Digisign's catch-all failure
    │   └── UnknownResult             any code not in the catalogue: kept, never swallowed
    └── RedirectError                 a browser redirect's `msg` we refuse
        ├── RedirectDecryptError          not base64, wrong length, bad padding: tampered
        │                                 or encrypted with another key
        └── RedirectPayloadError          decrypted, but not the JSON we expect

`CipherKeyError` (a `ValueError`) is a configuration mistake, not a runtime
outcome: the partner's AES key is not 16, 24 or 32 bytes.

Which result code becomes which class is decided in exactly one place, the table
in `digisign.catalogue`. Each `ApiError` carries `endpoint`, `result`, `notif`,
`info` and `ref_trx`; each error says whether it is *retry-later* (wait ten
minutes on a durable timer), *transient* (the network failed; the outcome is
unknown, so a cost-bearing call must be reconciled before repeating it) or
*permanent* (retrying changes nothing).

No error message or repr contains the token, a NIK, a phone number, a photo or a
PDF: messages are built from result codes, Digisign's notif texts (which carry no
personal data) and the endpoint.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from digisign.endpoints import Endpoint


class DigisignError(Exception):
    """Root of everything this library raises."""

    retry_later: ClassVar[bool] = False
    """Digisign asked us to come back in ten minutes (result 91)."""

    transient: ClassVar[bool] = False
    """The call may or may not have happened; trying again may succeed."""

    @property
    def permanent(self) -> bool:
        """Trying the same request again will fail the same way."""
        return not (self.retry_later or self.transient)


# --- no usable answer ---------------------------------------------------------------


class TransportError(DigisignError):
    """The request got no usable answer: timeout, refused or dropped connection, HTTP 5xx.

    For a cost-bearing call (register, send document) the outcome is unknown: the
    charge may have happened. Callers reconcile (register again: an already
    registered user answers 00 at no charge; send again: 17 or a replaced id means
    it was sent) rather than treating the retry as new work.
    """

    transient = True

    def __init__(self, endpoint: Endpoint, reason: str) -> None:
        self.endpoint = endpoint
        self.reason = reason
        super().__init__(f"{endpoint.name}: {reason}")


class UnexpectedResponse(DigisignError):
    """Digisign answered, but with something we cannot read as a result.

    An HTML error page from a proxy, plain text, JSON without a result code, or a
    download that is not a PDF. Treated as transient: such answers come from
    overloaded front ends and usually pass.
    """

    transient = True

    def __init__(self, endpoint: Endpoint, reason: str, *, status_code: int | None = None) -> None:
        self.endpoint = endpoint
        self.reason = reason
        self.status_code = status_code
        status = f" (HTTP {status_code})" if status_code is not None else ""
        super().__init__(f"{endpoint.name}: {reason}{status}")


class HttpStatusError(UnexpectedResponse):
    """A non-2xx HTTP status without a Digisign body: 403/404 on DWMITRA, 5xx pages.

    Download errors come this way (403: partner may not access the document, 404:
    document not found); those are permanent, 5xx are transient.
    """

    def __init__(self, endpoint: Endpoint, status_code: int) -> None:
        super().__init__(endpoint, "HTTP error status", status_code=status_code)

    @property
    def permanent(self) -> bool:
        """4xx statuses are answers; 5xx statuses are the server failing."""
        return self.status_code is not None and self.status_code < 500


# --- Digisign answered with a result code ---------------------------------------------


class ApiError(DigisignError):
    """Digisign answered with a result code other than `00`.

    Attributes:
        endpoint: which API answered.
        result: the two-character result code (`"91"`, `"FE"`, ...).
        notif: Digisign's notification text (Indonesian, carries no personal data).
        info: the additional information text, if any.
        ref_trx: Digisign's reference (`refTrx`), if any, for support tickets.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        result: str,
        notif: str = "",
        *,
        info: str | None = None,
        ref_trx: str | None = None,
        **details: object,
    ) -> None:
        self.endpoint = endpoint
        self.result = result
        self.notif = notif
        self.info = info
        self.ref_trx = ref_trx
        # Subclasses declare their details (checks, reason, ...) as class attributes
        # with defaults; only declared ones may be set.
        for name, value in details.items():
            if name.startswith("_") or not hasattr(type(self), name):
                raise TypeError(f"{type(self).__name__} has no detail {name!r}")
            setattr(self, name, value)
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [f"{self.endpoint.name}: result {self.result}"]
        if self.notif:
            parts.append(f"notif={self.notif!r}")
        if self.info and not self.info.startswith("http"):
            # info sometimes holds a link with an encrypted token; keep it out of messages.
            parts.append(f"info={self.info!r}")
        if self.ref_trx:
            parts.append(f"refTrx={self.ref_trx}")
        return " ".join(parts)


class RetryLater(ApiError):
    """`91`: "system timeout, silahkan coba kembali 10 menit kemudian".

    Wait ten minutes on a durable timer, then make the same call again. Also what
    the server answers when the Authorization header is missing (a null pointer
    on its side), so a 91 that never clears is worth checking the token for.
    """

    retry_later = True


class AuthenticationFailed(ApiError):
    """`55`: wrong token, unknown userid, or a token of another partner."""


class InvalidRequest(ApiError):
    """`FE`, `28`, `30`: the request broke one of the server's rules."""


class OverlappingBoxes(InvalidRequest):
    """`03`: signature or e-meterai boxes overlap on a page."""


class VerificationCheck(enum.Enum):
    """One identity check that Digisign runs at registration."""

    NIK = "nik"
    NAME = "name"
    BIRTHDATE = "birthdate"
    SELFIE = "selfie"
    FACE = "face"


class VerificationFailed(ApiError):
    """`12` at registration: the identity check failed.

    Attributes:
        checks: which checks failed (NIK not found, name, birth date, selfie, face).
    """

    checks: frozenset[VerificationCheck] = frozenset()

    def _message(self) -> str:
        failed = ",".join(sorted(c.value for c in self.checks)) or "unspecified"
        return f"{super()._message()} failed_checks={failed}"


class AlreadyRegisteredElsewhere(ApiError):
    """`14` at registration: the NIK is registered under another e-mail, or the reverse.

    Attributes:
        conflict: `"nik"` (NIK registered with another e-mail) or `"email"`
            (e-mail registered with another NIK).
        email_registered: for a NIK conflict, the e-mail Digisign has on file. It is
            personal data: it is never part of the message.
    """

    conflict: str = "email"
    email_registered: str | None = None


class PhoneInUse(ApiError):
    """`15` at registration: the phone number belongs to another Digisign user."""


class CertificateInvalid(ApiError):
    """`15` at send-document: a signer's certificate is no longer valid.

    The signer must be registered again (which re-checks identity and is charged),
    after which the document can be sent again.
    """


class CertificateExpired(CertificateInvalid):
    """The signer's certificate expired (they are valid for one year)."""


class CertificateRevoked(CertificateInvalid):
    """The signer's certificate was revoked (e.g. Digisign's mass revocation)."""


class TooManyAttempts(ApiError):
    """`20`: more than three failed identity checks for this partner, NIK and e-mail."""


class UserBlocked(ApiError):
    """`78`: the user is blocked at Digisign."""


class NotFoundReason(enum.Enum):
    """What a `05` answer says was not found; Digisign tells them apart only by notif."""

    DOCUMENT = "document"
    USER = "user"
    USER_NOT_ACTIVATED = "user_not_activated"
    NOT_A_SIGNER = "not_a_signer"
    ALREADY_SIGNED = "already_signed"
    NOT_YET_THEIR_TURN = "not_yet_their_turn"
    FILE = "file"
    EMAIL_NOT_REGISTERED = "email_not_registered"
    REQUEST_DATA = "request_data"
    UNKNOWN = "unknown"


class NotFound(ApiError):
    """`05`: something the request names does not exist, or is not in the right state.

    Attributes:
        reason: which of the `05` variants this is.
    """

    reason: NotFoundReason = NotFoundReason.UNKNOWN

    def _message(self) -> str:
        return f"{super()._message()} reason={self.reason.value}"


class AlreadyActivated(ApiError):
    """`14` at activation link: the account is already active; no link is needed."""


class ContactChangeRejected(ApiError):
    """`14` or `08` at change e-mail/phone.

    The user is already active (change it in Digisign's dashboard), the new e-mail
    or phone is taken, or the old phone number does not match.
    """


class AccessDenied(ApiError):
    """`12` outside registration: the user or the document belongs to another partner."""


class DocumentIdInUse(ApiError):
    """`17`: the document id was already used. On a retry of our own send, this means done."""


class InsufficientBalance(ApiError):
    """`60`/`61` (or `12` "Saldo ... habis"): the partner's balance is empty.

    Attributes:
        balance: which balance: `"document"`, `"signature"`, `"verification_text"`,
            `"verification_selfie"` or `"unknown"`.
    """

    balance: str = "unknown"


class RedirectNotConfigured(ApiError):
    """`08` at send-document: the partner has no redirect URL registered at Digisign."""


class GeneralError(ApiError):
    """`06`: Digisign's catch-all failure ("General Error")."""


class UnknownResult(ApiError):
    """A result code the catalogue does not know. Kept whole, never swallowed."""


# --- redirects ------------------------------------------------------------------------


class CipherKeyError(ValueError):
    """The partner's AES key is not 16, 24 or 32 bytes: a configuration mistake."""


class RedirectError(DigisignError):
    """A browser redirect's `msg` we refuse. Never includes the plaintext or the NIK."""


class RedirectDecryptError(RedirectError):
    """`msg` does not decrypt: not base64, wrong length, bad padding, wrong key, tampered."""


class RedirectPayloadError(RedirectError):
    """`msg` decrypts, but not to the JSON object the redirect must carry."""
