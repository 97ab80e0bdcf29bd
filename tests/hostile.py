"""A corpus of hostile and broken documents, built at test time (no bad binaries in the repo).

Each case says what the decoder must make of it: a typed failure (``DocumentError.kind``) or
``done`` (read, perhaps with no lines). The bombs are real: their pixel data would decompress
to hundreds of megabytes, so a size check that ran after decoding would show in peak RSS.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ocrflow.bench import born_digital
from tests.images import encode, multipage, printed_text

MIB = 1 << 20


@dataclass(frozen=True)
class HostileCase:
    name: str  # file name, with the extension the file claims
    data: bytes
    expected: str  # a DocumentError kind, or "done"
    bomb: bool = False  # declares far more pixels or pages than it is worth


# --- deflate streams of zeros, built without compressing hundreds of megabytes -------------


def _deflated_zeros(size: int) -> bytes:
    """A zlib stream that inflates to ``size`` zero bytes.

    One MiB of zeros is deflated once and its block repeated: a full flush makes each copy
    self-contained, so the stream stays valid while costing kilobytes to build.
    """
    whole, rest = divmod(size, MIB)
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = raw.compress(bytes(MIB)) + raw.flush(zlib.Z_FULL_FLUSH)
    tail_raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = tail_raw.compress(bytes(rest)) + tail_raw.flush(zlib.Z_FINISH)
    adler = ((size % 65521) << 16) | 1  # Adler-32 of `size` zero bytes
    return b"\x78\xda" + block * whole + tail + struct.pack(">I", adler)


# --- PNG ------------------------------------------------------------------------------------


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png_of_zeros(width: int, height: int, extra_chunks: bytes = b"") -> bytes:
    """A valid grayscale PNG of black pixels whose IDAT really inflates to width×height."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = _deflated_zeros((width + 1) * height)  # one filter byte per row
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + extra_chunks
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _apng_claiming_frames(frames: int) -> bytes:
    small = encode(printed_text("APNG"), "PNG")
    actl = _png_chunk(b"acTL", struct.pack(">II", frames, 0))
    ihdr_end = 8 + 25  # signature, then the 25-byte IHDR chunk
    return small[:ihdr_end] + actl + small[ihdr_end:]


def _png_text_bomb() -> bytes:
    """A zTXt chunk that inflates to 64 MiB of metadata before the pixels."""
    body = b"Comment\x00\x00" + _deflated_zeros(64 * MIB)
    return png_of_zeros(64, 64, extra_chunks=_png_chunk(b"zTXt", body))


# --- JPEG -----------------------------------------------------------------------------------


