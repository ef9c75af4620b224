"""PDF helpers for the sandbox: count pages, stamp signatures and e-meterai, make agreements.

Digisign returns the signed document with every signature drawn in its box; the
sandbox does the same so that a downloaded PDF visibly differs from the upload.
Drawing is done by writing content-stream operators ourselves (pypdf only, no
layout engine): text in the standard Helvetica fonts with WinAnsi encoding, so
characters outside Windows-1252 are replaced. Each stamp is appended to the page
as a new content stream, after wrapping the existing content in `q ... Q` so its
graphics state cannot move or recolour ours. Nothing existing is parsed or
rewritten, which keeps a stamp on a small document to a few milliseconds.

Every failure to read or write a PDF, and every page or box that does not fit the
document, is a `PdfError`.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
)

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

_FONTS = {"regular": "/Helvetica", "bold": "/Helvetica-Bold"}
_FONT_KEY = "/SbxF"
"""Resource-name prefix for our fonts; unusual so that it never shadows the page's own /F1."""

_INK = (0.05, 0.15, 0.45)
_METERAI_INK = (0.6, 0.1, 0.1)
_MAX_TEXT_SIZE = 9.0
_MIN_TEXT_SIZE = 3.0
_LEADING = 1.2
_DESCENT = 0.22
_PAD = 3.0


class PdfError(ValueError):
    """Not a readable PDF, or the page or box asked for does not exist in it."""


def page_count(pdf: bytes) -> int:
    """Count the pages of a PDF.

    Args:
        pdf: the file's bytes.

    Returns:
        The number of pages, at least 1.

    Raises:
        PdfError: not a PDF, damaged, truncated, encrypted or without pages.
    """
    return len(_read(pdf).pages)


def page_text(pdf: bytes, page: int) -> str:
    """Extract the text of one page.

    Args:
        pdf: the file's bytes.
        page: the page number, 1-based.

    Returns:
        The page's text as pypdf extracts it.

    Raises:
        PdfError: unreadable PDF or no such page.
    """
    reader = _read(pdf)
    index = _page_index(reader, page)
    try:
        return reader.pages[index].extract_text()
    except Exception as exc:
        raise PdfError(f"cannot extract the text of page {page}") from exc


def stamp_signature(
    pdf: bytes, *, page: int, box: tuple[float, float, float, float], lines: Sequence[str]
) -> bytes:
    """Draw a visible signature (text lines and a thin border) inside a box.

    The text is centred, shrunk until every line fits (down to 3 pt) and clipped
    to the box, so nothing is drawn outside it.

    Args:
        pdf: the document.
        page: the page number, 1-based.
        box: (llx, lly, urx, ury) in PDF points, origin bottom-left; it must
            overlap the page.
        lines: the text, e.g. "Ditandatangani secara elektronik oleh", the name
            and the time; characters outside Windows-1252 are replaced.

    Returns:
        A new, valid PDF with the same pages.

    Raises:
        PdfError: unreadable PDF, no such page, or a box that is empty or off the page.
    """
    text = list(lines)

    def draw(canvas: _Canvas, rect: _Rect) -> None:
        canvas.border(rect, ink=_INK)
        canvas.fit_lines(rect, text, ink=_INK)

    return _stamp(pdf, page, box, draw)


def stamp_meterai(pdf: bytes, *, page: int, box: tuple[float, float, float, float]) -> bytes:
    """Draw an e-meterai (electronic duty stamp) mark inside a box.

    Args:
        pdf: the document.
        page: the page number, 1-based.
        box: (llx, lly, urx, ury) in PDF points; it must overlap the page.

    Returns:
        A new, valid PDF with a double-bordered "E-METERAI" box.

    Raises:
        PdfError: unreadable PDF, no such page, or a box that is empty or off the page.
    """

    def draw(canvas: _Canvas, rect: _Rect) -> None:
        canvas.border(rect, ink=_METERAI_INK, width=1.2)
        inner = rect.inset(2.5)
        if inner.width > 0 and inner.height > 0:
            canvas.border(inner, ink=_METERAI_INK, width=0.4)
        canvas.fit_lines(
            rect, ["E-METERAI", "10000", "SEPULUH RIBU RUPIAH"], ink=_METERAI_INK, bold=True
        )

    return _stamp(pdf, page, box, draw)


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
        canvas = _Canvas(_add_fonts(writer, target))
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
        canvas.text((A4[0] - _text_width(footer) * 8 / 1000) / 2, 40, footer, size=8)
        _append_content(writer, target, canvas.data(), isolate_existing=False)
    writer.add_metadata({"/Title": _ascii(f"{title} {loan_id}"), "/Producer": "signflow sandbox"})
    return _write(writer)


