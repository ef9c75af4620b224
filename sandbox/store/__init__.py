"""The sandbox's state in SQLite: users, documents, link sessions, balances, ledger, logs.

`Store` owns the connection; `Store.transaction()` yields a `Tx` whose query
objects (`users`, `documents`, `sessions`, `accounts`, `logs`) do the SQL.
"""

from __future__ import annotations

from sandbox.store.accounts import LedgerEntry
from sandbox.store.database import MEMORY, Store, Tx
from sandbox.store.documents import NewDocument, NewSigner, sha256
from sandbox.store.rows import CertificateState, Document, Session, Signer, User, Viewer
from sandbox.store.users import NewUser, phone_key

__all__ = [
    "MEMORY",
    "CertificateState",
    "Document",
    "LedgerEntry",
    "NewDocument",
    "NewSigner",
    "NewUser",
    "Session",
    "Signer",
    "Store",
    "Tx",
    "User",
    "Viewer",
    "phone_key",
    "sha256",
]
