"""Partner balances and the ledger of what each partner was charged.

A charge is all or nothing: `charge` takes ``count`` units from the balance and
writes one ledger entry per unit, or changes nothing when the balance is short.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from sandbox.config import BalanceKind
from sandbox.store.rows import from_row


@dataclass(frozen=True)
class LedgerEntry:
    """One unit a partner was charged."""

    id: int
    at: float
    partner: str
    kind: str
    amount: int
    reference: str


class AccountQueries:
    """Balances and the ledger on one connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def seed(self, partner: str, balances: Mapping[BalanceKind, int]) -> None:
        """Give a partner its configured balances, unless the state already has them.

        The state file wins over the configuration after a restart: what was spent
        stays spent.
        """
        self._conn.executemany(
            "INSERT OR IGNORE INTO balances (partner, kind, amount) VALUES (?, ?, ?)",
            [(partner, kind.value, amount) for kind, amount in balances.items()],
        )

    def balances(self, partner: str) -> dict[str, int]:
        """What is left of each balance."""
        rows = self._conn.execute(
            "SELECT kind, amount FROM balances WHERE partner = ? ORDER BY kind", (partner,)
        )
        return {row["kind"]: row["amount"] for row in rows}

    def balance(self, partner: str, kind: BalanceKind) -> int:
        """What is left of one balance."""
        row = self._conn.execute(
            "SELECT amount FROM balances WHERE partner = ? AND kind = ?", (partner, kind.value)
        ).fetchone()
        return int(row["amount"]) if row else 0

    def set_balance(self, partner: str, kind: BalanceKind, amount: int) -> None:
        """Set a balance (the admin API)."""
        self._conn.execute(
            "INSERT INTO balances (partner, kind, amount) VALUES (?, ?, ?)"
            " ON CONFLICT (partner, kind) DO UPDATE SET amount = excluded.amount",
            (partner, kind.value, amount),
        )

    def charge(
        self, partner: str, kind: BalanceKind, *, count: int, reference: str, now: float
    ) -> bool:
        """Take ``count`` units from a balance and record them; False (and no change) if short."""
        if count <= 0:
            return True
        cursor = self._conn.execute(
            "UPDATE balances SET amount = amount - ?"
            " WHERE partner = ? AND kind = ? AND amount >= ?",
            (count, partner, kind.value, count),
        )
        if cursor.rowcount != 1:
            return False
        self._conn.executemany(
            "INSERT INTO ledger (at, partner, kind, amount, reference) VALUES (?, ?, ?, 1, ?)",
            [(now, partner, kind.value, reference)] * count,
        )
        return True

    def ledger(self, partner: str | None = None) -> list[LedgerEntry]:
        """Every ledger entry, oldest first, optionally of one partner."""
        if partner is None:
            rows = self._conn.execute("SELECT * FROM ledger ORDER BY id")
        else:
            rows = self._conn.execute(
                "SELECT * FROM ledger WHERE partner = ? ORDER BY id", (partner,)
            )
        return [from_row(LedgerEntry, row) for row in rows]
