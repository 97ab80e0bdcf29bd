"""Decode stage: document bytes → upright-as-scanned BGR uint8 page arrays, one at a time.

The format is sniffed from the bytes, never trusted from the file name. Every size limit is
checked from the header before pixels are decoded, so a decompression bomb costs nothing.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from ocr_tasks.errors import (
    CorruptDocumentError,
    DocumentTooLargeError,
    EmptyDocumentError,
    EncryptedDocumentError,
    UnsupportedFormatError,
)

DocumentFormat = Literal["png", "jpeg", "tiff", "pdf"]

_MAGIC: tuple[tuple[bytes, DocumentFormat], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"%PDF-", "pdf"),
)


@dataclass(frozen=True)
class DecodeLimits:
    max_page_pixels: int
    max_pages: int
    max_file_bytes: int
    pdf_dpi: int


def sniff_format(data: bytes, source: str) -> DocumentFormat:
    if not data:
        raise EmptyDocumentError(source, "the file is empty (0 bytes)")
    head = data[:1024]
    for magic, fmt in _MAGIC:
        if head.startswith(magic):
            return fmt
    if b"%PDF-" in head:  # PDFs may carry junk before the header
        return "pdf"
    raise UnsupportedFormatError(
        source, "not a PNG, JPEG, TIFF or PDF document (unrecognised file signature)"
    )


def decode_pages(data: bytes, source: str, limits: DecodeLimits) -> Iterator[np.ndarray]:
    """Yield each page of a document as a contiguous HxWx3 BGR uint8 array."""
    if len(data) > limits.max_file_bytes:
        raise DocumentTooLargeError(
            source, f"file is {len(data)} bytes, over the limit of {limits.max_file_bytes}"
        )
    fmt = sniff_format(data, source)
    if fmt == "pdf":
        yield from _decode_pdf(data, source, limits)
    else:
        yield from _decode_image(data, source, limits)


def _decode_image(data: bytes, source: str, limits: DecodeLimits) -> Iterator[np.ndarray]:
    image = _open_image(data, source)
    frames = image.n_frames if hasattr(image, "n_frames") else 1
    if frames > limits.max_pages:
        raise DocumentTooLargeError(source, f"{frames} pages, over the limit of {limits.max_pages}")
    for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
        _check_pixels(frame.size, source, number, limits)
        yield _frame_to_bgr(frame, source, number)


def _open_image(data: bytes, source: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Our own pixel limit is checked before any decoding; PIL's is only a warning here.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise DocumentTooLargeError(source, f"decompression bomb refused: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptDocumentError(source, f"cannot read image header: {exc}") from exc


def _check_pixels(size: tuple[int, int], source: str, page: int, limits: DecodeLimits) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise CorruptDocumentError(source, f"page {page} has no pixels ({width}x{height})")
    if width * height > limits.max_page_pixels:
        raise DocumentTooLargeError(
            source,
            f"page {page} is {width}x{height} = {width * height} pixels, "
            f"over the limit of {limits.max_page_pixels}",
        )


def _frame_to_bgr(frame: Image.Image, source: str, page: int) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            frame.load()
            upright = ImageOps.exif_transpose(frame)
            rgb = _to_rgb_array(upright)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise CorruptDocumentError(source, f"page {page} cannot be decoded: {exc}") from exc
    return np.ascontiguousarray(rgb[:, :, ::-1])


def _to_rgb_array(image: Image.Image) -> np.ndarray:
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return _gray_to_rgb(_stretch_to_uint8(np.asarray(image)))
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        return _flatten_alpha(np.asarray(image.convert("RGBA")))
    rgb: np.ndarray = np.asarray(image.convert("RGB"))
    return rgb


def _stretch_to_uint8(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float32)
    low, high = float(values.min()), float(values.max())
    if high <= 255 and low >= 0:
        return values.astype(np.uint8)
    scale = 255.0 / max(high - low, 1.0)
    return ((values - low) * scale).astype(np.uint8)


def _gray_to_rgb(gray: np.ndarray) -> np.ndarray:
    return np.repeat(gray[:, :, None], 3, axis=2)


def _flatten_alpha(rgba: np.ndarray) -> np.ndarray:
    """Put transparent pixels on a background that contrasts with the visible ink.

    Text drawn in white on a transparent canvas would vanish on white paper, so the
    background is chosen from the brightness of what is opaque.
    """
    rgb = rgba[:, :, :3].astype(np.float32)
    alpha = rgba[:, :, 3:4].astype(np.float32) / 255.0
    opaque = alpha[:, :, 0] > 0.5
    ink_brightness = float(rgb[opaque].mean()) if opaque.any() else 0.0
    background = 0.0 if ink_brightness > 127 else 255.0
    flattened: np.ndarray = (rgb * alpha + background * (1.0 - alpha)).astype(np.uint8)
    return flattened


def _decode_pdf(data: bytes, source: str, limits: DecodeLimits) -> Iterator[np.ndarray]:
    pdf = _open_pdf(data, source)
    try:
        count = len(pdf)
        if count == 0:
            raise EmptyDocumentError(source, "the PDF has no pages")
        if count > limits.max_pages:
            raise DocumentTooLargeError(
                source, f"{count} pages, over the limit of {limits.max_pages}"
            )
        scale = limits.pdf_dpi / 72.0
        for index in range(count):
            yield _render_pdf_page(pdf, index, scale, source, limits)
    finally:
        pdf.close()


def _open_pdf(data: bytes, source: str) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedDocumentError(source, "the PDF is password-protected") from exc
        raise CorruptDocumentError(source, f"cannot open PDF: {exc}") from exc


def _render_pdf_page(
    pdf: pdfium.PdfDocument, index: int, scale: float, source: str, limits: DecodeLimits
) -> np.ndarray:
    try:
        page = pdf[index]
        width_pt, height_pt = page.get_size()
        size = (round(width_pt * scale), round(height_pt * scale))
        _check_pixels(size, source, index + 1, limits)
        bitmap = page.render(scale=scale, rev_byteorder=False, fill_color=(255, 255, 255, 255))
        array = bitmap.to_numpy()
    except pdfium.PdfiumError as exc:
        raise CorruptDocumentError(source, f"page {index + 1} cannot be rendered: {exc}") from exc
    # pdfium renders BGR(A) by default, which is the order the models take.
    return np.ascontiguousarray(array[:, :, :3])
