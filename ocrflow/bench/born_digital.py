"""Born-digital PDFs written by hand: text in Helvetica (a standard Type 1 font, nothing
embedded) and optional grayscale images, for the text-layer tests and benchmark.

Coordinates are in PDF points (1/72 inch) from the page's top-left, as a scan's pixels are.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

_INVISIBLE = 3  # text render mode: neither filled nor stroked (an OCR layer under a scan)
_FILL = 0


@dataclass(frozen=True)
class TextRun:
    """One line of text: its left edge and top, and its font size, in points."""

    text: str
    x: float
    top: float
    size: float = 12.0
    invisible: bool = False


@dataclass(frozen=True)
class PageSpec:
    width: float = 612.0  # US Letter
    height: float = 792.0
    texts: Sequence[TextRun] = ()
    image: np.ndarray | None = field(default=None)  # gray uint8, stretched over the page


def pdf_document(pages: Sequence[PageSpec]) -> bytes:
    """A PDF 1.4 file of the pages, with a correct cross-reference table."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    font = _add(
        objects,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    )
    kids = [_add_page(objects, page, font) for page in pages]
    refs = " ".join(f"{kid} 0 R" for kid in kids)
    objects[1] = f"<< /Type /Pages /Kids [{refs}] /Count {len(kids)} >>".encode()
    return pdf_of_objects(objects)


def _add(objects: list[bytes], body: bytes) -> int:
    objects.append(body)
    return len(objects)  # object numbers start at 1


def _stream(dictionary: str, data: bytes) -> bytes:
    return f"<< {dictionary} /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"


def _add_page(objects: list[bytes], page: PageSpec, font: int) -> int:
    resources = f"/Font << /F1 {font} 0 R >>"
    content = []
    if page.image is not None:
        image = _add(objects, _image_object(page.image))
        resources += f" /XObject << /Im0 {image} 0 R >>"
        content.append(f"q {page.width:.2f} 0 0 {page.height:.2f} 0 0 cm /Im0 Do Q")
    content += [_text_operators(run, page.height) for run in page.texts]
    stream = _add(objects, _stream("", "\n".join(content).encode("latin-1")))
    return _add(
        objects,
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page.width:.2f} {page.height:.2f}] "
            f"/Resources << {resources} >> /Contents {stream} 0 R >>"
        ).encode(),
    )


def _text_operators(run: TextRun, page_height: float) -> str:
    baseline = page_height - run.top - 0.8 * run.size  # Helvetica's ascent is about 0.72 em
    mode = _INVISIBLE if run.invisible else _FILL
    return (
        f"BT /F1 {run.size:.2f} Tf {mode} Tr 1 0 0 1 {run.x:.2f} {baseline:.2f} Tm "
        f"({_escape(run.text)}) Tj ET"
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _image_object(gray: np.ndarray) -> bytes:
    height, width = gray.shape
    data = zlib.compress(np.ascontiguousarray(gray, dtype=np.uint8).tobytes())
    return _stream(
        f"/Type /XObject /Subtype /Image /Width {width} /Height {height} "
        "/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
        data,
    )


def pdf_of_objects(objects: list[bytes], version: str = "1.4") -> bytes:
    """A PDF of numbered objects with a correct cross-reference table; object 1 is the
    catalog."""
    out = bytearray(f"%PDF-{version}\n%".encode() + b"\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
