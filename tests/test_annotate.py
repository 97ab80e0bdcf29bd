"""Review pictures: label placement, confidence and field colours, field crops, markdown."""

from __future__ import annotations

import base64
import io
import itertools
import re
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from ocrflow.ocr_tasks.annotate import (
    AMBER,
    FIELD_OK,
    FIELD_PAD,
    FIELD_REVIEW,
    GREEN,
    RED,
    Rect,
    annotate_document,
    annotate_page,
    document_pictures_markdown,
    field_picture,
    markdown_image,
    overlaps,
    place_labels,
    upright_pages,
)
from ocrflow.ocr_tasks.decode import DecodeLimits
from ocrflow.schemas.records import (
    DocumentResult,
    FieldResult,
    LineRef,
    LineResult,
    PageResult,
)
from tests.images import encode, multipage

LIMITS = DecodeLimits(max_page_pixels=50_000_000, max_pages=20, max_file_bytes=10**8, pdf_dpi=72)


# --- helpers -------------------------------------------------------------------------------


def line(order: int, box: Rect, confidence: float = 0.95, kept: bool = True) -> LineResult:
    left, top, right, bottom = box
    return LineResult(
        order=order,
        text=f"line {order}",
        confidence=confidence,
        polygon=[(left, top), (right, top), (right, bottom), (left, bottom)],
        kept=kept,
    )


def page_image(width: int, height: int, boxes: list[Rect]) -> np.ndarray:
    """White BGR page with a black block where each line's ink would be."""
    page = np.full((height, width, 3), 255, dtype=np.uint8)
    for left, top, right, bottom in boxes:
        page[top + 3 : bottom - 3, left + 3 : right - 3] = 0
    return page


def field(name: str, orders: list[int], status: str = "ok", page: int = 1) -> FieldResult:
    return FieldResult(
        name=name,
        raw_text=f"{name} text",
        value=f"{name}-value",
        confidence=0.9,
        lines=[LineRef(page=page, order=o) for o in orders],
        status=status,  # type: ignore[arg-type]
    )


def document(pages: list[PageResult], fields: list[FieldResult] | None = None) -> DocumentResult:
    return DocumentResult(
        source="scan [1].png", pages=pages, fields=fields or [], model_set="t", runtime="t"
    )


def pixel(image: Image.Image, x: int, y: int) -> tuple[int, int, int]:
    value = image.convert("RGB").getpixel((x, y))
    assert isinstance(value, tuple)
    return (int(value[0]), int(value[1]), int(value[2]))


def colour_count(image: Image.Image, colour: tuple[int, int, int], region: Rect) -> int:
    array = np.asarray(image.convert("RGB"))[region[1] : region[3], region[0] : region[2]]
    return int(np.all(array == colour, axis=2).sum())


def assert_disjoint(rects: list[Rect]) -> None:
    for a, b in itertools.combinations(rects, 2):
        assert not overlaps(a, b), (a, b)


def inside(rect: Rect, area: Rect) -> bool:
    return area[0] <= rect[0] and area[1] <= rect[1] and rect[2] <= area[2] and rect[3] <= area[3]


# --- place_labels --------------------------------------------------------------------------


def test_labels_at_the_page_edges_stay_on_the_canvas_clear_of_each_other_and_the_boxes() -> None:
    canvas = (0, 0, 400, 300)
    boxes = [(0, 0, 120, 20), (280, 0, 400, 20), (0, 280, 150, 300), (300, 280, 400, 300)]
    boxes += [(0, 140, 60, 160), (340, 140, 400, 160)]
    sizes = [(140, 18)] * len(boxes)
    rects = place_labels(boxes, sizes, canvas)
    assert [(r[2] - r[0], r[3] - r[1]) for r in rects] == sizes
    for rect in rects:
        assert inside(rect, canvas), rect
        assert not any(overlaps(rect, box) for box in boxes), rect
    assert_disjoint(rects)


