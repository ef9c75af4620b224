"""PDF helpers for the sandbox: count pages, extract text, stamp signatures and e-meterai.

Digisign returns the signed document with every signature drawn in its box; the
sandbox does the same so that a downloaded PDF visibly differs from the upload.
Each stamp is appended to the page as a new content stream (`sandbox.pdf_drawing`),
after wrapping the existing content in `q ... Q` so its graphics state cannot move
or recolour ours. Nothing existing is parsed or rewritten, which keeps a stamp on a
small document to a few milliseconds. The sample agreement the demo and the tests
sign is `sandbox.agreement`.

Every failure to read or write a PDF, and every page or box that does not fit the
document, is a `PdfError`.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from typing import Any

from pypdf import PdfReader, PdfWriter

from sandbox.pdf_drawing import Canvas, Ink, Rect, add_fonts, append_content, to_bytes

_INK: Ink = (0.05, 0.15, 0.45)
_METERAI_INK: Ink = (0.6, 0.1, 0.1)


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

    def draw(canvas: Canvas, rect: Rect) -> None:
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

    def draw(canvas: Canvas, rect: Rect) -> None:
        canvas.border(rect, ink=_METERAI_INK, width=1.2)
        inner = rect.inset(2.5)
        if inner.width > 0 and inner.height > 0:
            canvas.border(inner, ink=_METERAI_INK, width=0.4)
        canvas.fit_lines(
            rect, ["E-METERAI", "10000", "SEPULUH RIBU RUPIAH"], ink=_METERAI_INK, bold=True
        )

    return _stamp(pdf, page, box, draw)


# --- reading and stamping ------------------------------------------------------------------


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


def _stamp(
    pdf: bytes,
    page: int,
    box: tuple[float, float, float, float],
    draw: Callable[[Canvas, Rect], None],
) -> bytes:
    reader = _read(pdf)
    index = _page_index(reader, page)
    rect = _box(box)
    try:
        writer = PdfWriter(clone_from=reader)
        target = writer.pages[index]
        media = _box(target.mediabox)
    except Exception as exc:
        raise PdfError("not a readable PDF (damaged page tree)") from exc
    if not rect.overlaps(media):
        raise PdfError(f"box {box} lies outside page {page} {media.as_tuple()}")
    try:
        canvas = Canvas(add_fonts(writer, target))
        canvas.clip(rect)
        draw(canvas, rect)
        append_content(writer, target, canvas.data(), isolate_existing=True)
        return to_bytes(writer)
    except Exception as exc:
        raise PdfError("cannot stamp this PDF (damaged objects)") from exc


def _box(values: Sequence[Any]) -> Rect:
    try:
        llx, lly, urx, ury = (float(v) for v in values)
    except (TypeError, ValueError) as exc:
        raise PdfError("a box is four numbers (llx, lly, urx, ury)") from exc
    if not all(math.isfinite(v) for v in (llx, lly, urx, ury)) or llx >= urx or lly >= ury:
        raise PdfError("a box needs finite llx < urx and lly < ury")
    return Rect(llx, lly, urx, ury)
