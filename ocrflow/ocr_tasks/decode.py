"""Decode stage: document bytes → upright-as-scanned BGR uint8 page arrays, one at a time.

The format is sniffed from the bytes, never trusted from the file name. Every size limit is
checked from the header before pixels are decoded, so a decompression bomb costs nothing.
The bytes are hostile until decoded: whatever Pillow or PDFium make of a malformed file comes
out as one of the typed :class:`~ocrflow.ocr_tasks.errors.DocumentError` kinds, with a short reason.

Memory: a page costs at most about 8 bytes per pixel while it is converted (Pillow's frame,
its pixel bytes, the BGR result), so ``max_page_pixels`` bounds a worker's peak.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps, UnidentifiedImageError

from ocrflow.ocr_tasks.errors import (
    CorruptDocumentError,
    DocumentError,
    DocumentTooLargeError,
    EmptyDocumentError,
    EncryptedDocumentError,
    UnsupportedFormatError,
)
from ocrflow.ocr_tasks.pdf_text import PdfTextMode, TextLayerPage, read_text_layer
from ocrflow.schemas.settings import DecodingSettings

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

    @classmethod
    def of(cls, decoding: DecodingSettings) -> DecodeLimits:
        """The limits the settings give (the engine's, and a picture's without an engine)."""
        return cls(
            max_page_pixels=decoding.max_page_pixels,
            max_pages=decoding.max_pages,
            max_file_bytes=decoding.max_file_bytes,
            pdf_dpi=decoding.pdf_dpi,
        )


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
    for page in decode_document(data, source, limits, "ocr"):
        assert isinstance(page, np.ndarray)  # "ocr": every PDF page is rendered
        yield page


def decode_document(
    data: bytes, source: str, limits: DecodeLimits, pdf_text: PdfTextMode
) -> Iterator[np.ndarray | TextLayerPage]:
    """Yield each page as a BGR array, or, for a PDF page whose text layer is read
    (``pdf_text``, see :mod:`ocrflow.ocr_tasks.pdf_text`), as its lines."""
    if len(data) > limits.max_file_bytes:
        raise DocumentTooLargeError(
            source, f"file is {len(data)} bytes, over the limit of {limits.max_file_bytes}"
        )
    fmt = sniff_format(data, source)
    if fmt == "pdf":
        yield from _decode_pdf(data, source, limits, pdf_text)
    else:
        yield from _decode_image(data, fmt, source, limits)


# Pillow's format plugins raise many exception types on malformed bytes (OSError, SyntaxError,
# but also TypeError, KeyError, IndexError, struct.error, ZeroDivisionError...). The blocks that
# catch these hold Pillow calls only, so what they catch is the file's fault, not ours.
_PILLOW_FAILURES = (Exception,)


def _decode_image(
    data: bytes, fmt: DocumentFormat, source: str, limits: DecodeLimits
) -> Iterator[np.ndarray]:
    # Counted from the raw IFD chain first: Pillow would walk a 10,000-page chain (slowly)
    # and quietly stop at a loop or a dangling offset, dropping pages without a word.
    pages = _tiff_page_count(data, source, limits.max_pages) if fmt == "tiff" else None
    image = _open_image(data, fmt, source)
    if pages is None:
        pages = _frame_count(image, fmt, source)
    if pages > limits.max_pages:
        raise DocumentTooLargeError(source, f"{pages} pages, over the limit of {limits.max_pages}")
    for number in range(1, pages + 1):
        frame = _seek(image, number, source)
        _check_pixels(frame.size, source, number, limits)
        yield _frame_to_bgr(frame, source, number)


def _open_image(data: bytes, fmt: DocumentFormat, source: str) -> Image.Image:
    try:
        with _quiet_pillow():
            return Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[fmt]])
    except Image.DecompressionBombError as exc:
        raise DocumentTooLargeError(source, f"decompression bomb refused: {exc}") from exc
    except UnidentifiedImageError as exc:
        # Pillow's own message names a BytesIO object, which tells a reader nothing.
        raise CorruptDocumentError(
            source, f"the {fmt.upper()} signature is there but its header cannot be read"
        ) from exc
    except _PILLOW_FAILURES as exc:
        raise _pillow_failure(exc, source, f"cannot read the {fmt.upper()} header") from exc


_PILLOW_FORMAT: dict[DocumentFormat, str] = {
    "png": "PNG",
    "jpeg": "JPEG",
    "tiff": "TIFF",
}


def _frame_count(image: Image.Image, fmt: DocumentFormat, source: str) -> int:
    try:
        with _quiet_pillow():
            frames = int(getattr(image, "n_frames", 1))
    except _PILLOW_FAILURES as exc:
        raise _pillow_failure(exc, source, f"cannot count the {fmt.upper()} frames") from exc
    return max(frames, 1)


def _seek(image: Image.Image, number: int, source: str) -> Image.Image:
    if number == 1:
        return image
    try:
        with _quiet_pillow():
            image.seek(number - 1)
    except _PILLOW_FAILURES as exc:
        raise _pillow_failure(exc, source, f"page {number} cannot be found") from exc
    return image


@contextmanager
def _quiet_pillow() -> Iterator[None]:
    with warnings.catch_warnings():
        # Our own pixel limit is checked before any decoding; Pillow's is only a warning here.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        # "Corrupt EXIF data", "Tag data larger than file": Pillow skips the bad metadata and
        # goes on; the outcome (pages or a typed error) is what is reported.
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
        yield


def _pillow_failure(exc: Exception, source: str, what: str) -> DocumentError:
    if isinstance(exc, MemoryError):
        return DocumentTooLargeError(source, f"{what}: out of memory")
    message = " ".join(str(exc).split())[:200] or type(exc).__name__
    if "too large" in message.lower():  # e.g. a text chunk past PngImagePlugin.MAX_TEXT_CHUNK
        return DocumentTooLargeError(source, f"{what}: {message}")
    return CorruptDocumentError(source, f"{what}: {message}")


# Counting stops here: enough to report a real count in the refusal, and a few milliseconds.
_TIFF_PAGES_COUNTED = 100_000


def _tiff_page_count(data: bytes, source: str, max_pages: int) -> int:
    """Walk the chain of image file directories without decoding anything.

    A chain that loops or points outside the file is refused: the number of pages the
    document really has cannot be known, and reading some of them would lose the rest silently.
    """
    order = "<" if data[:2] == b"II" else ">"
    if len(data) < 8:
        raise CorruptDocumentError(source, "the TIFF header is cut short")
    (offset,) = struct.unpack(order + "I", data[4:8])
    seen: dict[int, int] = {}  # directory offset → page number
    while offset:
        page = len(seen) + 1
        if offset in seen:
            looped = f"page {page - 1} links back to page {seen[offset]}"
            raise CorruptDocumentError(source, f"the TIFF page chain loops: {looped}")
        if offset + 2 > len(data):
            raise CorruptDocumentError(
                source, f"TIFF page {page} starts at byte {offset}, past the end of the file"
            )
        (entries,) = struct.unpack(order + "H", data[offset : offset + 2])
        end = offset + 2 + 12 * entries + 4
        if end > len(data):
            raise CorruptDocumentError(
                source, f"the directory of TIFF page {page} runs past the end of the file"
            )
        seen[offset] = page
        if len(seen) > _TIFF_PAGES_COUNTED:
            raise DocumentTooLargeError(
                source, f"over {_TIFF_PAGES_COUNTED} pages, over the limit of {max_pages}"
            )
        (offset,) = struct.unpack(order + "I", data[end - 4 : end])
    if not seen:
        raise CorruptDocumentError(source, "the TIFF has no pages (its first directory is 0)")
    return len(seen)


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
        with _quiet_pillow():
            frame.load()
            return _to_bgr_array(_upright(frame))
    except Image.DecompressionBombError as exc:
        raise DocumentTooLargeError(source, f"page {page}: decompression bomb refused") from exc
    except _PILLOW_FAILURES as exc:
        raise _pillow_failure(exc, source, f"page {page} cannot be decoded") from exc


def _upright(frame: Image.Image) -> Image.Image:
    """The frame turned as its EXIF orientation says; the frame itself when it says nothing."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Corrupt EXIF data": the pixels are still good
            orientation = frame.getexif().get(0x0112, 1)
    except _PILLOW_FAILURES:
        return frame  # EXIF is optional metadata; a broken block must not cost a readable page
    if orientation in (2, 3, 4, 5, 6, 7, 8):
        return ImageOps.exif_transpose(frame)
    return frame