# --- the sample agreement -------------------------------------------------------------------

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

    def __init__(self, canvas: _Canvas, *, floor: float) -> None:
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


def _signature_section(canvas: _Canvas, parties: list[str]) -> None:
    canvas.text(
        _LEFT, _SIGNATURE_TOP - 15, "TANDA TANGAN PARA PIHAK (signatures)", size=10, bold=True
    )
    grey = (0.45, 0.45, 0.45)
    for index, box in enumerate(SIGNATURE_AREAS):
        label = parties[index] if index < len(parties) else f"Pihak {index + 1}"
        canvas.border(_Rect(*box), ink=grey, dash=True)
        canvas.text(box[0], box[3] + 4, label, size=8, ink=grey)
    canvas.border(_Rect(*METERAI_AREA), ink=grey, dash=True)
    canvas.text(METERAI_AREA[0], METERAI_AREA[3] + 4, "Meterai", size=8, ink=grey)


def _wrap(text: str, *, width: float, size: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and _text_width(candidate) * size / 1000 > width:
            lines.append(current)
            candidate = word
        current = candidate
    return [*lines, current] if current else lines


# --- reading and writing ---------------------------------------------------------------------


def _read(pdf: bytes) -> PdfReader:
    if not isinstance(pdf, bytes | bytearray | memoryview):
        raise PdfError(f"a PDF is bytes, not {type(pdf).__name__}")
    data = bytes(pdf)
    # Readers accept junk before the header, but a file without one is not a PDF at all.
    if b"%PDF-" not in data[:1024]:
        raise PdfError("not a PDF (no %PDF- header)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        count = 0 if encrypted else len(reader.pages)
    except Exception as exc:
        # pypdf raises a zoo of exceptions on damaged input (its own, ValueError,
        # KeyError, TypeError, RecursionError, ...): to callers they all mean the same.
        raise PdfError("not a readable PDF (damaged or truncated)") from exc
    if encrypted:
        raise PdfError("encrypted PDFs are not supported")
    if count < 1:
        raise PdfError("the PDF has no pages")
    return reader


def _page_index(reader: PdfReader, page: int) -> int:
    count = len(reader.pages)
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= count:
        raise PdfError(f"page {page!r} is out of range (the PDF has {count} pages)")
    return page - 1


def _write(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stamp(
    pdf: bytes,
    page: int,
    box: tuple[float, float, float, float],
    draw: Callable[[_Canvas, _Rect], None],
) -> bytes:
    reader = _read(pdf)
    index = _page_index(reader, page)
    rect = _Rect.of(box)
    try:
        writer = PdfWriter(clone_from=reader)
        target = writer.pages[index]
        media = _Rect.of(tuple(float(v) for v in target.mediabox))
    except Exception as exc:
        raise PdfError("not a readable PDF (damaged page tree)") from exc
    if not rect.overlaps(media):
        raise PdfError(f"box {box} lies outside page {page} {media.as_tuple()}")
    try:
        canvas = _Canvas(_add_fonts(writer, target))
        canvas.clip(rect)
        draw(canvas, rect)
        _append_content(writer, target, canvas.data(), isolate_existing=True)
        return _write(writer)
    except Exception as exc:
        raise PdfError("cannot stamp this PDF (damaged objects)") from exc


def _add_fonts(writer: PdfWriter, page: PageObject) -> dict[str, str]:
    """Add our Helvetica fonts to the page's own resources; return style → resource name."""
    resources = _inherited(page, "/Resources")
    # Copies, not edits: the resource dictionaries may be shared with other pages.
    resources = DictionaryObject(resources) if isinstance(resources, DictionaryObject) else None
    resources = resources or DictionaryObject()
    fonts = resources.get("/Font")
    fonts = DictionaryObject(fonts) if isinstance(fonts, DictionaryObject) else DictionaryObject()
    names = {}
    for style, base_font in _FONTS.items():
        name, suffix = f"{_FONT_KEY}{style[0].upper()}", 0
        while name in fonts and not _is_font(fonts[name], base_font):
            suffix += 1
            name = f"{_FONT_KEY}{style[0].upper()}{suffix}"
        if name not in fonts:
            font = DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Font"),
                    NameObject("/Subtype"): NameObject("/Type1"),
                    NameObject("/BaseFont"): NameObject(base_font),
                    NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
                }
            )
            # pypdf has no public "add an object" call; streams and shared dicts must be
            # indirect objects of this writer.
            fonts[NameObject(name)] = writer._add_object(font)
        names[style] = name
    resources[NameObject("/Font")] = fonts
    page[NameObject("/Resources")] = resources
    return names


def _inherited(page: DictionaryObject, key: str) -> Any:
    """A page attribute, looked up through /Parent like a viewer does (Resources inherit)."""
    node: Any = page
    for _ in range(64):  # a loop in /Parent is damage, not a reason to hang
        if not isinstance(node, DictionaryObject):
            return None
        if key in node:
            return node[key]
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
    return None


def _is_font(value: Any, base_font: str) -> bool:
    font = value.get_object() if value is not None else None
    return (
        isinstance(font, DictionaryObject)
        and font.get("/BaseFont") == base_font
        and font.get("/Encoding") == "/WinAnsiEncoding"
    )


def _append_content(
    writer: PdfWriter, page: PageObject, data: bytes, *, isolate_existing: bool
) -> None:
    raw = page.raw_get("/Contents") if "/Contents" in page else None
    existing: list[Any] = []
    if raw is not None:
        resolved = raw.get_object()
        existing = list(resolved) if isinstance(resolved, ArrayObject) else [raw]
    parts = [
        item if isinstance(item, IndirectObject) else writer._add_object(item) for item in existing
    ]
    if isolate_existing and parts:
        # `q` before and `Q` after the old content: a page that leaves its CTM scaled
        # or its colour set must not distort the stamp.
        parts = [_stream(writer, b"q\n"), *parts]
        data = b"\nQ\n" + data
    parts.append(_stream(writer, data))
    page[NameObject("/Contents")] = ArrayObject(parts)


def _stream(writer: PdfWriter, data: bytes) -> IndirectObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return writer._add_object(stream)


# --- drawing ---------------------------------------------------------------------------------


class _Rect:
    __slots__ = ("llx", "lly", "urx", "ury")

    def __init__(self, llx: float, lly: float, urx: float, ury: float) -> None:
        self.llx, self.lly, self.urx, self.ury = llx, lly, urx, ury

    @classmethod
    def of(cls, box: Sequence[Any]) -> _Rect:
        try:
            llx, lly, urx, ury = (float(v) for v in box)
        except (TypeError, ValueError) as exc:
            raise PdfError("a box is four numbers (llx, lly, urx, ury)") from exc
        if not all(math.isfinite(v) for v in (llx, lly, urx, ury)) or llx >= urx or lly >= ury:
            raise PdfError("a box needs finite llx < urx and lly < ury")
        return cls(llx, lly, urx, ury)

    @property
    def width(self) -> float:
        return self.urx - self.llx

    @property
    def height(self) -> float:
        return self.ury - self.lly

    def inset(self, by: float) -> _Rect:
        return _Rect(self.llx + by, self.lly + by, self.urx - by, self.ury - by)

    def overlaps(self, other: _Rect) -> bool:
        lo_x, hi_x = sorted((other.llx, other.urx))
        lo_y, hi_y = sorted((other.lly, other.ury))
        return self.llx < hi_x and self.urx > lo_x and self.lly < hi_y and self.ury > lo_y

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.llx, self.lly, self.urx, self.ury)


