"""Queries on users, failed identity checks and configured identity failures."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from sandbox.store.rows import User, from_row


def phone_key(phone: str) -> str:
    """A phone number in one canonical form (``62...``), so 0812.., 62812.. and +62812.. match."""
    digits = phone.removeprefix("+")
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return digits


@dataclass(frozen=True)
class NewUser:
    """What registration stores about a new user."""

    kode_user: str
    email: str
    nik: str
    phone: str
    name: str
    birth_date: str
    partner: str
    redirect: bool
    registered_at: float
    activation_expires_at: float


class UserQueries:
    """Users and what is known about their identity checks, on one connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def by_email(self, email: str) -> User | None:
        """The user registered with ``email`` (any case)."""
        return self._one("SELECT * FROM users WHERE email = ?", (email,))

    def by_nik(self, nik: str) -> User | None:
        """The user registered with ``nik``."""
        return self._one("SELECT * FROM users WHERE nik = ?", (nik,))

    def by_kode(self, kode_user: str) -> User | None:
        """The user with Digisign reference ``kode_user``."""
        return self._one("SELECT * FROM users WHERE kode_user = ?", (kode_user,))

    def phone_owner(self, phone: str) -> User | None:
        """The user registered with this phone number, in any of its spellings."""
        return self._one("SELECT * FROM users WHERE phone_key = ?", (phone_key(phone),))

    def all(self) -> list[User]:
        """Every user, oldest first."""
        rows = self._conn.execute("SELECT * FROM users ORDER BY registered_at, kode_user")
        return [from_row(User, row) for row in rows]

    def insert(self, user: NewUser) -> None:
        """Store a newly pre-registered (not yet activated) user."""
        self._conn.execute(
            "INSERT INTO users (kode_user, email, nik, phone, phone_key, name, birth_date,"
            " partner, redirect, status, registered_at, activation_expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pre_registered', ?, ?)",
            (
                user.kode_user,
                user.email,
                user.nik,
                user.phone,
                phone_key(user.phone),
                user.name,
                user.birth_date,
                user.partner,
                int(user.redirect),
                user.registered_at,
                user.activation_expires_at,
            ),
        )

    def purge_lapsed_preregistrations(self, now: float) -> int:
        """Delete pre-registrations whose activation window closed; Digisign drops them too."""
        cursor = self._conn.execute(
            "DELETE FROM users WHERE status = 'pre_registered' AND activation_expires_at <= ?",
            (now,),
        )
        return cursor.rowcount

    def activate(self, kode_user: str, *, now: float, certificate_until: float) -> None:
        """Mark the user active and issue a certificate valid until ``certificate_until``."""
        self._conn.execute(
            "UPDATE users SET status = 'active', activated_at = ?, cert_expires_at = ?,"
            " cert_revoked = 0 WHERE kode_user = ?",
            (now, certificate_until, kode_user),
        )

    def set_certificate(self, kode_user: str, *, expires_at: float, revoked: bool) -> None:
        """Set the certificate's expiry and revocation (renewal, or the admin API)."""
        self._conn.execute(
            "UPDATE users SET cert_expires_at = ?, cert_revoked = ? WHERE kode_user = ?",
            (expires_at, int(revoked), kode_user),
        )

    def set_blocked(self, kode_user: str, blocked: bool) -> None:
        """Block or unblock a user."""
        self._conn.execute(
            "UPDATE users SET blocked = ? WHERE kode_user = ?", (int(blocked), kode_user)
        )

    def update_contact(self, kode_user: str, *, email: str, phone: str) -> None:
        """Replace a user's e-mail and phone."""
        self._conn.execute(
            "UPDATE users SET email = ?, phone = ?, phone_key = ? WHERE kode_user = ?",
            (email, phone, phone_key(phone), kode_user),
        )

    # --- failed identity checks (the `20` rule) ---------------------------------------

    def failed_checks(self, partner: str, nik: str, email: str) -> int:
        """How many identity checks failed for this partner, NIK and e-mail."""
        row = self._conn.execute(
            "SELECT count FROM failed_checks WHERE partner = ? AND nik = ? AND email = ?",
            (partner, nik, email),
        ).fetchone()
        return int(row["count"]) if row else 0

    def record_failed_check(self, partner: str, nik: str, email: str) -> None:
        """Count one more failed identity check for this partner, NIK and e-mail."""
        self._conn.execute(
            "INSERT INTO failed_checks (partner, nik, email, count) VALUES (?, ?, ?, 1)"
            " ON CONFLICT (partner, nik, email) DO UPDATE SET count = count + 1",
            (partner, nik, email),
        )

    # --- configured identity failures -------------------------------------------------

    def identity_failure(self, nik: str) -> str | None:
        """The check configured to fail for ``nik``, if any."""
        row = self._conn.execute(
            "SELECT check_name FROM identity_failures WHERE nik = ?", (nik,)
        ).fetchone()
        return str(row["check_name"]) if row else None

    def set_identity_failure(self, nik: str, check: str | None) -> None:
        """Make ``check`` fail for ``nik`` from now on; None clears it."""
        if check is None:
            self._conn.execute("DELETE FROM identity_failures WHERE nik = ?", (nik,))
            return
        self._conn.execute(
            "INSERT INTO identity_failures (nik, check_name) VALUES (?, ?)"
            " ON CONFLICT (nik) DO UPDATE SET check_name = excluded.check_name",
            (nik, check),
        )

    def identity_failures(self) -> dict[str, str]:
        """Every configured identity failure, NIK → check."""
        rows = self._conn.execute("SELECT nik, check_name FROM identity_failures ORDER BY nik")
        return {row["nik"]: row["check_name"] for row in rows}

    def _one(self, sql: str, params: tuple[object, ...]) -> User | None:
        row = self._conn.execute(sql, params).fetchone()
        return from_row(User, row) if row else None
