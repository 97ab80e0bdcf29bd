"""Regenerate the sample scans shipped in this folder (run from the repository root).

They are printed with Pillow's bundled font, then blurred and speckled like a 150 dpi scan,
so the README's first command has something real to read on a machine with no data set.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).parent

RECEIPT = [
    "CORNER BAKERY SDN BHD",
    "12 JALAN MERDEKA, 50050 KUALA LUMPUR",
    "Date: 14/03/2024   Time: 09:41",
    "Receipt No: CB-20931",
    "2 x Croissant            7.00",
    "1 x Flat white           9.50",
    "Subtotal                16.50",
    "TOTAL                   16.50",
    "Thank you, come again!",
]

INVOICE = [
    "INVOICE",
    "Invoice No: INV-2024-0117",
    "Invoice Date: 2024-02-01",
    "Due Date: 2024-03-02",
    "Vendor: Northwind Traders Ltd",
    "Consulting services, January    1,200.00",
    "Total due (EUR)                 1,200.00",
]


def printed_page(lines: list[str], size: tuple[int, int], font_size: int) -> Image.Image:
    font = ImageFont.load_default(font_size)
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    y = font_size * 2
    for line in lines:
        draw.text((font_size * 2, y), line, fill=20, font=font)
        y += int(font_size * 1.8)
    return scanned(page)


def scanned(page: Image.Image) -> Image.Image:
    rng = np.random.default_rng(7)
    blurred = np.asarray(page.filter(ImageFilter.GaussianBlur(0.8)), dtype=np.float32)
    noisy = blurred + rng.normal(0, 10, blurred.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def main() -> None:
    receipt = printed_page(RECEIPT, (620, 520), 22)
    receipt.save(HERE / "receipt.png", optimize=True)
    invoice = printed_page(INVOICE, (760, 420), 22)
    invoice.rotate(90, expand=True).save(HERE / "invoice-rotated.jpg", quality=85)
    invoice.save(HERE / "two-pages.pdf", save_all=True, append_images=[receipt], resolution=150)


if __name__ == "__main__":
    main()