def test_a_label_is_placed_next_to_its_own_box() -> None:
    box = (100, 100, 200, 120)
    (rect,) = place_labels([box], [(80, 16)], (0, 0, 400, 300))
    # Directly above, left-aligned: the first candidate, since nothing is in its way.
    assert rect == (100, 100 - 3 - 16, 180, 100 - 3)


def test_crowded_fields_on_nearby_lines_go_to_the_strip_without_overlapping() -> None:
    canvas = (0, 0, 300, 260)
    # Thirteen lines 16 px tall, 4 px apart: no room between them for any label.
    boxes = [(10, 4 + 20 * i, 290, 20 + 20 * i) for i in range(13)]
    sizes = [(120 + 7 * i, 16) for i in range(13)]
    rects = place_labels(boxes, sizes, canvas, strip_x=300)
    strip = [r for r in rects if r[0] >= 300]
    assert strip, "the crowded labels were not stacked in the strip"
    for rect in rects:
        assert inside(rect, canvas) or (rect[0] >= 300 and rect[1] >= 0 and rect[3] <= 260)
        assert not any(overlaps(rect, box) for box in boxes), rect
    assert_disjoint(rects)


def test_a_full_strip_starts_another_column() -> None:
    canvas = (0, 0, 200, 100)
    boxes = [(0, 10 * i, 200, 10 * i + 8) for i in range(10)]
    rects = place_labels(boxes, [(50, 20)] * 10, canvas, strip_x=200)
    assert len({r[0] for r in rects}) >= 2  # 10 labels of 20 px cannot fit in 100 px
    assert all(r[1] >= 0 and r[3] <= 100 for r in rects)
    assert_disjoint(rects)


def test_without_a_strip_crowded_labels_still_stay_on_the_canvas() -> None:
    canvas = (0, 0, 200, 100)
    boxes = [(0, 10 * i, 200, 10 * i + 8) for i in range(10)]
    rects = place_labels(boxes, [(50, 20)] * 10, canvas)
    assert all(inside(r, canvas) for r in rects)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 380),
            st.integers(0, 280),
            st.integers(5, 200),
            st.integers(5, 30),
            st.integers(10, 160),
            st.integers(8, 24),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_placed_labels_never_overlap_and_stay_in_bounds(
    specs: list[tuple[int, int, int, int, int, int]],
) -> None:
    canvas = (0, 0, 400, 300)
    boxes = [(x, y, min(x + w, 400), min(y + h, 300)) for x, y, w, h, _, _ in specs]
    sizes = [(lw, lh) for *_, lw, lh in specs]
    rects = place_labels(boxes, sizes, canvas, strip_x=400)
    assert_disjoint(rects)
    for rect, box in zip(rects, boxes, strict=True):
        assert inside(rect, canvas) or (rect[0] >= 400 and rect[1] >= 0 and rect[3] <= 300)
        assert not overlaps(rect, box)


# --- annotate_page -------------------------------------------------------------------------


def test_line_outlines_are_coloured_by_confidence() -> None:
    boxes = [(20, 20, 200, 50), (20, 70, 200, 100), (20, 120, 200, 150), (20, 170, 200, 200)]
    lines = [line(0, boxes[0], 0.95), line(1, boxes[1], 0.7), line(2, boxes[2], 0.3)]
    lines.append(line(3, boxes[3], 0.97, kept=False))
    page = PageResult(number=1, width=400, height=230, lines=lines)
    picture = annotate_page(page_image(400, 230, boxes), page)
    colours = [pixel(picture, 110, box[1]) for box in boxes]
    assert colours == [GREEN, AMBER, RED, RED]
    # The threshold moves the amber/red boundary.
    stricter = annotate_page(page_image(400, 230, boxes), page, min_confidence=0.8)
    assert pixel(stricter, 110, boxes[1][1]) == RED
    # The text panel keeps the line's colour too, at the line's place.
    assert pixel(picture, 400 + 110, boxes[0][3]) == GREEN


