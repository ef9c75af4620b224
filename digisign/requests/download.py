"""DWMITRA and DWMITRA64: fetch a document's current file, signed or not yet."""

from __future__ import annotations

from typing import Any, ClassVar

from digisign.endpoints import Endpoint
from digisign.fields import DocumentId
from digisign.requests.base import DigisignRequest


class _DocumentRequest(DigisignRequest):
    """A request naming one document and nothing else."""

    document_id: DocumentId

    def _wire_fields(self) -> dict[str, Any]:
        return {"document_id": self.document_id}


# Two sibling classes rather than one subclassing the other: the answers differ (raw
# PDF vs JSON with base64), and a client dispatching on isinstance must not mix them.
class DownloadRequest(_DocumentRequest):
    """Download the document as a raw PDF (errors come back as HTTP 403/404)."""

    endpoint: ClassVar[Endpoint] = Endpoint.DOWNLOAD


class DownloadBase64Request(_DocumentRequest):
    """Download the document as base64 inside a JSON answer."""

    endpoint: ClassVar[Endpoint] = Endpoint.DOWNLOAD_BASE64
