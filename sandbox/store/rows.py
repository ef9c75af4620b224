"""What the store hands out: frozen snapshots of rows, never live objects."""

from __future__ import annotations

import enum
import sqlite3
from dataclasses import dataclass, field


class CertificateState(enum.StrEnum):
    """Where a user's electronic certificate stands."""

    NONE = "none"
    """Not activated yet: no certificate issued."""
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class User:
    """A Digisign account. Personal data stays out of ``repr``."""

    kode_user: str
    email: str = field(repr=False)
    nik: str = field(repr=False)
    phone: str = field(repr=False)
    name: str = field(repr=False)
    birth_date: str = field(repr=False)
    partner: str
    redirect: bool
    status: str
    registered_at: float
    activation_expires_at: float
    activated_at: float | None
    cert_expires_at: float | None
    cert_revoked: bool
    blocked: bool

    @property
    def active(self) -> bool:
        """Whether the account has been activated."""
        return self.status == "active"

    def certificate(self, now: float) -> CertificateState:
        """The certificate's state at ``now``."""
        if not self.active or self.cert_expires_at is None:
            return CertificateState.NONE
        if self.cert_revoked:
            return CertificateState.REVOKED
        if self.cert_expires_at <= now:
            return CertificateState.EXPIRED
        return CertificateState.VALID

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> User:
        """Read a ``users`` row."""
        return cls(
            kode_user=row["kode_user"],
            email=row["email"],
            nik=row["nik"],
            phone=row["phone"],
            name=row["name"],
            birth_date=row["birth_date"],
            partner=row["partner"],
            redirect=bool(row["redirect"]),
            status=row["status"],
            registered_at=row["registered_at"],
            activation_expires_at=row["activation_expires_at"],
            activated_at=row["activated_at"],
            cert_expires_at=row["cert_expires_at"],
            cert_revoked=bool(row["cert_revoked"]),
            blocked=bool(row["blocked"]),
        )


@dataclass(frozen=True)
class Signer:
    """One ``req-sign`` entry of a document: a box and who signs it."""

    position: int
    email: str = field(repr=False)
    name: str = field(repr=False)
    user_type: str
    page: int
    box: tuple[float, float, float, float]
    visible: bool
    signing_seq: int | None
    status: str
    acted_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Signer:
        """Read a ``signers`` row."""
        return cls(
            position=row["position"],
            email=row["email"],
            name=row["name"],
            user_type=row["user_type"],
            page=row["page"],
            box=(row["llx"], row["lly"], row["urx"], row["ury"]),
            visible=bool(row["visible"]),
            signing_seq=row["signing_seq"],
            status=row["status"],
            acted_at=row["acted_at"],
        )


@dataclass(frozen=True)
class Viewer:
    """A ``send-to`` entry: may view the document, does not sign."""

    email: str = field(repr=False)
    name: str = field(repr=False)


@dataclass(frozen=True)
class Document:
    """A sent document, without its PDF bytes (read those with ``DocumentQueries.pdf``)."""

    document_id: str
    partner: str
    uploaded_sha256: str
    pages: int
    payment: str
    sequence_option: bool
    meterai_count: int
    status: str
    created_at: float
    updated_at: float
    signers: tuple[Signer, ...]
    viewers: tuple[Viewer, ...]

    def boxes_of(self, email: str) -> tuple[Signer, ...]:
        """The signer entries (boxes) of one e-mail, compared without case."""
        folded = email.casefold()
        return tuple(s for s in self.signers if s.email.casefold() == folded)

    def is_viewer(self, email: str) -> bool:
        """Whether ``email`` is in ``send-to`` or ``req-sign``."""
        folded = email.casefold()
        return bool(self.boxes_of(email)) or any(v.email.casefold() == folded for v in self.viewers)

    def waiting_for_earlier(self, email: str) -> bool:
        """Whether, in a sequential document, someone earlier than ``email`` has not signed.

        A signer's place is the lowest ``signing_seq`` of their boxes; everyone with a
        lower place must have signed all their boxes first. Equal places sign in any
        order.
        """
        if not self.sequence_option:
            return False
        mine = [s.signing_seq for s in self.boxes_of(email) if s.signing_seq is not None]
        if not mine:
            return False
        place = min(mine)
        return any(
            s.signing_seq is not None and s.signing_seq < place and s.status != "signed"
            for s in self.signers
            if s.email.casefold() != email.casefold()
        )


@dataclass(frozen=True)
class Session:
    """A single-use link: activation, signing or viewing."""

    kind: str
    partner: str
    kode_user: str | None
    document_id: str | None
    email: str | None = field(repr=False)
    created_at: float
    expires_at: float
    used_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Session:
        """Read a ``sessions`` row."""
        return cls(
            kind=row["kind"],
            partner=row["partner"],
            kode_user=row["kode_user"],
            document_id=row["document_id"],
            email=row["email"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            used_at=row["used_at"],
        )
