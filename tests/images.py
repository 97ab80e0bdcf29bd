"""Small real images made in the tests: printed text, saved in the formats under test."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def printed_text(text: str = "HELLO WORLD 2024", size: int = 40) -> Image.Image:
    """Dark text on white, grayscale ('L')."""
    font = ImageFont.load_default(size)
    _left, _top, right, bottom = font.getbbox(text)
    page = Image.new("L", (right + 2 * size, bottom + 2 * size), 255)
    ImageDraw.Draw(page).text((size, size), text, fill=0, font=font)
    return page


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def multipage(images: list[Image.Image], fmt: str) -> bytes:
    buffer = io.BytesIO()
    images[0].save(buffer, format=fmt, save_all=True, append_images=images[1:])
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge size: signature and IHDR, a few bytes of data, IEND."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def as_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))[:, :, ::-1].copy()
