"""A PDF page's own text layer as lines, for pages born digital: no OCR needed.

The characters come from PDFium's text page with their boxes, are grouped into lines (same
baseline band, left to right, split at wide gaps as the detector splits columns), and their
boxes are mapped to the pixels of the page as :mod:`ocrflow.ocr_tasks.decode` renders it at
``pdf_dpi``, so a text-layer line's polygon is comparable with an OCR'd one.

When is the text layer usable (``pdf_text=auto``)? A page is read from it when all hold:

* at least ``_MIN_CHARS`` visible, printable characters: a scan has none, or a few of a stamp;
* at most ``_MAX_GARBAGE`` of its non-space characters are unusable: U+FFFD, controls, private
  use code points (fonts without a ToUnicode map come out that way), or flagged by PDFium as
  having no Unicode mapping;
* no image covers more than ``_MAX_IMAGE_SHARE`` of the page: a page that is one scanned image
  is OCR'd even with some text on it (a stamp, a page number, a hidden OCR layer beneath).

Invisible text (render mode 3, or clip-only 7: the hidden layer an earlier OCR leaves under a
scan) is not counted as visible. With ``pdf_text=text`` every page is read from its layer,
hidden text included, and a page without one stays empty.
"""

from __future__ import annotations

import ctypes
import math
import unicodedata
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ocrflow.ocr_tasks.geometry import reading_order

PdfTextMode = Literal["auto", "ocr", "text"]

_MIN_CHARS = 10
_MAX_GARBAGE = 0.1
_MAX_IMAGE_SHARE = 0.5
# A horizontal gap wider than this many line heights starts a new line, as DB detection
# splits table columns and label/value pairs set far apart.
_COLUMN_GAP = 1.5
# A gap wider than this many line heights, with no space character in it, separates words.
_WORD_GAP = 0.3
# Two characters share a line when their boxes overlap by this share of the shorter height.
_SAME_LINE_OVERLAP = 0.5
_INVISIBLE_RENDER_MODES = frozenset({3, 7})  # FPDF_TEXTRENDERMODE_INVISIBLE, _CLIP


@dataclass(frozen=True)
class TextLine:
    text: str
    quad: np.ndarray  # (4, 2) float32, clockwise from top-left, in rendered page pixels


@dataclass(frozen=True)
class TextLayerPage:
    """A page read from its text layer: its size as rendered, its lines in reading order."""

    width: int
    height: int
    lines: list[TextLine]


@dataclass(frozen=True)
class _Chars:
    """A text page's characters as arrays, in content order."""

    text: list[str]
    boxes: np.ndarray  # (n, 4) left, right, bottom, top in PDF points
    visible: np.ndarray  # (n,) bool
    unusable: np.ndarray  # (n,) bool: garbage, see _is_unusable
    generated: np.ndarray  # (n,) bool: spaces and line breaks PDFium inferred


def read_text_layer(page: pdfium.PdfPage, scale: float, mode: PdfTextMode) -> TextLayerPage | None:
    """The page's lines from its text layer, or None when it should be OCR'd instead."""
    if mode == "ocr":
        return None
    textpage = page.get_textpage()
    try:
        chars = _chars(textpage)
    finally:
        textpage.close()
    if mode == "auto" and not _usable(chars, page):
        return None
    width, height = math.ceil(page.get_width() * scale), math.ceil(page.get_height() * scale)
    keep = ~chars.unusable if mode == "text" else chars.visible & ~chars.unusable
    lines = [
        TextLine(text, _to_pixels(page, box, width, height))
        for text, box in _group_lines(chars, keep)
    ]
    if lines:
        order = reading_order(np.stack([line.quad for line in lines]))
        lines = [lines[i] for i in order]
    return TextLayerPage(width, height, lines)


def _chars(textpage: pdfium.PdfTextPage) -> _Chars:
    raw = textpage.raw
    count = textpage.count_chars()
    boxes = np.zeros((count, 4), dtype=np.float64)
    # loose boxes: the font's ascent to descent and the glyph's advance, not its ink, so that
    # a line's height and the gaps between letters do not depend on which letters they are
    rect = pdfium_c.FS_RECTF()
    text, visible, unusable, generated = [], [], [], []
    for index in range(count):
        code = pdfium_c.FPDFText_GetUnicode(raw, index)
        char = chr(code) if 0 < code <= 0x10FFFF else "\ufffd"
        pdfium_c.FPDFText_GetLooseCharBox(raw, index, rect)
        boxes[index] = (rect.left, rect.right, rect.bottom, rect.top)
        text.append(char)
        generated.append(bool(pdfium_c.FPDFText_IsGenerated(raw, index) == 1))
        unusable.append(
            not char.isspace()
            and (_is_unusable(char) or pdfium_c.FPDFText_HasUnicodeMapError(raw, index) == 1)
        )
        visible.append(_render_mode(raw, index) not in _INVISIBLE_RENDER_MODES)
    return _Chars(
        text, boxes, np.array(visible, bool), np.array(unusable, bool), np.array(generated, bool)
    )


