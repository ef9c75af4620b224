"""What the store hands out: frozen snapshots of rows, never live objects."""

from __future__ import annotations

import enum
import sqlite3
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

Row = TypeVar("Row")


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


def from_row(cls: type[Row], row: sqlite3.Row, **given: Any) -> Row:
    """Read a row into a dataclass whose fields are named like the row's columns.

    Args:
        cls: a frozen dataclass of this module (or `sandbox.store.LedgerEntry`).
        row: the row; SQLite's 0 and 1 become False and True for ``bool`` fields.
        **given: fields that are not plain columns (a ``box`` of four, child rows).

    Returns:
        The snapshot.
    """
    values = dict(given)
    for column in fields(cls):  # type: ignore[arg-type]
        if column.name not in values:
            value = row[column.name]
            values[column.name] = bool(value) if column.type in ("bool", bool) else value
    return cls(**values)
