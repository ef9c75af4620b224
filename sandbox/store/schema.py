"""The sandbox's SQLite schema, created (if absent) every time the store opens.

Times are Unix seconds on the sandbox clock (REAL). E-mail columns compare
without case, as Digisign does. Session tokens are stored as SHA-256 digests:
the links are bearer credentials, and the state file need not hold them.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS balances (
    partner TEXT NOT NULL,
    kind    TEXT NOT NULL,
    amount  INTEGER NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (partner, kind)
);

CREATE TABLE IF NOT EXISTS ledger (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        REAL NOT NULL,
    partner   TEXT NOT NULL,
    kind      TEXT NOT NULL,
    amount    INTEGER NOT NULL,
    reference TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_partner ON ledger (partner, kind);

CREATE TABLE IF NOT EXISTS users (
    kode_user             TEXT PRIMARY KEY,
    email                 TEXT NOT NULL UNIQUE COLLATE NOCASE,
    nik                   TEXT NOT NULL UNIQUE,
    phone                 TEXT NOT NULL,
    phone_key             TEXT NOT NULL,
    name                  TEXT NOT NULL,
    birth_date            TEXT NOT NULL,
    partner               TEXT NOT NULL,
    redirect              INTEGER NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('pre_registered', 'active')),
    registered_at         REAL NOT NULL,
    activation_expires_at REAL NOT NULL,
    activated_at          REAL,
    cert_expires_at       REAL,
    cert_revoked          INTEGER NOT NULL DEFAULT 0,
    blocked               INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS users_phone ON users (phone_key);

CREATE TABLE IF NOT EXISTS failed_checks (
    partner TEXT NOT NULL,
    nik     TEXT NOT NULL,
    email   TEXT NOT NULL COLLATE NOCASE,
    count   INTEGER NOT NULL,
    PRIMARY KEY (partner, nik, email)
);

CREATE TABLE IF NOT EXISTS identity_failures (
    nik   TEXT PRIMARY KEY,
    check_name TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS documents (
    document_id     TEXT PRIMARY KEY,
    partner         TEXT NOT NULL,
    pdf             BLOB NOT NULL,
    uploaded_sha256 TEXT NOT NULL,
    pages           INTEGER NOT NULL,
    payment         TEXT NOT NULL,
    sequence_option INTEGER NOT NULL,
    meterai_count   INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('waiting', 'complete', 'rejected')),
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS signers (
    document_id TEXT NOT NULL REFERENCES documents (document_id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    email       TEXT NOT NULL COLLATE NOCASE,
    name        TEXT NOT NULL,
    user_type   TEXT NOT NULL,
    page        INTEGER NOT NULL,
    llx         REAL NOT NULL,
    lly         REAL NOT NULL,
    urx         REAL NOT NULL,
    ury         REAL NOT NULL,
    visible     INTEGER NOT NULL,
    signing_seq INTEGER,
    status      TEXT NOT NULL CHECK (status IN ('waiting', 'signed', 'rejected')),
    acted_at    REAL,
    PRIMARY KEY (document_id, position)
);

CREATE TABLE IF NOT EXISTS viewers (
    document_id TEXT NOT NULL REFERENCES documents (document_id) ON DELETE CASCADE,
    email       TEXT NOT NULL COLLATE NOCASE,
    name        TEXT NOT NULL,
    PRIMARY KEY (document_id, email)
);

CREATE TABLE IF NOT EXISTS sessions (
    token_hash  TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('activation', 'sign', 'view')),
    partner     TEXT NOT NULL,
    kode_user   TEXT,
    document_id TEXT,
    email       TEXT COLLATE NOCASE,
    created_at  REAL NOT NULL,
    expires_at  REAL NOT NULL,
    used_at     REAL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (kode_user);
CREATE INDEX IF NOT EXISTS sessions_document ON sessions (document_id, email);

CREATE TABLE IF NOT EXISTS outbox (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        REAL NOT NULL,
    recipient TEXT NOT NULL,
    kind      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    body      TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS redirect_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      REAL NOT NULL,
    partner TEXT NOT NULL,
    kind    TEXT NOT NULL,
    target  TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('browser', 'server')),
    outcome TEXT NOT NULL
);
"""
