"""A sample loan agreement (A4) for the demo and the tests, with signature areas to place signers.

Callers put signers in `SIGNATURE_AREAS` and an e-meterai in `METERAI_AREA`, all
on the last page; `sandbox.pdf` stamps them.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence

from pypdf import PdfWriter

from sandbox.pdf_drawing import Canvas, Rect, add_fonts, append_content, text_width, to_bytes

A4 = (595.276, 841.89)
"""A4 in PDF points (width, height)."""

_COLUMNS = ((70.0, 290.0), (305.276, 525.276))
_ROWS = ((460.0, 540.0), (350.0, 430.0), (240.0, 320.0))

SIGNATURE_AREAS: list[tuple[float, float, float, float]] = [
    (llx, lly, urx, ury) for lly, ury in _ROWS for llx, urx in _COLUMNS
]
"""Six signature boxes (llx, lly, urx, ury) on the last page of `sample_agreement`, in
reading order (left to right, top to bottom); they do not overlap."""

METERAI_AREA: tuple[float, float, float, float] = (70.0, 120.0, 190.0, 200.0)
"""The e-meterai box on the last page of `sample_agreement`, clear of the signature boxes."""


def sample_agreement(*, title: str, loan_id: str, parties: Sequence[str], pages: int = 2) -> bytes:
    """Build a readable A4 loan agreement, with signature areas on its last page.

    Args:
        title: the heading, e.g. "PERJANJIAN PINJAMAN".
        loan_id: printed under the heading and in every page header.
        parties: the signers' names, listed on page 1 and under the signature boxes
            (boxes beyond the parties are labelled "Pihak N").
        pages: the number of pages, at least 1.

    Returns:
        The PDF's bytes. `SIGNATURE_AREAS` and `METERAI_AREA` are on the last page.

    Raises:
        ValueError: `pages` is less than 1.
    """
    if pages < 1:
        raise ValueError("an agreement has at least one page")
    writer = PdfWriter()
    names = list(parties)
    per_page = math.ceil(len(_CLAUSES) / (pages - 1)) if pages > 1 else 0
    for number in range(1, pages + 1):
        target = writer.add_blank_page(width=A4[0], height=A4[1])
        canvas = Canvas(add_fonts(writer, target))
        flow = _Flow(canvas, floor=_SIGNATURE_TOP if number == pages else 80.0)
        if number == 1:
            _cover(flow, title=title, loan_id=loan_id, parties=names)
        else:
            canvas.text(_LEFT, 810, f"{title} - {loan_id}", size=8)
            canvas.line(_LEFT, 804, A4[0] - _LEFT, 804)
        if number < pages:
            clauses = _CLAUSES[(number - 1) * per_page : number * per_page]
            for heading, body in clauses or _schedule(number):
                flow.paragraph(heading, body)
        else:
            flow.paragraph("Penutup", _CLOSING)
            _signature_section(canvas, names)
        footer = f"Halaman {number} dari {pages}"
        canvas.text((A4[0] - text_width(footer) * 8 / 1000) / 2, 40, footer, size=8)
        append_content(writer, target, canvas.data(), isolate_existing=False)
    writer.add_metadata({"/Title": _ascii(f"{title} {loan_id}"), "/Producer": "signflow sandbox"})
    return to_bytes(writer)


_LEFT = 70.0
_SIGNATURE_TOP = 575.0
_CLAUSES = (
    (
        "Pasal 1 - Jumlah Pinjaman",
        "Pemberi Pinjaman setuju memberikan pinjaman kepada Penerima Pinjaman sebesar jumlah "
        "yang tercantum dalam ringkasan pinjaman, dan Penerima Pinjaman menerima pinjaman "
        "tersebut dengan syarat dan ketentuan dalam perjanjian ini.",
    ),
    (
        "Pasal 2 - Jangka Waktu dan Pembayaran",
        "Penerima Pinjaman wajib membayar kembali pokok pinjaman beserta bunga sesuai jadwal "
        "angsuran yang disepakati, paling lambat pada tanggal jatuh tempo setiap angsuran.",
    ),
    (
        "Pasal 3 - Bunga dan Denda",
        "Atas keterlambatan pembayaran dikenakan denda sesuai ketentuan yang berlaku, yang "
        "tidak melebihi batas yang ditetapkan oleh Otoritas Jasa Keuangan.",
    ),
    (
        "Pasal 4 - Pernyataan dan Jaminan",
        "Para Pihak menyatakan bahwa seluruh data dan dokumen yang diberikan adalah benar, "
        "lengkap, dan dapat dipertanggungjawabkan.",
    ),
    (
        "Pasal 5 - Tanda Tangan Elektronik",
        "Para Pihak sepakat bahwa perjanjian ini ditandatangani secara elektronik melalui "
        "penyelenggara sertifikasi elektronik dan memiliki kekuatan hukum yang sama dengan "
        "tanda tangan basah sebagaimana diatur dalam Undang-Undang Informasi dan Transaksi "
        "Elektronik.",
    ),
    (
        "Pasal 6 - Penyelesaian Sengketa",
        "Setiap perselisihan diselesaikan secara musyawarah untuk mufakat; apabila tidak "
        "tercapai, Para Pihak memilih domisili hukum di kantor Pengadilan Negeri yang berwenang.",
    ),
)
_CLOSING = (
    "Demikian perjanjian ini dibuat dan ditandatangani oleh Para Pihak pada tanggal yang "
    "tercantum pada tanda tangan elektronik masing-masing, dan berlaku sejak ditandatangani "
    "oleh seluruh Para Pihak."
)


class _Flow:
    """Top-down paragraphs on one page; whatever would cross `floor` is left out."""

    def __init__(self, canvas: Canvas, *, floor: float) -> None:
        self.canvas, self.floor, self.y = canvas, floor, 780.0

    def line(self, text: str, *, size: float = 10, bold: bool = False, gap: float = 1.4) -> None:
        if self.y - size >= self.floor:
            self.canvas.text(_LEFT, self.y - size, text, size=size, bold=bold)
        self.y -= size * gap

    def paragraph(self, heading: str, body: str) -> None:
        self.y -= 6
        self.line(heading, bold=True)
        for text in _wrap(body, width=A4[0] - 2 * _LEFT, size=10):
            self.line(text)


def _cover(flow: _Flow, *, title: str, loan_id: str, parties: list[str]) -> None:
    flow.line(title, size=16, bold=True)
    flow.line(f"Nomor: {loan_id}", size=11)
    flow.line("Loan agreement - sample document generated by the signflow sandbox", size=8)
    flow.y -= 8
    flow.line("Para Pihak (the parties):", bold=True)
    for number, party in enumerate(parties, 1):
        flow.line(f"{number}. {party}")


def _schedule(number: int) -> list[tuple[str, str]]:
    # Pages beyond the clauses (long documents for load tests) get an instalment table.
    months = range((number - 1) * 6 + 1, number * 6 + 1)
    rows = " ".join(f"Angsuran ke-{m}: jatuh tempo pada bulan ke-{m}." for m in months)
    return [(f"Lampiran {number} - Jadwal Angsuran", rows)]


def _signature_section(canvas: Canvas, parties: list[str]) -> None:
    canvas.text(
        _LEFT, _SIGNATURE_TOP - 15, "TANDA TANGAN PARA PIHAK (signatures)", size=10, bold=True
    )
    grey = (0.45, 0.45, 0.45)
    for index, box in enumerate(SIGNATURE_AREAS):
        label = parties[index] if index < len(parties) else f"Pihak {index + 1}"
        canvas.border(Rect(*box), ink=grey, dash=True)
        canvas.text(box[0], box[3] + 4, label, size=8, ink=grey)
    canvas.border(Rect(*METERAI_AREA), ink=grey, dash=True)
    canvas.text(METERAI_AREA[0], METERAI_AREA[3] + 4, "Meterai", size=8, ink=grey)


def _wrap(text: str, *, width: float, size: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate) * size / 1000 > width:
            lines.append(current)
            candidate = word
        current = candidate
    return [*lines, current] if current else lines


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