def _jpeg_declaring(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header is patched to declare another size."""
    data = bytearray(encode(printed_text().convert("RGB"), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _jpeg_with_broken_exif() -> bytes:
    data = encode(printed_text().convert("RGB"), "JPEG")
    junk = b"Exif\x00\x00II*\x00\xff\xff\xff\x7f" + bytes(range(256)) * 2
    app1 = b"\xff\xe1" + struct.pack(">H", len(junk) + 2) + junk
    return data[:2] + app1 + data[2:]


# --- TIFF -----------------------------------------------------------------------------------

_IfdLink = Callable[[int, list[int]], int]


def _next_ifd(index: int, offsets: list[int]) -> int:
    return offsets[index + 1] if index + 1 < len(offsets) else 0


def tiff_of_pages(
    sizes: list[tuple[int, int]],
    link: _IfdLink = _next_ifd,
    max_stored_pixels: int = MIB,
) -> bytes:
    """A little-endian grayscale TIFF, one uncompressed strip per page, IFDs chained by
    ``link(page_index, ifd_offsets)`` (the default chains them in order, then ends).
    Pages over ``max_stored_pixels`` only declare their size: their strip is 16 bytes."""
    blobs: list[bytes] = []
    cursor = 8
    strip_offsets, ifd_offsets = [], []
    for width, height in sizes:
        strip = bytes(width * height) if width * height <= max_stored_pixels else bytes(16)
        strip_offsets.append(cursor)
        cursor += len(strip) + (len(strip) & 1)  # IFDs start on a word boundary
        ifd_offsets.append(cursor)
        cursor += 2 + 9 * 12 + 4
        blobs.append(strip + b"\x00" * (len(strip) & 1))
    out = bytearray(b"II*\x00" + struct.pack("<I", ifd_offsets[0] if sizes else 0))
    for index, ((width, height), blob) in enumerate(zip(sizes, blobs, strict=True)):
        entries = [
            (256, 4, width),
            (257, 4, height),
            (258, 3, 8),
            (259, 3, 1),
            (262, 3, 1),
            (273, 4, strip_offsets[index]),
            (277, 3, 1),
            (278, 4, height),
            (279, 4, len(blob)),
        ]
        out += blob + struct.pack("<H", len(entries))
        for tag, kind, value in entries:
            packed = struct.pack("<HI", value, 0)[:4] if kind == 3 else struct.pack("<I", value)
            out += struct.pack("<HHI", tag, kind, 1) + packed
        out += struct.pack("<I", link(index, ifd_offsets))
    return bytes(out)


def _tiff_loop_to_first(index: int, offsets: list[int]) -> int:
    return offsets[index + 1] if index + 1 < len(offsets) else offsets[0]


def _tiff_self_loop(index: int, offsets: list[int]) -> int:
    return offsets[index]


def _tiff_next_past_the_end(index: int, offsets: list[int]) -> int:
    return 0x7FFF_FFF0


def _tiff_first_ifd_missing() -> bytes:
    data = bytearray(tiff_of_pages([(32, 32)]))
    data[4:8] = struct.pack("<I", len(data) + 4096)
    return bytes(data)


# --- PDF ------------------------------------------------------------------------------------


def pdf_of_objects(objects: list[bytes]) -> bytes:
    """A PDF with a correct cross-reference table; object 1 is the catalog."""
    return born_digital.pdf_of_objects(objects, version="1.7")


def _stream(dictionary: bytes, body: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"


def pdf_with_blank_pages(count: int, media_box: str = "0 0 612 792") -> bytes:
    kids = " ".join(f"{n} 0 R" for n in range(3, count + 3))
    page = f"<< /Type /Page /Parent 2 0 R /MediaBox [{media_box}] >>".encode()
    return pdf_of_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
            *[page] * count,
        ]
    )


def _pdf_page_tree_loop() -> bytes:
    return pdf_of_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
        ]
    )


def _pdf_image_bomb(side: int) -> bytes:
    """A letter-size page that paints one side×side grayscale image of deflated zeros."""
    return _pdf_painting(
        b"/Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Filter /FlateDecode" % (side, side),
        _deflated_zeros(side * side),
    )


def _pdf_jpeg_bomb(side: int) -> bytes:
    """A page painting a small JPEG whose frame header claims side×side pixels."""
    return _pdf_painting(
        b"/Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 "
        b"/Filter /DCTDecode" % (side, side),
        _jpeg_declaring(side, side),
    )


def _pdf_painting(image_dictionary: bytes, image_data: bytes) -> bytes:
    """A letter-size page whose only content paints one image over the whole page."""
    content = b"q 612 0 0 792 0 0 cm /Im1 Do Q"
    return pdf_of_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
            _stream(b"", content),
            _stream(b"/Type /XObject /Subtype /Image " + image_dictionary, image_data),
        ]
    )


def _encrypted_pdf(user_password: str = "secret") -> bytes:
    """AES-256; with an empty user password anyone may open it (only editing is locked)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt(user_password, owner_password="owner", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- the corpus -----------------------------------------------------------------------------


def _noise(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def hostile_corpus() -> list[HostileCase]:
    """Every hostile case, cheap enough to build in well under a second."""
    png = encode(printed_text(), "PNG")
    jpeg = encode(printed_text().convert("RGB"), "JPEG")
    tiff = multipage([printed_text("ONE"), printed_text("TWO")], "TIFF")
    pdf = multipage([printed_text("ONE").convert("RGB")], "PDF")
    gif = encode(printed_text(), "GIF")
    bad_crc = bytearray(png)
    bad_crc[40:48] = b"\x00" * 8  # inside the IDAT: the chunk's CRC no longer matches
    return [
        HostileCase("empty.png", b"", "empty"),
        HostileCase("notes-renamed.png", b"meeting notes, not a scan\n" * 40, "unsupported_format"),
        HostileCase("random-bytes.jpg", _noise(8192, seed=1), "unsupported_format"),
        HostileCase("gif-renamed.tif", gif, "unsupported_format"),
        HostileCase("png-magic-then-noise.png", png[:8] + _noise(4096, seed=2), "corrupt"),
        HostileCase("jpeg-magic-then-noise.jpg", jpeg[:3] + _noise(4096, seed=3), "corrupt"),
        HostileCase("tiff-magic-then-noise.tif", tiff[:4] + _noise(4096, seed=4), "corrupt"),
        HostileCase("pdf-magic-then-noise.pdf", b"%PDF-1.7\n" + _noise(4096, seed=5), "corrupt"),
        HostileCase("truncated.png", png[: len(png) // 2], "corrupt"),
        HostileCase("truncated.jpg", jpeg[: len(jpeg) // 3], "corrupt"),
        HostileCase("truncated.tif", tiff[: len(tiff) // 3], "corrupt"),
        HostileCase("truncated-header.pdf", pdf[:200], "corrupt"),
        HostileCase("truncated-tail.pdf", pdf[: len(pdf) * 6 // 10], "corrupt"),
        HostileCase("png-bad-crc.png", bytes(bad_crc), "corrupt"),
        HostileCase("png-zero-width.png", png_of_zeros(0, 16), "corrupt"),
        HostileCase("jpeg-broken-exif.jpg", _jpeg_with_broken_exif(), "done"),
        # Decompression bombs: declared sizes far past the pixel limit, data that would inflate.
        HostileCase("bomb-png-10k-square.png", png_of_zeros(10_000, 10_000), "too_large", True),
        HostileCase("bomb-png-header-2g.png", _png_header(2**31 - 1, 2**31 - 1), "too_large", True),
        HostileCase("bomb-png-text-chunk.png", _png_text_bomb(), "too_large", True),
        HostileCase("bomb-apng-2g-frames.png", _apng_claiming_frames(2**31 - 1), "too_large", True),
        HostileCase("bomb-jpeg-65k-square.jpg", _jpeg_declaring(65_000, 65_000), "too_large", True),
        HostileCase("bomb-jpeg-10k-square.jpg", _jpeg_declaring(10_000, 10_000), "too_large", True),
        HostileCase(
            "bomb-tiff-100k-square.tif",
            tiff_of_pages([(100_000, 100_000)]),
            "too_large",
            True,
        ),
        HostileCase(
            "bomb-tiff-second-page.tif",
            tiff_of_pages([(64, 64), (50_000, 50_000)]),
            "too_large",
            True,
        ),
        HostileCase("bomb-tiff-10k-pages.tif", tiff_of_pages([(1, 1)] * 10_000), "too_large", True),
        HostileCase("bomb-pdf-10k-pages.pdf", pdf_with_blank_pages(10_000), "too_large", True),
        HostileCase(
            "bomb-pdf-huge-page.pdf",
            pdf_with_blank_pages(1, "0 0 14400 14400"),
            "too_large",
            True,
        ),
        # PDFium streams a huge image while it scales it down to the page: read, in bounded
        # memory, as a blank page.
        HostileCase("bomb-pdf-image-20k.pdf", _pdf_image_bomb(20_000), "done", True),
        HostileCase("bomb-pdf-jpeg-60k.pdf", _pdf_jpeg_bomb(60_000), "done", True),
        # Broken structure.
        HostileCase(
            "tiff-ifd-loop.tif", tiff_of_pages([(32, 32)] * 3, _tiff_loop_to_first), "corrupt"
        ),
        HostileCase(
            "tiff-ifd-self-loop.tif", tiff_of_pages([(32, 32)], _tiff_self_loop), "corrupt"
        ),
        HostileCase(
            "tiff-ifd-past-the-end.tif",
            tiff_of_pages([(32, 32)], _tiff_next_past_the_end),
            "corrupt",
        ),
        HostileCase("tiff-first-ifd-missing.tif", _tiff_first_ifd_missing(), "corrupt"),
        HostileCase("pdf-encrypted.pdf", _encrypted_pdf(), "encrypted"),
        HostileCase("pdf-owner-password-only.pdf", _encrypted_pdf(user_password=""), "done"),
        HostileCase("pdf-no-pages.pdf", pdf_with_blank_pages(0), "corrupt"),
        HostileCase("pdf-page-tree-loop.pdf", _pdf_page_tree_loop(), "corrupt"),
        # Odd but valid: read, with or without lines; what matters is a clear outcome, quickly.
        HostileCase("tiny-1x1.png", encode(Image.new("L", (1, 1), 255), "PNG"), "done"),
        HostileCase("thin-20000x20.png", encode(_stretched_text(20_000, 20), "PNG"), "done"),
        HostileCase("tall-20x20000.tif", encode(Image.new("L", (20, 20_000), 255), "TIFF"), "done"),
        HostileCase("jpeg-named.pdf", jpeg, "done"),
    ]


def _stretched_text(width: int, height: int) -> Image.Image:
    return printed_text("WIDE " * 8).resize((width, height))


def _png_header(width: int, height: int) -> bytes:
    from tests.images import png_header_only

    return png_header_only(width, height)


def write_corpus(folder: Path, cases: list[HostileCase]) -> dict[str, HostileCase]:
    folder.mkdir(parents=True, exist_ok=True)
    for case in cases:
        (folder / case.name).write_bytes(case.data)
    return {case.name: case for case in cases}
