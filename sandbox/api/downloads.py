"""DWMITRA and DWMITRA64: the document's current PDF, signed so far or completely.

DWMITRA answers the raw PDF, or HTTP 404 (no such document) / 403 (another
partner's). DWMITRA64 answers ``00`` with the PDF as base64 without line breaks,
``05 "file tidak ditemukan"`` or ``12 "Mitra tidak diijinkan untuk akses dokumen."``.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from digisign.endpoints import Endpoint
from sandbox import notifs
from sandbox.api.common import Call, handle, read_call

logger = logging.getLogger("sandbox.api.downloads")


def _lookup(call: Call) -> tuple[bytes | None, bool]:
    """The PDF (None if there is no such document) and whether the partner may read it."""
    document_id = call.text("document_id") or ""
    with call.sandbox.store.transaction() as tx:
        document = tx.documents.get(document_id)
        if document is None:
            return None, False
        if document.partner != call.partner.userid:
            return None, True
        return tx.documents.pdf(document_id), False


async def download(request: Request) -> Response:
    """``POST /DWMITRA.html``."""
    call = await read_call(request, Endpoint.DOWNLOAD)
    if isinstance(call, Response):
        return call
    content, foreign = _lookup(call)
    if content is None:
        status = 403 if foreign else 404
        logger.info("DOWNLOAD by %s -> HTTP %d", call.partner.userid, status)
        return HTMLResponse(f"<html><body><h1>{status}</h1></body></html>", status_code=status)
    logger.info("DOWNLOAD by %s -> 00", call.partner.userid)
    return Response(content, media_type="application/pdf")


async def download_base64(request: Request) -> Response:
    """``POST /DWMITRA64.html``."""
    return await handle(request, Endpoint.DOWNLOAD_BASE64, _download_base64)


def _download_base64(call: Call) -> dict[str, Any]:
    content, foreign = _lookup(call)
    if content is not None:
        return {"result": "00", "file": base64.b64encode(content).decode("ascii")}
    if foreign:
        return {"result": "12", "notif": notifs.DOCUMENT_OF_OTHER_PARTNER}
    return {"result": "05", "notif": notifs.FILE_NOT_FOUND}
