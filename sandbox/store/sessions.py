"""Single-use links: activation, signing and viewing sessions.

Only a SHA-256 digest of each token is stored. Using a session is one
conditional UPDATE, so two concurrent submissions of the same page cannot both
win.
"""

from __future__ import annotations

import hashlib
import sqlite3

from sandbox.store.rows import Session, from_row


def token_hash(token: str) -> str:
    """The stored form of a link token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SessionQueries:
    """Link sessions on one connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def create(
        self,
        token: str,
        *,
        kind: str,
        partner: str,
        now: float,
        ttl_s: float,
        kode_user: str | None = None,
        document_id: str | None = None,
        email: str | None = None,
    ) -> None:
        """Store a new link session valid for ``ttl_s`` seconds from ``now``."""
        self._conn.execute(
            "INSERT INTO sessions (token_hash, kind, partner, kode_user, document_id, email,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (token_hash(token), kind, partner, kode_user, document_id, email, now, now + ttl_s),
        )

    def get(self, token: str, kind: str) -> Session | None:
        """The session of ``token`` if it is of ``kind``."""
        row = self._conn.execute(
            "SELECT * FROM sessions WHERE token_hash = ? AND kind = ?", (token_hash(token), kind)
        ).fetchone()
        return from_row(Session, row) if row else None

    def use(self, token: str, *, now: float) -> bool:
        """Mark the session used; False if it was already used (someone else won)."""
        cursor = self._conn.execute(
            "UPDATE sessions SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
            (now, token_hash(token)),
        )
        return cursor.rowcount == 1

    def close_for_user(self, kode_user: str, *, now: float) -> None:
        """Use up every open activation link of a user (after activation)."""
        self._conn.execute(
            "UPDATE sessions SET used_at = ? WHERE kode_user = ? AND kind = 'activation'"
            " AND used_at IS NULL",
            (now, kode_user),
        )

    def close_for_signer(self, document_id: str, email: str | None, *, now: float) -> None:
        """Use up open sign links of one signer, or of every signer when ``email`` is None."""
        if email is None:
            self._conn.execute(
                "UPDATE sessions SET used_at = ? WHERE document_id = ? AND kind = 'sign'"
                " AND used_at IS NULL",
                (now, document_id),
            )
            return
        self._conn.execute(
            "UPDATE sessions SET used_at = ? WHERE document_id = ? AND email = ?"
            " AND kind = 'sign' AND used_at IS NULL",
            (now, document_id, email),
        )