def _render_mode(raw: pdfium_c.FPDF_TEXTPAGE, index: int) -> int:
    text_object = pdfium_c.FPDFText_GetTextObject(raw, index)
    return int(pdfium_c.FPDFTextObj_GetTextRenderMode(text_object)) if text_object else 0


def _is_unusable(char: str) -> bool:
    return char == "\ufffd" or unicodedata.category(char) in ("Cc", "Co", "Cn", "Cs")


def _usable(chars: _Chars, page: pdfium.PdfPage) -> bool:
    printing = np.array([not c.isspace() for c in chars.text], dtype=bool)
    good = printing & chars.visible & ~chars.unusable
    if int(good.sum()) < _MIN_CHARS:
        return False
    if chars.unusable[printing].mean() > _MAX_GARBAGE:
        return False
    return _largest_image_share(page) <= _MAX_IMAGE_SHARE


def _largest_image_share(page: pdfium.PdfPage) -> float:
    """The page share of its largest image (top-level and inside forms), by bounding box."""
    width, height = float(page.get_width()), float(page.get_height())
    largest = 0.0
    for image in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)):
        left, bottom, right, top = image.get_bounds()
        largest = max(largest, max(right - left, 0.0) * max(top - bottom, 0.0))
    return largest / max(width * height, 1e-6)


def _group_lines(chars: _Chars, keep: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """(text, box in points) per line: kept characters in content order, a new line where
    the baseline band changes, the text runs backwards, or a gap wider than a column opens."""
    lines: list[tuple[str, np.ndarray]] = []
    text: list[str] = []
    box: np.ndarray | None = None
    for index, char in enumerate(chars.text):
        if char.isspace():
            if box is not None and text and text[-1] != " " and char not in "\r\n":
                text.append(" ")  # a space between words; its box (often empty) is not used
            if char in "\r\n" and box is not None:
                lines.append(("".join(text).strip(), box))
                text, box = [], None
            continue
        if not keep[index]:
            continue
        char_box = chars.boxes[index]
        if box is not None and not _continues(box, char_box):
            lines.append(("".join(text).strip(), box))
            text, box = [], None
        if box is not None and text[-1] != " " and _word_gap(box, char_box):
            text.append(" ")  # runs placed apart with no space character between them
        text.append(char)
        box = char_box.copy() if box is None else _union(box, char_box)
    if box is not None:
        lines.append(("".join(text).strip(), box))
    return [(line_text, line_box) for line_text, line_box in lines if line_text]


def _continues(line: np.ndarray, char: np.ndarray) -> bool:
    line_height, char_height = line[3] - line[2], char[3] - char[2]
    overlap = min(line[3], char[3]) - max(line[2], char[2])
    same_band = overlap >= _SAME_LINE_OVERLAP * max(min(line_height, char_height), 1e-6)
    gap = char[0] - line[1]
    return bool(same_band and -0.5 * line_height <= gap <= _COLUMN_GAP * line_height)


def _word_gap(line: np.ndarray, char: np.ndarray) -> bool:
    return bool(char[0] - line[1] > _WORD_GAP * (line[3] - line[2]))


def _union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.array([min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])])


def _to_pixels(page: pdfium.PdfPage, box: np.ndarray, width: int, height: int) -> np.ndarray:
    """A box in PDF points as a quad in the pixels of the page rendered at width x height
    (PDFium maps the page's origin, crop box and /Rotate as rendering does)."""
    left, right, bottom, top = box
    corners = [(left, top), (right, top), (right, bottom), (left, bottom)]
    x, y = ctypes.c_int(), ctypes.c_int()
    points = []
    for page_x, page_y in corners:
        pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, width, height, 0, page_x, page_y, x, y)
        points.append((x.value, y.value))
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    # axis-aligned in device space whatever the rotation, clockwise from top-left
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
