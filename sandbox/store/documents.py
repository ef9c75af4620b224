"""Queries on documents, their signers and viewers, and their PDF bytes."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from sandbox.store.rows import Document, Signer, Viewer, from_row


@dataclass(frozen=True)
class NewSigner:
    """A ``req-sign`` entry as stored at send time."""

    email: str
    name: str
    user_type: str
    page: int
    box: tuple[float, float, float, float]
    visible: bool
    signing_seq: int | None


@dataclass(frozen=True)
class NewDocument:
    """What send-document stores."""

    document_id: str
    partner: str
    pdf: bytes
    uploaded_sha256: str
    pages: int
    payment: str
    sequence_option: bool
    meterai_count: int
    signers: Sequence[NewSigner]
    viewers: Sequence[Viewer]


class DocumentQueries:
    """Documents on one connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def get(self, document_id: str) -> Document | None:
        """The document with this id, with its signers and viewers."""
        row = self._conn.execute(
            "SELECT document_id, partner, uploaded_sha256, pages, payment, sequence_option,"
            " meterai_count, status, created_at, updated_at FROM documents"
            " WHERE document_id = ?",
            (document_id,),
        ).fetchone()
        if row is None:
            return None
        signers = self._conn.execute(
            "SELECT * FROM signers WHERE document_id = ? ORDER BY position", (document_id,)
        )
        viewers = self._conn.execute(
            "SELECT email, name FROM viewers WHERE document_id = ? ORDER BY email",
            (document_id,),
        )
        return from_row(
            Document,
            row,
            signers=tuple(
                from_row(Signer, s, box=(s["llx"], s["lly"], s["urx"], s["ury"])) for s in signers
            ),
            viewers=tuple(from_row(Viewer, v) for v in viewers),
        )

    def ids(self) -> list[str]:
        """Every document id, oldest first."""
        rows = self._conn.execute("SELECT document_id FROM documents ORDER BY created_at")
        return [row["document_id"] for row in rows]

    def pdf(self, document_id: str) -> bytes | None:
        """The document's current PDF bytes (stamped with the signatures made so far)."""
        row = self._conn.execute(
            "SELECT pdf FROM documents WHERE document_id = ?", (document_id,)
        ).fetchone()
        return bytes(row["pdf"]) if row else None

    def delete(self, document_id: str) -> None:
        """Remove a document with its signers, viewers and links (replacement)."""
        self._conn.execute("DELETE FROM sessions WHERE document_id = ?", (document_id,))
        self._conn.execute("DELETE FROM signers WHERE document_id = ?", (document_id,))
        self._conn.execute("DELETE FROM viewers WHERE document_id = ?", (document_id,))
        self._conn.execute("DELETE FROM documents WHERE document_id = ?", (document_id,))

    def insert(self, document: NewDocument, *, now: float) -> None:
        """Store a newly sent document, waiting for its signers."""
        self._conn.execute(
            "INSERT INTO documents (document_id, partner, pdf, uploaded_sha256, pages, payment,"
            " sequence_option, meterai_count, status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?)",
            (
                document.document_id,
                document.partner,
                document.pdf,
                document.uploaded_sha256,
                document.pages,
                document.payment,
                int(document.sequence_option),
                document.meterai_count,
                now,
                now,
            ),
        )
        self._conn.executemany(
            "INSERT INTO signers (document_id, position, email, name, user_type, page,"
            " llx, lly, urx, ury, visible, signing_seq, status)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting')",
            [
                (
                    document.document_id,
                    position,
                    s.email,
                    s.name,
                    s.user_type,
                    s.page,
                    *s.box,
                    int(s.visible),
                    s.signing_seq,
                )
                for position, s in enumerate(document.signers)
            ],
        )
        self._conn.executemany(
            "INSERT OR IGNORE INTO viewers (document_id, email, name) VALUES (?, ?, ?)",
            [(document.document_id, v.email, v.name) for v in document.viewers],
        )

    def record_action(
        self, document_id: str, email: str, *, action: str, pdf: bytes | None, now: float
    ) -> str:
        """Mark every box of ``email`` signed or rejected; return the document's new status.

        Args:
            document_id: the document.
            email: the signer.
            action: ``"signed"`` or ``"rejected"``.
            pdf: the newly stamped PDF, or None to keep the current one.
            now: when.

        Returns:
            ``"complete"`` (everyone signed), ``"rejected"`` or ``"waiting"``.
        """
        self._conn.execute(
            "UPDATE signers SET status = ?, acted_at = ? WHERE document_id = ? AND email = ?",
            (action, now, document_id, email),
        )
        if action == "rejected":
            status = "rejected"
        else:
            pending = self._conn.execute(
                "SELECT COUNT(*) AS n FROM signers WHERE document_id = ? AND status != 'signed'",
                (document_id,),
            ).fetchone()
            status = "waiting" if pending["n"] else "complete"
        if pdf is not None:
            self._conn.execute(
                "UPDATE documents SET pdf = ? WHERE document_id = ?", (pdf, document_id)
            )
        self._conn.execute(
            "UPDATE documents SET status = ?, updated_at = ? WHERE document_id = ?",
            (status, now, document_id),
        )
        return status


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()
