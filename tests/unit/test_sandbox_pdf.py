"""The sandbox's PDF helpers: page counts, visible stamps, sample agreements, damaged input."""

from __future__ import annotations

import contextlib
import io
import statistics
import time
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream, DecodedStreamObject, DictionaryObject, NameObject

from sandbox.agreement import A4, METERAI_AREA, SIGNATURE_AREAS, sample_agreement
from sandbox.pdf import PdfError, page_count, page_text, stamp_meterai, stamp_signature

SIGNED_BY = "Ditandatangani secara elektronik oleh"
WHEN = "2026-11-29 10:15 WIB"


def agreement(pages: int = 2) -> bytes:
    return sample_agreement(
        title="PERJANJIAN PINJAMAN",
        loan_id="LN-2026-000123",
        parties=["Budi Santoso", "PT Dana Sejahtera"],
        pages=pages,
    )


class Drawn(NamedTuple):
    text: str
    x: float
    y: float
    size: float
    cm: tuple[float, ...]


def drawn_text(pdf: bytes, page: int) -> list[Drawn]:
    """Every text run pypdf sees on the page, with where it starts (via its visitor)."""
    runs: list[Drawn] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            runs.append(Drawn(text.strip(), x, y, size * tm[0], tuple(float(v) for v in cm)))

    PdfReader(io.BytesIO(pdf)).pages[page - 1].extract_text(visitor_text=visit)
    return runs


def operations(pdf: bytes, page: int) -> list[tuple[list[Any], bytes]]:
    reader = PdfReader(io.BytesIO(pdf))
    content = ContentStream(reader.pages[page - 1].get_contents(), reader)
    return list(content.operations)


def fonts_of(pdf: bytes, page: int) -> DictionaryObject:
    """The /Font resources of a page."""
    resources = PdfReader(io.BytesIO(pdf)).pages[page - 1]["/Resources"]
    assert isinstance(resources, DictionaryObject)
    fonts = resources["/Font"]
    assert isinstance(fonts, DictionaryObject)
    return fonts