class _Canvas:
    """Collects content-stream operators; knows the page's names for our fonts."""

    def __init__(self, fonts: dict[str, str]) -> None:
        self._fonts = fonts
        self._ops: list[str] = ["q"]

    def data(self) -> bytes:
        return ("\n".join([*self._ops, "Q"]) + "\n").encode("latin-1")

    def clip(self, rect: _Rect) -> None:
        self._ops.append(f"{_rect_ops(rect)} re W n")

    def border(
        self,
        rect: _Rect,
        *,
        ink: tuple[float, float, float],
        width: float = 0.6,
        dash: bool = False,
    ) -> None:
        # Inset by half the line width so the whole stroke stays inside the box.
        inner = rect.inset(width / 2)
        self._ops += [
            "q",
            f"{_n(width)} w {_rgb(ink)} RG",
            "[3 2] 0 d" if dash else "[] 0 d",
            f"{_rect_ops(inner)} re S",
            "Q",
        ]

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float,
        bold: bool = False,
        ink: tuple[float, float, float] = (0, 0, 0),
    ) -> None:
        font = self._fonts["bold" if bold else "regular"]
        self._ops.append(
            f"BT {font} {_n(size)} Tf {_rgb(ink)} rg 1 0 0 1 {_n(x)} {_n(y)} Tm "
            f"({_escape(_winansi(text))}) Tj ET"
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, *, width: float = 0.5) -> None:
        self._ops.append(f"q {_n(width)} w {_n(x1)} {_n(y1)} m {_n(x2)} {_n(y2)} l S Q")

    def fit_lines(
        self,
        rect: _Rect,
        lines: Sequence[str],
        *,
        ink: tuple[float, float, float],
        bold: bool = False,
    ) -> None:
        """Centre the lines in the box at the largest size (≤ 9 pt) at which all of them fit."""
        if not lines:
            return
        inner = rect.inset(min(_PAD, rect.width / 4, rect.height / 4))
        widest = max(_text_width(line, bold=bold) for line in lines) or 1.0
        size = min(
            _MAX_TEXT_SIZE,
            inner.width * 1000 / widest,
            inner.height / (len(lines) * _LEADING),
        )
        size = max(size, _MIN_TEXT_SIZE)
        block = len(lines) * size * _LEADING
        top = inner.ury - max(0.0, (inner.height - block) / 2)
        for i, line in enumerate(lines):
            baseline = top - (i + 1) * size * _LEADING + _DESCENT * size * _LEADING
            width = _text_width(line, bold=bold) * size / 1000
            x = inner.llx + max(0.0, (inner.width - width) / 2)
            self.text(x, baseline, line, size=size, bold=bold, ink=ink)


