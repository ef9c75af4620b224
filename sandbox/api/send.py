"""SendDocMitraAT: receive a PDF with its signers, viewers and e-meterai stamps.

The server's order: the file is a PDF (``FE``); ``document_id`` present (``05``);
``req-sign`` present (``05``); the partner has a signing redirect URL (``08``);
entries well formed (``28``, ``FE`` for a bad signature type); ``signing_seq`` on
every signer when ``sequence_option`` is true (``FE``); pages within the document
(``FE``); no overlapping boxes (``03``); every signer a registered (``05 "user
tidak ditemukan"``), activated (``05 "user belum melakukan aktivasi"``) user with a
valid certificate (``15``, info "...habis masa berlakunya..." or "...dicabut...");
the document id unused (``17``, or replaced per the partner's setting); balances
(``61``). Then ``00 "Kirim dokumen berhasil."`` with a ``refTrx``.

Charges: payment 3 (the default) takes one document at send time; payment 2
checks that the signature balance covers every ``req-sign`` entry and charges
each signature when it is made; every e-meterai position takes one e-meterai,
stamped into the PDF at send time.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from digisign.endpoints import Endpoint
from sandbox import notifs, pdf
from sandbox.api.common import Call, handle
from sandbox.api.send_rules import (
    Box,
    Refused,
    check_overlaps,
    parse_meterai,
    parse_signers,
    parse_viewers,
)
from sandbox.clock import ref_trx
from sandbox.config import BalanceKind, DocumentIdReuse
from sandbox.store import CertificateState, NewDocument, NewSigner, Tx, sha256

logger = logging.getLogger("sandbox.api.send")

PDF_MAGIC = b"%PDF-"
PDF_MAGIC_WINDOW = 1024


async def send_document(request: Request) -> Response:
    """``POST /SendDocMitraAT.html``."""
    return await handle(request, Endpoint.SEND_DOCUMENT, _send_or_refuse)


async def _send_or_refuse(call: Call) -> dict[str, Any]:
    try:
        return await _send(call)
    except Refused as refused:
        return refused.body


async def _send(call: Call) -> dict[str, Any]:
    upload = call.files.get("file") or b""
    pages = await _page_count(upload)
    if pages is None:
        raise Refused("FE", notifs.NOT_A_PDF)
    document_id = (call.text("document_id") or "").strip()
    if not document_id:
        raise Refused("05", notifs.DOCUMENT_ID_EMPTY)
    entries = call.fields.get("req-sign", call.fields.get("req_sign"))
    if not isinstance(entries, list) or not entries:
        raise Refused("05", notifs.REQ_SIGN_MISSING)
    if not call.partner.sign_redirect_url:
        raise Refused("08", notifs.NO_REDIRECT_LINK)
    signers = parse_signers(entries)
    viewers = parse_viewers(call.fields.get("send-to", call.fields.get("send_to")))
    stamps = parse_meterai(call.fields)
    payment = call.text("payment") or "3"
    if payment not in ("2", "3"):
        raise Refused("28", notifs.REQUEST_INCOMPLETE)
    sequence_option = call.flag("sequence_option")
    if sequence_option and any(s.signing_seq is None for s in signers):
        raise Refused("FE", notifs.SIGNING_SEQ_MISSING)
    boxes = [Box(s.page, *s.box) for s in signers]
    if any(box.page > pages for box in boxes + stamps):
        raise Refused("FE", notifs.PAGE_BEYOND_DOCUMENT)
    check_overlaps(boxes, stamps)
    stamped = await run_in_threadpool(_stamp_meterai, upload, stamps)
    document = NewDocument(
        document_id=document_id,
        partner=call.partner.userid,
        pdf=stamped,
        uploaded_sha256=sha256(upload),
        pages=pages,
        payment=payment,
        sequence_option=sequence_option,
        meterai_count=len(stamps),
        signers=signers,
        viewers=viewers,
    )
    async with call.sandbox.document_locks(document_id):
        with call.sandbox.store.transaction() as tx:
            _check_signers(tx, signers, call.now)
            _store(call, tx, document)
    return {"result": "00", "notif": notifs.DOCUMENT_SENT, "refTrx": ref_trx("SNDD", call.now)}


async def _page_count(upload: bytes) -> int | None:
    """The PDF's page count, or None when it is not a readable PDF."""
    if PDF_MAGIC not in upload[: PDF_MAGIC_WINDOW + len(PDF_MAGIC)]:
        return None
    try:
        return await run_in_threadpool(pdf.page_count, upload)
    except pdf.PdfError:
        return None


def _stamp_meterai(upload: bytes, stamps: list[Box]) -> bytes:
    document = upload
    for stamp in stamps:
        try:
            document = pdf.stamp_meterai(document, page=stamp.page, box=stamp.corners)
        except pdf.PdfError:
            # An empty or off-page box: the stamp is recorded (and charged) but not drawn.
            logger.warning("e-meterai box on page %d cannot be drawn", stamp.page)
    return document


def _check_signers(tx: Tx, signers: list[NewSigner], now: float) -> None:
    for signer in signers:
        user = tx.users.by_email(signer.email)
        # Digisign never published these two answers: the sandbox gives genSignPage's.
        if user is None:
            raise Refused("05", notifs.USER_NOT_FOUND)
        if not user.active:
            raise Refused("05", notifs.USER_NOT_ACTIVATED)
        state = user.certificate(now)
        if state is CertificateState.EXPIRED:
            raise Refused("15", notifs.CERTIFICATE_INVALID, info=notifs.CERTIFICATE_EXPIRED_INFO)
        if state is CertificateState.REVOKED:
            raise Refused("15", notifs.CERTIFICATE_INVALID, info=notifs.CERTIFICATE_REVOKED_INFO)


def _store(call: Call, tx: Tx, document: NewDocument) -> None:
    """Check the id and the balances, charge, and store (replacing when allowed)."""
    partner = call.partner
    existing = tx.documents.get(document.document_id)
    if existing is not None and (
        existing.partner != partner.userid or partner.document_id_reuse is DocumentIdReuse.REJECT
    ):
        raise Refused("17", notifs.DOCUMENT_ID_IN_USE)
    charges = [(BalanceKind.EMETERAI, document.meterai_count, notifs.EMETERAI_BALANCE_EMPTY)]
    if document.payment == "3":
        charges.insert(0, (BalanceKind.DOCUMENT, 1, notifs.DOCUMENT_BALANCE_EMPTY))
    elif tx.accounts.balance(partner.userid, BalanceKind.SIGNATURE) < len(document.signers):
        # Pay per sign: charged when each signature is made, but it must be affordable.
        raise Refused("61", notifs.SIGNATURE_BALANCE_EMPTY)
    for kind, count, notif in charges:
        if tx.accounts.balance(partner.userid, kind) < count:
            raise Refused("61", notif)
    for kind, count, _ in charges:
        tx.accounts.charge(
            partner.userid, kind, count=count, reference=document.document_id, now=call.now
        )
    if existing is not None:
        tx.documents.delete(document.document_id)
    tx.documents.insert(document, now=call.now)
