"""Decode stage: every supported format and the bad inputs, each with its typed error."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfWriter

from ocrflow.ocr_tasks.decode import DecodeLimits, decode_pages, sniff_format
from ocrflow.ocr_tasks.errors import (
    CorruptDocumentError,
    DocumentTooLargeError,
    EmptyDocumentError,
    EncryptedDocumentError,
    UnsupportedFormatError,
)
from tests.images import encode, multipage, png_header_only, printed_text

LIMITS = DecodeLimits(max_page_pixels=20_000_000, max_pages=50, max_file_bytes=10**8, pdf_dpi=100)


def pages(data: bytes, limits: DecodeLimits = LIMITS) -> list[np.ndarray]:
    return list(decode_pages(data, "doc", limits))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF"])
def test_image_formats_decode_to_bgr(fmt: str) -> None:
    image = printed_text()
    [page] = pages(encode(image, fmt))
    assert page.shape == (image.height, image.width, 3)
    assert page.dtype == np.uint8 and page.flags.c_contiguous
    assert page.min() < 60 and page.max() > 200  # ink and paper survive


def test_color_order_is_bgr() -> None:
    red = Image.new("RGB", (8, 8), (255, 0, 0))
    [page] = pages(encode(red, "PNG"))
    assert tuple(page[0, 0]) == (0, 0, 255)


def test_jpeg_exif_orientation_is_applied() -> None:
    image = printed_text().convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned; viewers rotate 90° clockwise
    [page] = pages(encode(image, "JPEG", exif=exif))
    assert page.shape[:2] == (image.width, image.height)


@pytest.mark.parametrize("mode", ["1", "L", "P", "LA", "RGBA", "I;16", "CMYK"])
def test_pixel_modes(mode: str) -> None:
    image = printed_text()
    converted = image.convert(mode) if mode != "I;16" else _sixteen_bit(image)
    [page] = pages(encode(converted, "TIFF" if mode == "CMYK" else "PNG"))
    assert page.shape == (image.height, image.width, 3)
    assert page.min() < 80 and page.max() > 180


def _sixteen_bit(image: Image.Image) -> Image.Image:
    values = np.asarray(image, dtype=np.uint16) * 257
    return Image.frombytes("I;16", image.size, values.astype("<u2").tobytes())


def test_white_ink_on_transparent_background_stays_readable() -> None:
    ink = np.asarray(printed_text()) < 128
    rgba = np.zeros((*ink.shape, 4), dtype=np.uint8)
    rgba[ink] = (255, 255, 255, 255)
    [page] = pages(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert page[ink].mean() > 200 and page[~ink].mean() < 50


def test_multipage_tiff_gives_every_page() -> None:
    images = [printed_text(f"PAGE {n}") for n in range(3)]
    decoded = pages(multipage(images, "TIFF"))
    assert [p.shape[:2] for p in decoded] == [(i.height, i.width) for i in images]


def test_two_page_pdf_is_rendered_at_the_configured_dpi() -> None:
    images = [printed_text("FIRST PAGE"), printed_text("SECOND PAGE")]
    data = multipage([i.convert("RGB") for i in images], "PDF")  # 72 dpi pages
    decoded = pages(data, LIMITS)
    assert len(decoded) == 2
    _height, width = decoded[1].shape[:2]
    assert abs(width - images[1].width * 100 / 72) <= 2
    assert decoded[0].min() < 80


def test_empty_file() -> None:
    with pytest.raises(EmptyDocumentError, match="doc: the file is empty"):
        pages(b"")


def test_text_file_renamed_png() -> None:
    with pytest.raises(UnsupportedFormatError, match="not a PNG, JPEG, TIFF or PDF"):
        pages(b"just some notes, not a scan\n" * 10)


def test_truncated_jpeg() -> None:
    data = encode(printed_text().convert("RGB"), "JPEG")
    with pytest.raises(CorruptDocumentError, match="doc: page 1 cannot be decoded"):
        pages(data[: len(data) // 3])


def test_truncated_png() -> None:
    data = encode(printed_text(), "PNG")
    with pytest.raises(CorruptDocumentError):
        pages(data[: len(data) // 2])


@pytest.mark.parametrize("side", [100_000, 6_000])
def test_bomb_sized_png_header_is_refused_without_decoding(side: int) -> None:
    # 100k² trips Pillow's own bomb guard; 6k² only ours (36 Mpx over a 20 Mpx limit).
    with pytest.raises(DocumentTooLargeError, match="pixels"):
        pages(png_header_only(side, side))


def test_encrypted_pdf() -> None:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(EncryptedDocumentError, match="password-protected"):
        pages(buffer.getvalue())


def test_corrupt_pdf() -> None:
    with pytest.raises(CorruptDocumentError, match="cannot open PDF"):
        pages(b"%PDF-1.7\n" + b"\x00garbage" * 50)


def test_too_many_pages() -> None:
    data = multipage([printed_text(f"P{n}") for n in range(3)], "TIFF")
    limits = DecodeLimits(max_page_pixels=10**7, max_pages=2, max_file_bytes=10**8, pdf_dpi=100)
    with pytest.raises(DocumentTooLargeError, match="3 pages, over the limit of 2"):
        pages(data, limits)


def test_pdf_page_over_pixel_limit_is_refused_before_rendering() -> None:
    writer = PdfWriter()
    writer.add_blank_page(14_400, 14_400)  # 200 × 200 inches
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(DocumentTooLargeError, match="page 1 is"):
        pages(buffer.getvalue())


def test_file_over_size_limit() -> None:
    limits = DecodeLimits(max_page_pixels=10**7, max_pages=5, max_file_bytes=100, pdf_dpi=100)
    with pytest.raises(DocumentTooLargeError, match="bytes, over the limit"):
        pages(encode(printed_text(), "PNG"), limits)


def test_format_is_sniffed_not_taken_from_the_name() -> None:
    assert sniff_format(encode(printed_text(), "JPEG"), "scan.png") == "jpeg"
    assert sniff_format(b"junk\n%PDF-1.4 rest", "x") == "pdf"
