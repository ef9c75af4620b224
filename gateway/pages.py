"""The small HTML pages a signer's browser sees after Digisign redirects it to us.

Indonesian first, English below. Nothing on a page comes from the redirect except
the document id, and that is HTML-escaped. The headers keep the page (and the
`msg` in its URL, which carries the NIK, encrypted) out of caches and Referer headers.
"""

from __future__ import annotations

import enum
import html
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi.responses import HTMLResponse, RedirectResponse

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    # The URL holds `msg`; no page we link to or redirect to may see it.
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class _Text:
    title_id: str
    body_id: str
    title_en: str
    body_en: str


class Page(enum.StrEnum):
    """Every page; the value is the `status=` given to the lender's landing page."""

    ACTIVATED = "activated"
    SIGNED = "signed"
    SIGNED_COMPLETE = "signed_complete"
    REJECTED = "rejected"
    NOT_COMPLETED = "not_completed"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"

    @property
    def status(self) -> int:
        """The HTTP status the page is served with."""
        return _STATUS.get(self, 200)


_STATUS = {Page.INVALID: 400, Page.NOT_FOUND: 404, Page.UNAVAILABLE: 503}


_TEXTS = {
    Page.ACTIVATED: _Text(
        "Akun Anda telah aktif",
        "Akun Digisign Anda sudah aktif. Kami akan mengirimkan tautan penandatanganan "
        "dokumen segera. Anda boleh menutup halaman ini.",
        "Your account is now active",
        "Your Digisign account is active. We will send you the link to sign the document "
        "shortly. You may close this page.",
    ),
    Page.SIGNED: _Text(
        "Dokumen berhasil ditandatangani",
        "Terima kasih, tanda tangan Anda sudah kami terima. Dokumen masih menunggu "
        "penandatangan lain. Anda boleh menutup halaman ini.",
        "The document was signed successfully",
        "Thank you, we have received your signature. The document is still waiting for "
        "other signers. You may close this page.",
    ),
    Page.SIGNED_COMPLETE: _Text(
        "Dokumen berhasil ditandatangani",
        "Terima kasih, semua pihak sudah menandatangani dokumen. Anda boleh menutup halaman ini.",
        "The document was signed successfully",
        "Thank you, every party has signed the document. You may close this page.",
    ),
    Page.REJECTED: _Text(
        "Dokumen ditolak",
        "Anda telah menolak untuk menandatangani dokumen ini. Pemberi pinjaman akan "
        "menghubungi Anda bila perlu.",
        "Document declined",
        "You declined to sign this document. The lender will contact you if needed.",
    ),
    Page.NOT_COMPLETED: _Text(
        "Proses belum selesai",
        "Digisign melaporkan bahwa proses belum berhasil. Silakan coba lagi melalui "
        "tautan terbaru yang Anda terima.",
        "Not completed",
        "Digisign reports that the process did not complete. Please try again with the "
        "latest link you received.",
    ),
    Page.INVALID: _Text(
        "Tautan tidak valid",
        "Tautan ini tidak dapat dibaca atau sudah diubah. Silakan buka kembali tautan "
        "dari pesan yang Anda terima.",
        "This link is not valid",
        "This link cannot be read or has been altered. Please open the link from the "
        "message you received again.",
    ),
    Page.NOT_FOUND: _Text(
        "Proses tidak ditemukan",
        "Tidak ada proses penandatanganan yang menunggu langkah ini. Mungkin proses "
        "sudah selesai atau dibatalkan.",
        "Nothing is waiting for this",
        "No signing process is waiting for this step. It may have finished or been cancelled.",
    ),
    Page.UNAVAILABLE: _Text(
        "Layanan sedang tidak tersedia",
        "Kami tidak dapat memproses permintaan Anda saat ini. Silakan muat ulang halaman "
        "ini dalam beberapa menit.",
        "Service temporarily unavailable",
        "We cannot process your request right now. Please reload this page in a few minutes.",
    ),
}

_TEMPLATE = """<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title_id} / {title_en}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto;
       padding: 0 1rem; color: #1f2933; line-height: 1.5; }}
h1 {{ font-size: 1.4rem; }} h2 {{ font-size: 1.1rem; color: #52606d; }}
hr {{ border: 0; border-top: 1px solid #d9e2ec; margin: 2rem 0; }}
.ref {{ color: #7b8794; font-size: .9rem; }}
</style>
</head>
<body class="{kind}">
<main>
<section lang="id">
<h1>{title_id}</h1>
<p>{body_id}</p>
</section>
<hr>
<section lang="en">
<h2>{title_en}</h2>
<p>{body_en}</p>
</section>
{reference}
</main>
</body>
</html>
"""


def render(page: Page, *, document_id: str | None = None) -> str:
    """The HTML of `page`; `document_id` (escaped) is shown as a reference when given."""
    text = _TEXTS[page]
    reference = (
        f'<p class="ref">Dokumen / Document: {html.escape(document_id)}</p>' if document_id else ""
    )
    return _TEMPLATE.format(
        kind=page.value.replace("_", "-"),
        title_id=html.escape(text.title_id),
        body_id=html.escape(text.body_id),
        title_en=html.escape(text.title_en),
        body_en=html.escape(text.body_en),
        reference=reference,
    )


def page_response(page: Page, *, document_id: str | None = None) -> HTMLResponse:
    """`page` as a response with its status and the no-cache, no-referrer headers."""
    return HTMLResponse(
        render(page, document_id=document_id),
        status_code=page.status,
        headers=SECURITY_HEADERS,
    )


def landing_redirect(
    landing_url: str, page: Page, *, document_id: str | None = None
) -> RedirectResponse:
    """303 to the lender's landing page, with `status=` (and `document_id=`) added."""
    parts = urlsplit(landing_url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.append(("status", page.value))
    if document_id:
        query.append(("document_id", document_id))
    target = urlunsplit(parts._replace(query=urlencode(query)))
    return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
