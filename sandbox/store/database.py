"""The SQLite store: one connection, one lock, explicit transactions.

SQLite serialises writers anyway; one connection behind a lock keeps ``:memory:``
databases (which exist per connection) and files alike, and makes every
check-then-act sequence of a handler atomic::

    with store.transaction() as tx:
        user = tx.users.by_email(email)
        if user is None:
            tx.users.insert(...)

A file database runs in WAL mode, so an operator can read it with ``sqlite3``
while the sandbox runs. Every statement is parameterised.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from sandbox.store.accounts import AccountQueries
from sandbox.store.documents import DocumentQueries
from sandbox.store.logs import LogQueries
from sandbox.store.schema import SCHEMA, SCHEMA_VERSION
from sandbox.store.sessions import SessionQueries
from sandbox.store.users import UserQueries

MEMORY = ":memory:"


class Tx:
    """The queries available inside one transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.users = UserQueries(conn)
        self.documents = DocumentQueries(conn)
        self.sessions = SessionQueries(conn)
        self.accounts = AccountQueries(conn)
        self.logs = LogQueries(conn)

    def next_number(self, counter: str) -> int:
        """The next value (from 1) of a persistent counter."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (counter,)).fetchone()
        value = int(row["value"]) + 1 if row is not None else 1
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (counter, str(value)),
        )
        return value


class Store:
    """The sandbox's state.

    Args:
        path: a file (created with its parent directories) or ``":memory:"``.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        if path != MEMORY:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # One connection used from the event loop and worker threads, always under the lock.
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0
        self._conn.execute("PRAGMA foreign_keys = ON")
        if path != MEMORY:
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        with self.transaction() as tx:
            _create_schema(tx.conn)
            tx.conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Run the block in one transaction (nested blocks join the outer one).

        Commits when the block ends normally, rolls back when it raises.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield Tx(self._conn)
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield Tx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def close(self) -> None:
        """Close the connection; the store is unusable afterwards."""
        with self._lock:
            self._conn.close()


def _create_schema(conn: sqlite3.Connection) -> None:
    # executescript() would COMMIT the open transaction; run the statements one by one.
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