def test_ok_and_needs_review_fields_are_outlined_in_different_colours() -> None:
    boxes = [(40, 40, 240, 70), (40, 160, 240, 190)]
    page = PageResult(number=1, width=400, height=260, lines=[line(0, boxes[0]), line(1, boxes[1])])
    fields = [field("total", [0]), field("iban", [1], status="needs_review")]
    picture = annotate_page(page_image(400, 260, boxes), page, fields)
    ok = pixel(picture, 140, boxes[0][1] - FIELD_PAD)
    review = pixel(picture, 140, boxes[1][1] - FIELD_PAD)
    assert (ok, review) == (FIELD_OK, FIELD_REVIEW)
    # The line's own confidence outline is still visible inside the field's.
    assert pixel(picture, 140, boxes[0][1]) == GREEN
    # Each field has its label: boxed in the field's colour beyond its outline.
    outside_ok = (0, 0, 400, boxes[0][1] - FIELD_PAD - 1)
    assert colour_count(picture, FIELD_OK, outside_ok) > 50


def test_fields_on_other_pages_or_unknown_lines_are_not_drawn() -> None:
    boxes = [(40, 40, 240, 70)]
    page = PageResult(number=1, width=300, height=120, lines=[line(0, boxes[0])])
    fields = [field("total", [0], page=2), field("date", [7])]
    picture = annotate_page(page_image(300, 120, boxes), page, fields)
    assert colour_count(picture, FIELD_OK, (0, 0, 300, 120)) == 0  # the legend's swatch aside


def test_a_crowded_page_widens_the_canvas_with_a_label_strip() -> None:
    boxes = [(10, 4 + 20 * i, 290, 20 + 20 * i) for i in range(13)]
    page = PageResult(
        number=1, width=300, height=264, lines=[line(i, b) for i, b in enumerate(boxes)]
    )
    fields = [field(f"field{i}", [i]) for i in range(13)]
    picture = annotate_page(page_image(300, 264, boxes), page, fields)
    assert picture.width > 2 * 300
    strip = (300, 0, picture.width - 300, 264)
    assert colour_count(picture, FIELD_OK, strip) > 100  # labels and leader lines


# --- field_picture -------------------------------------------------------------------------


def test_field_picture_crops_around_the_line_with_context() -> None:
    box = (300, 200, 500, 230)
    page = PageResult(number=1, width=800, height=600, lines=[line(0, box)])
    crop = field_picture(page_image(800, 600, [box]), page, field("total", [0]))
    # margin 24 on each side, plus one line height (30) above and below
    assert crop.size == (200 + 48, 30 + 48 + 60)
    left, top = 300 - 24, 200 - 24 - 30
    assert pixel(crop, 400 - left, 215 - top) == (0, 0, 0)  # the line's ink
    assert pixel(crop, box[0] - FIELD_PAD - left, 215 - top) == FIELD_OK  # its outline


def test_field_picture_of_a_wide_field_is_scaled_to_max_width() -> None:
    boxes = [(50, 100, 2900, 150), (50, 160, 1200, 210)]
    page = PageResult(
        number=1, width=3000, height=400, lines=[line(0, boxes[0]), line(1, boxes[1])]
    )
    crop = field_picture(page_image(3000, 400, boxes), page, field("address", [0, 1]))
    assert crop.width == 900
    assert abs(crop.height - (210 - 100 + 48 + 100) * 900 / 2898) <= 1


def test_field_picture_needs_a_line_on_the_page() -> None:
    page = PageResult(number=1, width=100, height=100, lines=[line(0, (10, 10, 50, 30))])
    try:
        field_picture(page_image(100, 100, []), page, field("total", [0], page=2))
    except ValueError as exc:
        assert "page 1" in str(exc)
    else:
        raise AssertionError("no error for a field without lines on the page")


# --- markdown ------------------------------------------------------------------------------


