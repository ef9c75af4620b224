"""What pressing "sign" or "reject" on a sign page does to the document.

Signing draws a stamp ("Ditandatangani secara elektronik oleh", the name on the
certificate, the time in WIB) into every visible box of the signer with
`sandbox.pdf.stamp_signature`, marks their boxes signed and, with payment 2,
charges one signature per box. Rejecting marks the document rejected and closes
every open sign link of it. A signer whose certificate expired or was revoked
gets the re-registration notice, an e-mail in the outbox, and no signature.

The document's lock is held throughout, so two signers of one document cannot
stamp the same PDF at once and lose a signature; the PDF is drawn outside the
database transaction, in a worker thread.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from sandbox import pdf
from sandbox.clock import format_stamp_time
from sandbox.config import BalanceKind
from sandbox.context import Sandbox
from sandbox.store import CertificateState, Session, Signer, Tx

logger = logging.getLogger("sandbox.signing")

STAMP_HEADING = "Ditandatangani secara elektronik oleh"
DEFAULT_STAMP_SIZE = (150.0, 50.0)
"""Width and height of the stamp drawn for a zero-size box (Digisign's example uses them)."""


class Outcome(enum.Enum):
    """How a sign-page submission ended."""

    SIGNED = "signed"
    REJECTED = "rejected"
    CERTIFICATE_INVALID = "certificate_invalid"
    BALANCE_EMPTY = "balance_empty"
    NOT_FOUND = "not_found"  # 404
    USED = "used"  # 401
    EXPIRED = "expired"  # 408
    NOT_YET = "not_yet"  # 406


@dataclass(frozen=True)
class Result:
    """The outcome and, on success, what the redirect reports."""

    outcome: Outcome
    document_id: str = ""
    email: str = ""
    status_document: str = "waiting"


def session_problem(session: Session | None, now: float) -> Outcome | None:
    """Why a link's session cannot be used: unknown, used or expired; None if usable."""
    if session is None:
        return Outcome.NOT_FOUND
    if session.used_at is not None:
        return Outcome.USED
    if session.expires_at <= now:
        return Outcome.EXPIRED
    return None


async def act(sandbox: Sandbox, token: str, *, reject: bool) -> Result:
    """Sign or reject the document of a sign link's session."""
    with sandbox.store.transaction() as tx:
        session = tx.sessions.get(token, "sign")
    problem = session_problem(session, sandbox.clock.timestamp())
    if problem is not None or session is None or session.document_id is None:
        return Result(problem or Outcome.NOT_FOUND)
    async with sandbox.document_locks(session.document_id):
        prepared = _prepare(sandbox, token, session, reject=reject)
        if isinstance(prepared, Result):
            return prepared
        current, boxes, name = prepared
        now = sandbox.clock.timestamp()
        stamped = None if reject else await run_in_threadpool(_stamp, current, boxes, name, now)
        with sandbox.store.transaction() as tx:
            status = tx.documents.record_action(
                session.document_id,
                boxes[0].email,
                action="rejected" if reject else "signed",
                pdf=stamped,
                now=now,
            )
            tx.sessions.close_for_signer(
                session.document_id, None if reject else boxes[0].email, now=now
            )
    return Result(
        Outcome.REJECTED if reject else Outcome.SIGNED,
        document_id=session.document_id,
        email=boxes[0].email,
        status_document="waiting" if reject else status,
    )


def _prepare(
    sandbox: Sandbox, token: str, session: Session, *, reject: bool
) -> Result | tuple[bytes, tuple[Signer, ...], str]:
    """Check and use the session; the PDF, the signer's boxes and name to stamp, or the end."""
    now = sandbox.clock.timestamp()
    with sandbox.store.transaction() as tx:
        problem = session_problem(tx.sessions.get(token, "sign"), now)
        document = tx.documents.get(session.document_id or "")
        user = tx.users.by_email(session.email or "")
        if problem is not None or document is None or user is None:
            return Result(problem or Outcome.NOT_FOUND)
        if document.waiting_for_earlier(user.email):
            return Result(Outcome.NOT_YET)
        boxes = tuple(b for b in document.boxes_of(user.email) if b.status == "waiting")
        if not boxes or document.status != "waiting":
            return Result(Outcome.USED)
        if not reject:
            refusal = _refusal(tx, session, user.certificate(now), len(boxes), now)
            if refusal is not None:
                tx.sessions.use(token, now=now)
                if refusal is Outcome.CERTIFICATE_INVALID:
                    _mail_reregistration(tx, user.email, now)
                return Result(refusal)
        if not tx.sessions.use(token, now=now):
            return Result(Outcome.USED)
        current = tx.documents.pdf(document.document_id) or b""
    return current, boxes, user.name


def _refusal(
    tx: Tx, session: Session, certificate: CertificateState, boxes: int, now: float
) -> Outcome | None:
    """Why signing is refused (certificate, pay-per-sign balance), charging it otherwise."""
    if certificate is not CertificateState.VALID:
        return Outcome.CERTIFICATE_INVALID
    document = tx.documents.get(session.document_id or "")
    if document is not None and document.payment == "2":
        charged = tx.accounts.charge(
            session.partner,
            BalanceKind.SIGNATURE,
            count=boxes,
            reference=document.document_id,
            now=now,
        )
        if not charged:
            return Outcome.BALANCE_EMPTY
    return None


def _mail_reregistration(tx: Tx, email: str, now: float) -> None:
    tx.logs.send_mail(
        recipient=email,
        kind="reregistration",
        subject="Pendaftaran Ulang akun DigiSign",
        body=(
            "Sertifikat elektronik anda sudah tidak berlaku. Silahkan lakukan pendaftaran "
            "ulang akun DigiSign anda, lalu kembali ke halaman tanda tangan dokumen."
        ),
        now=now,
    )


def _stamp(document: bytes, boxes: Sequence[Signer], name: str, now: float) -> bytes:
    lines = [STAMP_HEADING, name, format_stamp_time(now)]
    for box in boxes:
        if not box.visible:
            continue
        llx, lly, urx, ury = box.box
        if urx - llx < 1 or ury - lly < 1:
            # Digisign's own example places signatures in zero-size boxes: draw from the corner.
            urx, ury = llx + DEFAULT_STAMP_SIZE[0], lly + DEFAULT_STAMP_SIZE[1]
        try:
            document = pdf.stamp_signature(
                document, page=box.page, box=(llx, lly, urx, ury), lines=lines
            )
        except pdf.PdfError:
            # Off the page: the signature counts, it just cannot be drawn.
            logger.warning("signature box on page %d cannot be drawn", box.page)
    return document
