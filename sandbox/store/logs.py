"""What the sandbox did outside its answers: e-mails "sent" and redirects delivered.

Neither log holds a redirect's ``msg`` or its plaintext (it carries the NIK):
redirect targets are recorded without their query string.
"""

from __future__ import annotations

import sqlite3
from typing import Any


class LogQueries:
    """The outbox and the redirect log on one connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def send_mail(self, *, recipient: str, kind: str, subject: str, body: str, now: float) -> None:
        """Record an e-mail Digisign would have sent."""
        self._conn.execute(
            "INSERT INTO outbox (at, recipient, kind, subject, body) VALUES (?, ?, ?, ?, ?)",
            (now, recipient, kind, subject, body),
        )

    def outbox(self) -> list[dict[str, Any]]:
        """Every e-mail, oldest first."""
        rows = self._conn.execute("SELECT * FROM outbox ORDER BY id")
        return [dict(row) for row in rows]

    def record_redirect(
        self, *, partner: str, kind: str, target: str, channel: str, outcome: str, now: float
    ) -> None:
        """Record one redirect delivery (browser or server side) and how it went."""
        self._conn.execute(
            "INSERT INTO redirect_log (at, partner, kind, target, channel, outcome)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (now, partner, kind, target, channel, outcome),
        )

    def redirects(self) -> list[dict[str, Any]]:
        """Every redirect delivery, oldest first."""
        rows = self._conn.execute("SELECT * FROM redirect_log ORDER BY id")
        return [dict(row) for row in rows]