def decode_markdown_image(markdown: str) -> Image.Image:
    match = re.search(r"\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown)
    assert match, markdown[:200]
    return Image.open(io.BytesIO(base64.b64decode(match.group(1))))


def test_markdown_image_round_trips_a_downscaled_png() -> None:
    markdown = markdown_image(Image.new("RGB", (3000, 1000), "white"), "a [b] *c*\nd")
    assert markdown.startswith(r"![a \[b\] \*c\* d](data:image/png;base64,")
    decoded = decode_markdown_image(markdown)
    assert decoded.format == "PNG"
    assert decoded.size == (1200, 400)


def test_markdown_image_keeps_a_small_image_as_it_is() -> None:
    image = Image.new("RGB", (120, 50), (10, 200, 30))
    decoded = decode_markdown_image(markdown_image(image, "small", max_side=1200))
    assert decoded.size == (120, 50)
    assert pixel(decoded, 5, 5) == (10, 200, 30)


# --- documents -----------------------------------------------------------------------------


def rgb_page(width: int, height: int, boxes: list[Rect]) -> Image.Image:
    return Image.fromarray(page_image(width, height, boxes)[:, :, ::-1])


def test_annotate_document_writes_the_page_of_a_png_with_its_fields(tmp_path: Path) -> None:
    boxes = [(20, 20, 200, 50), (20, 80, 200, 110)]
    page = PageResult(
        number=1, width=300, height=150, lines=[line(0, boxes[0], 0.7), line(1, boxes[1])]
    )
    result = document([page], [field("total", [1])])
    data = encode(rgb_page(300, 150, boxes), "PNG")
    written = annotate_document(result, data, LIMITS, tmp_path / "out", min_confidence=0.8)
    assert written == [tmp_path / "out" / "scan_[1].png.page001.png"]
    picture = Image.open(written[0])
    assert picture.width >= 600
    assert pixel(picture, 110, 20) == RED  # 0.7 under the 0.8 passed in
    assert pixel(picture, 110, 80 - FIELD_PAD) == FIELD_OK  # result.fields reach the page


def test_annotate_document_writes_one_picture_per_page_of_a_tiff(tmp_path: Path) -> None:
    boxes = [(20, 20, 150, 50)]
    scans = [rgb_page(300, 200, boxes), rgb_page(300, 200, boxes).rotate(90, expand=True)]
    pages = [
        PageResult(number=1, width=300, height=200, lines=[line(0, boxes[0])]),
        # Scanned a quarter turn anticlockwise: read after turning it 90° clockwise.
        PageResult(number=2, width=300, height=200, orientation=90, lines=[line(0, boxes[0])]),
    ]
    written = annotate_document(document(pages), multipage(scans, "TIFF"), LIMITS, tmp_path)
    assert [p.name for p in written] == ["scan_[1].png.page001.png", "scan_[1].png.page002.png"]
    for path in written:
        picture = Image.open(path)
        assert picture.width == 600 and picture.height > 200
        assert pixel(picture, 80, 20) == GREEN  # the polygon is on the upright page


def test_upright_pages_match_records_by_number() -> None:
    scans = [rgb_page(300, 200, []), rgb_page(100, 50, []), rgb_page(80, 60, [])]
    record = PageResult(number=2, width=50, height=100, orientation=90)
    pairs = list(upright_pages(document([record]), multipage(scans, "TIFF"), LIMITS))
    assert [(p.number, image.shape[:2]) for p, image in pairs] == [(2, (100, 50))]


def test_document_pictures_markdown_shows_at_most_max_pages() -> None:
    scans = [rgb_page(300, 200, [(20, 20, 150, 50)]) for _ in range(3)]
    pages = [
        PageResult(number=n, width=300, height=200, lines=[line(0, (20, 20, 150, 50))])
        for n in (1, 2, 3)
    ]
    markdown = document_pictures_markdown(
        document(pages), multipage(scans, "TIFF"), LIMITS, max_pages=2
    )
    headings = re.findall(r"^### (.*)$", markdown, flags=re.MULTILINE)
    assert headings == [r"scan \[1\].png page 1", r"scan \[1\].png page 2"]
    assert markdown.count("data:image/png;base64,") == 2
    assert "1 more page not shown" in markdown
    assert decode_markdown_image(markdown).width == 600


def test_document_pictures_markdown_of_a_document_without_pages() -> None:
    markdown = document_pictures_markdown(document([]), b"", LIMITS)
    assert "No pages" in markdown and "base64" not in markdown
