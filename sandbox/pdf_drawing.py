"""Low-level PDF drawing shared by the stamps (`sandbox.pdf`) and the sample agreement.

Drawing is done by writing content-stream operators ourselves (pypdf only, no
layout engine): text in the standard Helvetica fonts with WinAnsi encoding, so
characters outside Windows-1252 are replaced. Content is appended to a page as a
new stream; nothing existing is parsed or rewritten.

Nothing here validates its input or wraps pypdf's exceptions: callers do
(`sandbox.pdf` turns every failure into a `PdfError`).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from typing import Any

from pypdf import PageObject, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
)

Ink = tuple[float, float, float]
"""An RGB colour, each component 0..1."""

_FONTS = {"regular": "/Helvetica", "bold": "/Helvetica-Bold"}
_FONT_KEY = "/SbxF"
"""Resource-name prefix for our fonts; unusual so that it never shadows the page's own /F1."""

_MAX_TEXT_SIZE = 9.0
_MIN_TEXT_SIZE = 3.0
_LEADING = 1.2
_DESCENT = 0.22
_PAD = 3.0


# --- pages and files -------------------------------------------------------------------------


def to_bytes(writer: PdfWriter) -> bytes:
    """Serialise a document.

    Args:
        writer: the document.

    Returns:
        The PDF file's bytes.
    """
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_fonts(writer: PdfWriter, page: PageObject) -> dict[str, str]:
    """Add our Helvetica fonts to a page's own resources.

    Args:
        writer: the document the page belongs to.
        page: the page to draw on.

    Returns:
        The page's resource name of each style (``"regular"``, ``"bold"``), for `Canvas`.
    """
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


def append_content(
    writer: PdfWriter, page: PageObject, data: bytes, *, isolate_existing: bool
) -> None:
    """Draw ``data`` (content-stream operators) on a page, after what it already shows.

    Args:
        writer: the document the page belongs to.
        page: the page.
        data: the operators, e.g. `Canvas.data`.
        isolate_existing: wrap the page's existing content in ``q ... Q`` so that a
            graphics state it leaves behind (a scaled CTM, a colour) cannot affect ours.
    """
    raw = page.raw_get("/Contents") if "/Contents" in page else None
    existing: list[Any] = []
    if raw is not None:
        resolved = raw.get_object()
        existing = list(resolved) if isinstance(resolved, ArrayObject) else [raw]
    parts = [
        item if isinstance(item, IndirectObject) else writer._add_object(item) for item in existing
    ]
    if isolate_existing and parts:
        parts = [_stream(writer, b"q\n"), *parts]
        data = b"\nQ\n" + data
    parts.append(_stream(writer, data))
    page[NameObject("/Contents")] = ArrayObject(parts)


def _stream(writer: PdfWriter, data: bytes) -> IndirectObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return writer._add_object(stream)


# --- drawing ---------------------------------------------------------------------------------


class Rect:
    """A box in PDF points, origin bottom-left; callers make sure llx < urx and lly < ury."""

    __slots__ = ("llx", "lly", "urx", "ury")

    def __init__(self, llx: float, lly: float, urx: float, ury: float) -> None:
        self.llx, self.lly, self.urx, self.ury = llx, lly, urx, ury

    @property
    def width(self) -> float:
        """Its width."""
        return self.urx - self.llx

    @property
    def height(self) -> float:
        """Its height."""
        return self.ury - self.lly

    def inset(self, by: float) -> Rect:
        """The box ``by`` points smaller on every side."""
        return Rect(self.llx + by, self.lly + by, self.urx - by, self.ury - by)

    def overlaps(self, other: Rect) -> bool:
        """Whether the two boxes share any area (``other``'s corners in any order)."""
        lo_x, hi_x = sorted((other.llx, other.urx))
        lo_y, hi_y = sorted((other.lly, other.ury))
        return self.llx < hi_x and self.urx > lo_x and self.lly < hi_y and self.ury > lo_y

    def as_tuple(self) -> tuple[float, float, float, float]:
        """(llx, lly, urx, ury)."""
        return (self.llx, self.lly, self.urx, self.ury)


class Canvas:
    """Collects content-stream operators; knows the page's names for our fonts.

    Args:
        fonts: what `add_fonts` returned for the page.
    """

    def __init__(self, fonts: dict[str, str]) -> None:
        self._fonts = fonts
        self._ops: list[str] = ["q"]

    def data(self) -> bytes:
        """The operators drawn so far, in their own graphics state, for `append_content`."""
        return ("\n".join([*self._ops, "Q"]) + "\n").encode("latin-1")

    def clip(self, rect: Rect) -> None:
        """Clip everything drawn after this to ``rect``."""
        self._ops.append(f"{_rect_ops(rect)} re W n")

    def border(self, rect: Rect, *, ink: Ink, width: float = 0.6, dash: bool = False) -> None:
        """Stroke a rectangle whose whole line stays inside ``rect``."""
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
        ink: Ink = (0, 0, 0),
    ) -> None:
        """Write one line of text with its baseline starting at (x, y)."""
        font = self._fonts["bold" if bold else "regular"]
        self._ops.append(
            f"BT {font} {_n(size)} Tf {_rgb(ink)} rg 1 0 0 1 {_n(x)} {_n(y)} Tm "
            f"({_escape(_winansi(text))}) Tj ET"
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, *, width: float = 0.5) -> None:
        """Stroke a black line."""
        self._ops.append(f"q {_n(width)} w {_n(x1)} {_n(y1)} m {_n(x2)} {_n(y2)} l S Q")

    def fit_lines(self, rect: Rect, lines: Sequence[str], *, ink: Ink, bold: bool = False) -> None:
        """Centre the lines in the box at the largest size (≤ 9 pt) at which all of them fit."""
        if not lines:
            return
        inner = rect.inset(min(_PAD, rect.width / 4, rect.height / 4))
        widest = max(text_width(line, bold=bold) for line in lines) or 1.0
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
            width = text_width(line, bold=bold) * size / 1000
            x = inner.llx + max(0.0, (inner.width - width) / 2)
            self.text(x, baseline, line, size=size, bold=bold, ink=ink)


def _n(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _rgb(ink: Ink) -> str:
    return " ".join(_n(c) for c in ink)


def _rect_ops(rect: Rect) -> str:
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


def text_width(text: str, *, bold: bool = False) -> float:
    """Width of ``text`` in Helvetica at 1000 pt (as drawn, after character replacement).

    Args:
        text: one line.
        bold: measure Helvetica-Bold (estimated).

    Returns:
        The width; multiply by ``size / 1000`` for the width at ``size`` points.
    """
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