def _to_bgr_array(image: Image.Image) -> np.ndarray:
    """Convert with as few full-page copies as each mode allows (scans are mostly gray)."""
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        gray = _stretch_to_uint8(np.asarray(image))
    elif mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        return _flatten_alpha(np.asarray(image.convert("RGBA")))
    elif mode in ("L", "1"):
        gray = np.asarray(image if mode == "L" else image.convert("L"))
    else:
        rgb = np.asarray(image if mode == "RGB" else image.convert("RGB"))
        bgr: np.ndarray = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        return bgr
    colour: np.ndarray = cv2.cvtColor(np.ascontiguousarray(gray), cv2.COLOR_GRAY2BGR)
    return colour


def _stretch_to_uint8(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float32)
    low, high = float(values.min()), float(values.max())
    if high <= 255 and low >= 0:
        return values.astype(np.uint8)
    scale = 255.0 / max(high - low, 1.0)
    return ((values - low) * scale).astype(np.uint8)


def _flatten_alpha(rgba: np.ndarray) -> np.ndarray:
    """Put transparent pixels on a background that contrasts with the visible ink, as BGR.

    Text drawn in white on a transparent canvas would vanish on white paper, so the
    background is chosen from the brightness of what is opaque.
    """
    rgb = rgba[:, :, :3].astype(np.float32)
    alpha = rgba[:, :, 3:4].astype(np.float32) / 255.0
    opaque = alpha[:, :, 0] > 0.5
    ink_brightness = float(rgb[opaque].mean()) if opaque.any() else 0.0
    background = 0.0 if ink_brightness > 127 else 255.0
    flattened = (rgb * alpha + background * (1.0 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(flattened[:, :, ::-1])


def _decode_pdf(
    data: bytes, source: str, limits: DecodeLimits, pdf_text: PdfTextMode
) -> Iterator[np.ndarray | TextLayerPage]:
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
            yield _pdf_page(pdf, index, scale, source, limits, pdf_text)
    finally:
        pdf.close()


_PDFIUM_LOAD_ERRORS = {
    pdfium_c.FPDF_ERR_FILE: "the file cannot be read as a PDF",
    pdfium_c.FPDF_ERR_FORMAT: "the PDF structure is damaged",
    pdfium_c.FPDF_ERR_SECURITY: "the PDF uses an unsupported security handler",
}


def _open_pdf(data: bytes, source: str) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise _pdf_load_failure(exc, data, source) from exc


def _pdf_load_failure(exc: pdfium.PdfiumError, data: bytes, source: str) -> DocumentError:
    # PDFium's last-error code is per thread and is not reset by a failure that sets none, so
    # a password error can linger from an earlier document: trust it only when this PDF has an
    # /Encrypt dictionary (trailers and xref-stream dictionaries are never compressed).
    code = getattr(exc, "err_code", None)
    encrypted = b"/Encrypt" in data
    if encrypted and code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
        reason = "password-protected" if code == pdfium_c.FPDF_ERR_PASSWORD else "locked"
        return EncryptedDocumentError(source, f"the PDF is {reason}")
    reason = _PDFIUM_LOAD_ERRORS.get(code, "PDFium cannot load it (no usable page tree)")
    return CorruptDocumentError(source, f"cannot open PDF: {reason}")


def _pdf_page(
    pdf: pdfium.PdfDocument,
    index: int,
    scale: float,
    source: str,
    limits: DecodeLimits,
    pdf_text: PdfTextMode,
) -> np.ndarray | TextLayerPage:
    try:
        page = pdf[index]
    except pdfium.PdfiumError as exc:
        raise CorruptDocumentError(
            source, f"page {index + 1} cannot be loaded (damaged page tree)"
        ) from exc
    try:
        width_pt, height_pt = page.get_size()
        size = (round(width_pt * scale), round(height_pt * scale))
        _check_pixels(size, source, index + 1, limits)
        text_layer = read_text_layer(page, scale, pdf_text)
        if text_layer is not None:
            return text_layer
        bitmap = page.render(scale=scale, rev_byteorder=False, fill_color=(255, 255, 255, 255))
        array = bitmap.to_numpy()
    except pdfium.PdfiumError as exc:
        raise CorruptDocumentError(source, f"page {index + 1} cannot be rendered: {exc}") from exc
    finally:
        page.close()
    # pdfium renders BGR(A) by default, which is the order the models take.
    return np.ascontiguousarray(array[:, :, :3])