def one_page_pdf(content: bytes, fonts: dict[str, str]) -> bytes:
    """A page with content of our choosing and fonts under names of our choosing."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=A4[0], height=A4[1])
    font_dict = DictionaryObject()
    for name, base in fonts.items():
        font_dict[NameObject(name)] = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject(base),
            }
        )
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): font_dict})
    stream = DecodedStreamObject()
    stream.set_data(content)
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- the sample agreement --------------------------------------------------------------------


@pytest.mark.parametrize("pages", [1, 2, 3, 9])
def test_a_sample_agreement_has_the_pages_asked_for(pages: int) -> None:
    assert page_count(agreement(pages)) == pages


def test_a_sample_agreement_reads_as_a_loan_agreement_with_numbered_pages() -> None:
    pdf = agreement(3)

    first, last = page_text(pdf, 1), page_text(pdf, 3)

    assert "PERJANJIAN PINJAMAN" in first
    assert "LN-2026-000123" in first
    assert "Budi Santoso" in first
    assert "PT Dana Sejahtera" in first
    assert "Halaman 1 dari 3" in first
    assert "Halaman 3 dari 3" in last
    assert "TANDA TANGAN PARA PIHAK" in last
    assert "TANDA TANGAN PARA PIHAK" not in first


def test_a_sample_agreement_is_a4() -> None:
    reader = PdfReader(io.BytesIO(agreement()))

    box = reader.pages[0].mediabox

    assert (float(box.width), float(box.height)) == pytest.approx(A4, abs=0.01)


def test_the_signature_areas_are_at_least_four_separate_boxes_on_the_page() -> None:
    assert len(SIGNATURE_AREAS) >= 4
    for llx, lly, urx, ury in [*SIGNATURE_AREAS, METERAI_AREA]:
        assert 0 <= llx < urx <= A4[0]
        assert 0 <= lly < ury <= A4[1]
    boxes = [*SIGNATURE_AREAS, METERAI_AREA]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, (a, b)


def test_the_signature_areas_are_drawn_and_labelled_with_the_parties() -> None:
    pdf = agreement()

    boxes = [op for operands, op in operations(pdf, 2) if op == b"re"]
    labels = {run.text: (run.x, run.y) for run in drawn_text(pdf, 2)}

    assert len(boxes) >= len(SIGNATURE_AREAS) + 1
    assert labels["Budi Santoso"] == pytest.approx(
        (SIGNATURE_AREAS[0][0], SIGNATURE_AREAS[0][3] + 4)
    )
    assert labels["Pihak 3"][1] > SIGNATURE_AREAS[2][3]


def test_the_agreement_text_stays_clear_of_the_signature_areas() -> None:
    top = max(ury for _, _, _, ury in SIGNATURE_AREAS)
    long_party_list = [f"Penjamin {n}" for n in range(40)]
    pdf = sample_agreement(title="PERJANJIAN", loan_id="X-1", parties=long_party_list, pages=1)

    for run in drawn_text(pdf, 1):
        inside = any(
            llx <= run.x <= urx and lly <= run.y <= ury for llx, lly, urx, ury in SIGNATURE_AREAS
        )
        assert not inside, run
        assert run.y > top or run.text.startswith(("Penjamin", "Pihak", "Meterai", "Halaman"))


def test_an_agreement_needs_at_least_one_page() -> None:
    with pytest.raises(ValueError, match="at least one page"):
        sample_agreement(title="T", loan_id="L", parties=[], pages=0)


# --- stamping --------------------------------------------------------------------------------


def test_stamping_changes_the_bytes_and_keeps_the_page_count() -> None:
    pdf = agreement()

    stamped = stamp_signature(pdf, page=2, box=SIGNATURE_AREAS[0], lines=["Siti Rahma"])

    assert stamped != pdf
    assert page_count(stamped) == 2
    assert len(PdfReader(io.BytesIO(stamped), strict=True).pages) == 2


def test_the_stamped_name_shows_on_its_page_and_on_no_other() -> None:
    pdf = agreement(3)

    stamped = stamp_signature(
        pdf, page=2, box=(100, 300, 400, 380), lines=[SIGNED_BY, "Siti Rahma", WHEN]
    )

    assert "Siti Rahma" in page_text(stamped, 2)
    assert SIGNED_BY in page_text(stamped, 2)
    assert WHEN in page_text(stamped, 2)
    assert "Siti Rahma" not in page_text(stamped, 1)
    assert "Siti Rahma" not in page_text(stamped, 3)
    assert "Siti Rahma" not in page_text(pdf, 2)


def test_the_stamp_text_starts_inside_the_box() -> None:
    box = SIGNATURE_AREAS[3]

    stamped = stamp_signature(agreement(), page=2, box=box, lines=[SIGNED_BY, "Siti Rahma", WHEN])

    runs = [run for run in drawn_text(stamped, 2) if run.text in (SIGNED_BY, "Siti Rahma", WHEN)]
    assert [run.text for run in runs] == [SIGNED_BY, "Siti Rahma", WHEN]
    for run in runs:
        assert box[0] <= run.x < box[2]
        assert box[1] <= run.y < box[3] - run.size * 0.7  # the capitals fit under the top edge
    assert runs[0].y > runs[1].y > runs[2].y


def test_a_long_line_is_shrunk_to_end_inside_the_box() -> None:
    # Helvetica draws every digit 556/1000 of the font size wide: a width we know independently.
    digits = "0123456789" * 6
    box = (100.0, 100.0, 250.0, 140.0)

    stamped = stamp_signature(agreement(), page=1, box=box, lines=[digits])

    (run,) = [run for run in drawn_text(stamped, 1) if run.text == digits]
    assert run.size < 9
    assert box[0] <= run.x
    assert run.x + len(digits) * 0.556 * run.size <= box[2] + 0.01


def test_many_lines_shrink_to_fit_the_height_of_the_box() -> None:
    lines = [f"baris {n}" for n in range(10)]
    box = (300.0, 600.0, 500.0, 660.0)

    stamped = stamp_signature(agreement(), page=1, box=box, lines=lines)

    runs = [run for run in drawn_text(stamped, 1) if run.text.startswith("baris")]
    assert len(runs) == 10
    for run in runs:
        assert box[1] <= run.y - 0.22 * run.size
        assert run.y + 0.75 * run.size <= box[3]


def test_the_stamp_draws_a_border_and_clips_to_the_box() -> None:
    box = (120.0, 200.0, 320.0, 260.0)

    stamped = stamp_signature(agreement(), page=1, box=box, lines=["Siti Rahma"])

    ops = operations(stamped, 1)
    rects = [
        (float(x), float(y), float(x) + float(w), float(y) + float(h))
        for (x, y, w, h) in (operands for operands, op in ops if op == b"re")
    ]
    clip_index = next(i for i, (_, op) in enumerate(ops) if op == b"W")
    assert ops[clip_index - 1][1] == b"re"
    assert rects.count(box) == 1  # the clip path is the box itself
    border = [r for r in rects if r != box and box[0] < r[0] < box[0] + 1]
    assert border
    assert any(op == b"S" for _, op in ops[clip_index:])


def test_existing_page_state_does_not_move_or_scale_the_stamp() -> None:
    # A page that scales the CTM and never restores it, with its own /F1.
    pdf = one_page_pdf(
        b"0.5 0 0 0.5 0 0 cm BT /F1 12 Tf 72 72 Td (Original) Tj ET", {"/F1": "/Courier"}
    )

    stamped = stamp_signature(pdf, page=1, box=(100, 100, 300, 150), lines=["Siti Rahma"])

    runs = {run.text: run for run in drawn_text(stamped, 1)}
    assert runs["Original"].cm[0] == pytest.approx(0.5)
    assert runs["Siti Rahma"].cm == (1, 0, 0, 1, 0, 0)
    assert 100 <= runs["Siti Rahma"].x < 300


def test_stamping_the_same_page_twice_keeps_both_signatures_and_one_set_of_fonts() -> None:
    pdf = agreement()

    once = stamp_signature(pdf, page=2, box=SIGNATURE_AREAS[0], lines=["Budi Santoso"])
    twice = stamp_signature(once, page=2, box=SIGNATURE_AREAS[1], lines=["Siti Rahma"])

    text = page_text(twice, 2)
    assert "Ditandatangani" not in page_text(pdf, 2)
    assert text.count("Budi Santoso") == 2  # the label under the box and the signature
    assert "Siti Rahma" in text
    assert len(fonts_of(twice, 2)) == 2


def test_a_font_name_already_used_by_the_page_is_not_overwritten() -> None:
    pdf = one_page_pdf(b"BT /SbxFR 12 Tf 72 72 Td (Original) Tj ET", {"/SbxFR": "/Courier"})

    stamped = stamp_signature(pdf, page=1, box=(100, 100, 300, 150), lines=["Siti Rahma"])

    theirs = fonts_of(stamped, 1)["/SbxFR"]
    assert isinstance(theirs, DictionaryObject)
    assert str(theirs["/BaseFont"]) == "/Courier"
    assert {"Original", "Siti Rahma"} <= {run.text for run in drawn_text(stamped, 1)}


def test_parentheses_and_backslashes_in_names_survive_the_content_stream() -> None:
    name = r"Siti (Rahma) \ O'Neil"

    stamped = stamp_signature(agreement(), page=1, box=(100, 100, 400, 160), lines=[name])

    assert name in page_text(stamped, 1)


def test_characters_outside_windows_1252_are_replaced_not_fatal() -> None:
    stamped = stamp_signature(
        agreement(), page=1, box=(100, 100, 400, 160), lines=["Zoë Şahin Łukasz 李\n"]
    )

    text = page_text(stamped, 1)
    # In cp1252 as is; accent dropped; no ASCII base letter; not Latin at all.
    assert "Zoë Sahin ?ukasz ?" in text


def test_a_meterai_box_shows_e_meterai_inside_it() -> None:
    stamped = stamp_meterai(agreement(), page=2, box=METERAI_AREA)

    runs = [run for run in drawn_text(stamped, 2) if run.text == "E-METERAI"]
    assert len(runs) == 1
    assert METERAI_AREA[0] <= runs[0].x < METERAI_AREA[2]
    assert METERAI_AREA[1] <= runs[0].y < METERAI_AREA[3]
    assert page_count(stamped) == 2


def test_stamping_a_two_page_document_takes_well_under_fifty_milliseconds() -> None:
    pdf = agreement()
    timings = []
    for _ in range(7):
        start = time.perf_counter()
        stamp_signature(pdf, page=2, box=SIGNATURE_AREAS[0], lines=[SIGNED_BY, "Siti", WHEN])
        timings.append(time.perf_counter() - start)

    assert statistics.median(timings) < 0.05


# --- what is not a PDF, or not in it -------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, world",
        b"\x89PNG\r\n\x1a\n" + bytes(64),
        b"%PDF-1.7\n",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF",
    ],
    ids=["empty", "text", "png", "header-only", "no-pages"],
)
def test_what_is_not_a_readable_pdf_is_a_pdf_error(data: bytes) -> None:
    with pytest.raises(PdfError):
        page_count(data)
    with pytest.raises(PdfError):
        stamp_signature(data, page=1, box=(0, 0, 10, 10), lines=["x"])


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_a_truncated_pdf_is_a_pdf_error(keep: float) -> None:
    pdf = agreement()

    with pytest.raises(PdfError):
        page_count(pdf[: int(len(pdf) * keep)])


def test_text_instead_of_bytes_is_a_pdf_error() -> None:
    with pytest.raises(PdfError, match="bytes"):
        page_count(agreement().decode("latin-1"))  # type: ignore[arg-type]


def test_an_encrypted_pdf_is_a_pdf_error() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(agreement())))
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)

    with pytest.raises(PdfError, match="encrypted"):
        page_count(out.getvalue())


@pytest.mark.parametrize("page", [0, 3, -1, True])
def test_a_page_outside_the_document_is_a_pdf_error(page: int) -> None:
    pdf = agreement()

    with pytest.raises(PdfError, match="out of range"):
        stamp_signature(pdf, page=page, box=SIGNATURE_AREAS[0], lines=["x"])
    with pytest.raises(PdfError, match="out of range"):
        stamp_meterai(pdf, page=page, box=METERAI_AREA)
    with pytest.raises(PdfError, match="out of range"):
        page_text(pdf, page)


@pytest.mark.parametrize(
    "box",
    [
        (100, 100, 50, 200),
        (100, 100, 200, 100),
        (float("nan"), 0, 10, 10),
        (0, 0, float("inf"), 10),
        (700, 100, 800, 200),
        (100, -300, 200, -100),
    ],
    ids=["inverted-x", "flat", "nan", "infinite", "right-of-page", "below-page"],
)
def test_a_box_that_is_empty_or_off_the_page_is_a_pdf_error(
    box: tuple[float, float, float, float],
) -> None:
    with pytest.raises(PdfError, match="box"):
        stamp_signature(agreement(), page=1, box=box, lines=["x"])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_give_a_page_count_or_a_pdf_error(data: bytes) -> None:
    with contextlib.suppress(PdfError):
        assert page_count(data) >= 1


SAMPLE = agreement()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(SAMPLE) - 1), st.integers(0, 255)), min_size=1, max_size=8
    ),
    st.integers(1, len(SAMPLE)),
)
def test_a_damaged_pdf_gives_a_page_count_or_a_pdf_error(
    flips: list[tuple[int, int]], length: int
) -> None:
    data = bytearray(SAMPLE[:length])
    for position, value in flips:
        if position < len(data):
            data[position] = value
    with contextlib.suppress(PdfError):
        assert page_count(bytes(data)) >= 1