def _n(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _rgb(ink: tuple[float, float, float]) -> str:
    return " ".join(_n(c) for c in ink)


def _rect_ops(rect: _Rect) -> str:
    return f"{_n(rect.llx)} {_n(rect.lly)} {_n(rect.width)} {_n(rect.height)}"


# --- text in the standard Helvetica fonts ------------------------------------------------------

# Helvetica advance widths (1/1000 em) for WinAnsi codes 32..126, from Adobe's Helvetica.afm.
_HELVETICA_ASCII = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
)  # fmt: skip
_DEFAULT_WIDTH = 556
_BOLD_FACTOR = 1.05
"""Helvetica-Bold is about this much wider; only headings use it, so an estimate does."""


def _text_width(text: str, *, bold: bool = False) -> float:
    """Width of `text` in Helvetica at 1000 pt (as drawn, after character replacement)."""
    total = sum(
        _HELVETICA_ASCII[code - 32] if 32 <= code <= 126 else _DEFAULT_WIDTH
        for code in _winansi(text)
    )
    return total * _BOLD_FACTOR if bold else float(total)


def _winansi(text: str) -> bytes:
    """Encode for the WinAnsi standard fonts; other characters lose accents or become `?`."""
    out = bytearray()
    for char in text:
        try:
            encoded = char.encode("cp1252")
        except UnicodeEncodeError:
            encoded = unicodedata.normalize("NFKD", char).encode("ascii", "ignore") or b"?"
        # Control characters (line breaks included) would end up as invisible glyphs.
        out += b" " if encoded < b" " else encoded
    return bytes(out)


def _escape(data: bytes) -> str:
    """A PDF literal string body: `(`, `)` and `\\` escaped, bytes above ASCII as octal."""
    parts = []
    for byte in data:
        if byte in b"()\\":
            parts.append("\\" + chr(byte))
        elif byte > 126:
            parts.append(f"\\{byte:03o}")
        else:
            parts.append(chr(byte))
    return "".join(parts)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
