"""The web pages' HTML: Indonesian, with an English subtitle, like Digisign's webviews.

The forms follow the contract the signer robot and the browser tests rely on:
``<form id="activation-form" method="post">`` with a hidden ``act`` token and a
``<button id="activate" name="action" value="activate">``; ``<form id="sign-form"
method="post">`` with a hidden ``sgn`` token and ``sign``/``reject`` buttons.
Every value is escaped; e-mail addresses are shown masked.
"""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

from sandbox.store import Document

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f3f5f9;margin:0;color:#1d2433}
main{max-width:34rem;margin:3rem auto;background:#fff;border-radius:8px;padding:2rem;
box-shadow:0 2px 8px #0002}
h1{font-size:1.4rem;margin:0 0 .2rem}p.en{color:#667;margin:0 0 1.2rem;font-style:italic}
button{font-size:1rem;padding:.6rem 1.4rem;border:0;border-radius:4px;margin-right:.6rem;
cursor:pointer}#activate,#sign{background:#1d8f4e;color:#fff}#reject{background:#c0392b;color:#fff}
table{border-collapse:collapse;margin:1rem 0}td{padding:.2rem .8rem .2rem 0}
.notice{background:#fff6d6;border:1px solid #e8c95a;padding:1rem;border-radius:4px}
footer{color:#99a;font-size:.8rem;margin-top:2rem}
"""

_ERRORS: dict[int, tuple[str, str]] = {
    401: ("Tautan sudah digunakan", "This link has already been used."),
    404: ("Tautan tidak ditemukan", "This link does not exist."),
    406: (
        "Belum waktunya anda menandatangani dokumen ini",
        "It is not your turn to sign this document yet.",
    ),
    408: ("Sesi telah berakhir", "This link has expired. Ask for a new one."),
}


def mask_email(email: str) -> str:
    """``budi@example.com`` → ``bu**@example.com``."""
    local, _, domain = email.partition("@")
    return f"{local[:2]}{'*' * max(len(local) - 2, 1)}@{domain}"


def page(title: str, subtitle: str, body: str = "", *, status: int = 200) -> HTMLResponse:
    """A complete page; ``body`` is trusted HTML built by this module."""
    html = (
        '<!DOCTYPE html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} - DigiSign Sandbox</title><style>{_STYLE}</style></head>"
        f'<body><main><h1>{escape(title)}</h1><p class="en">{escape(subtitle)}</p>{body}'
        "<footer>powered by: digisign (sandbox)</footer></main></body></html>"
    )
    # Links are bearer credentials: keep them out of caches and Referer headers.
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(html, status_code=status, headers=headers)


def error_page(status: int) -> HTMLResponse:
    """The page for 401 used, 404 unknown, 406 not yet your turn, 408 expired."""
    title, subtitle = _ERRORS[status]
    return page(title, subtitle, f"<p>HTTP {status}</p>", status=status)


def activation_page(token: str, *, name: str, email: str) -> HTMLResponse:
    """The activation page with its form."""
    body = (
        "<p>Dengan menekan tombol di bawah, anda mengaktifkan akun DigiSign dan menyetujui "
        "penerbitan sertifikat elektronik atas nama anda.</p>"
        f"<table><tr><td>Nama</td><td>{escape(name)}</td></tr>"
        f"<tr><td>Email</td><td>{escape(mask_email(email))}</td></tr></table>"
        '<form id="activation-form" method="post">'
        f'<input type="hidden" name="act" value="{escape(token)}">'
        '<button id="activate" name="action" value="activate" type="submit">Aktivasi</button>'
        "</form>"
    )
    return page("Aktivasi Akun DigiSign", "Activate your DigiSign account", body)


def _document_table(document: Document) -> str:
    rows = "".join(
        f"<tr><td>{escape(s.name)}</td><td>{escape(s.user_type)}</td>"
        f"<td>{escape(_STATUS.get(s.status, s.status))}</td></tr>"
        for s in document.signers
    )
    return (
        f"<p>Dokumen <strong>{escape(document.document_id)}</strong> "
        f"({document.pages} halaman)</p><table>{rows}</table>"
    )


_STATUS = {"waiting": "menunggu", "signed": "sudah tanda tangan", "rejected": "menolak"}


def sign_page(token: str, *, document: Document, pdf_url: str) -> HTMLResponse:
    """The signing page with its sign and reject buttons."""
    meterai = (
        '<p class="notice">Dokumen ini dibubuhi Meterai Elektronik.</p>'
        if document.meterai_count
        else ""
    )
    body = (
        f"{_document_table(document)}{meterai}"
        f'<p><a href="{escape(pdf_url)}" target="_blank">Lihat dokumen (PDF)</a></p>'
        '<form id="sign-form" method="post">'
        f'<input type="hidden" name="sgn" value="{escape(token)}">'
        '<button id="sign" name="action" value="sign" type="submit">Tanda tangan</button>'
        '<button id="reject" name="action" value="reject" type="submit">Tolak</button>'
        "</form>"
    )
    return page("Tanda Tangan Dokumen", "Sign the document", body)


def view_page(*, document: Document, pdf_url: str) -> HTMLResponse:
    """The view-only page."""
    body = (
        f"{_document_table(document)}"
        f'<p><a href="{escape(pdf_url)}" target="_blank">Lihat dokumen (PDF)</a></p>'
    )
    return page("Lihat Dokumen", "View the document", body)


def done_page(title: str, subtitle: str) -> HTMLResponse:
    """Shown instead of a redirect (no redirect configured, or the redirect was lost)."""
    return page(title, subtitle, "<p>Anda dapat menutup halaman ini.</p>")


def reregistration_page() -> HTMLResponse:
    """The expired or revoked certificate notice: no signature, re-register first."""
    body = (
        '<div class="notice"><p>Sertifikat elektronik anda sudah tidak berlaku (habis masa '
        "berlakunya atau dicabut). Dokumen belum ditandatangani (kode 12).</p>"
        "<p>Informasi pendaftaran ulang telah dikirim ke email anda. Setelah pendaftaran "
        "ulang berhasil, silahkan kembali ke halaman tanda tangan dokumen.</p>"
        '<p class="en">Your electronic certificate is no longer valid; the document was not '
        "signed. Re-register, then return to sign.</p></div>"
    )
    return page("Pendaftaran Ulang akun DigiSign", "DigiSign account re-registration", body)


def balance_page(notif: str) -> HTMLResponse:
    """Signing refused because the partner's signature balance ran out."""
    return page("Tanda tangan gagal", "Signing failed", f"<p>{escape(notif)}</p>")


def preregistration_page() -> HTMLResponse:
    """The pre-registration link of a registration answer."""
    body = "<p>Silahkan cek email anda untuk aktivasi akun DigiSign.</p>"
    return page("Pendaftaran DigiSign", "Check your e-mail to activate your account", body)
