"""Pages per second of born-digital PDFs read from their text layer against the same pages OCR'd.

The pages are SROIE receipts rebuilt as born-digital PDFs: each ground-truth line typeset in
Helvetica where the scan has it, at the scan's 150 dpi page size. Both engines read the same
files in one call each, after a warm-up, in this process::

    python -m ocrflow.bench.pdf_text --pages 20

It prints pages/s for ``pdf_text=auto`` (the text layer) and ``pdf_text=ocr``, and how close
the OCR'd text comes to the text layer (the text typeset), as a check that both read the pages.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from PIL import Image
from rapidfuzz.distance import Levenshtein

from ocrflow.bench.born_digital import PageSpec, TextRun, pdf_document
from ocrflow.bench.evaluation import shared_data_dir
from ocrflow.ocr_tasks.pipeline import DocumentInput, OcrEngine
from ocrflow.schemas.records import DocumentResult
from ocrflow.schemas.settings import settings_with

_SROIE_DPI = 150
_POINTS_PER_PIXEL = 72 / _SROIE_DPI


def receipt_page(image: Path, boxes: Path) -> PageSpec:
    """The receipt's ground-truth lines typeset where the scan prints them."""
    with Image.open(image) as scan:
        width, height = scan.size
    runs = []
    for row in boxes.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = row.split(",", 8)
        if len(parts) < 9 or not parts[8].strip():
            continue
        xs, ys = [float(v) for v in parts[0:8:2]], [float(v) for v in parts[1:8:2]]
        size = max((max(ys) - min(ys)) * _POINTS_PER_PIXEL * 0.9, 4.0)
        text = parts[8].strip().encode("latin-1", "replace").decode("latin-1")
        runs.append(TextRun(text, min(xs) * _POINTS_PER_PIXEL, min(ys) * _POINTS_PER_PIXEL, size))
    return PageSpec(width * _POINTS_PER_PIXEL, height * _POINTS_PER_PIXEL, tuple(runs))


def born_digital_receipts(count: int, data: Path) -> list[DocumentInput]:
    sroie = data / "sroie"
    images = sorted((sroie / "img").glob("*.jpg"))[:count]
    return [
        DocumentInput(
            f"{image.stem}.pdf",
            pdf_document([receipt_page(image, sroie / "box" / f"{image.stem}.csv")]),
        )
        for image in images
    ]


def timed_read(engine: OcrEngine, documents: Sequence[DocumentInput]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    results = engine.read(documents)
    seconds = time.perf_counter() - started
    return seconds, [_text(result) for result in results]


def _text(result: DocumentResult) -> str:
    """The words read, sorted: the two paths may cut and order lines differently."""
    assert result.status == "done", result.error
    return " ".join(sorted(" ".join(line.text for p in result.pages for line in p.lines).split()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=20, help="born-digital receipts to read")
    args = parser.parse_args(argv)
    documents = born_digital_receipts(args.pages, shared_data_dir())
    texts: dict[str, list[str]] = {}
    for mode in ("auto", "ocr"):
        engine = OcrEngine(settings_with({"decoding.pdf_text": mode}))
        engine.read(documents[:1])  # warm-up
        seconds, texts[mode] = timed_read(engine, documents)
        engine.close()
        print(
            f"pdf_text={mode:<5} {len(documents)} pages {seconds:7.2f} s "
            f"{len(documents) / seconds:8.2f} pages/s",
            flush=True,
        )
    distance = sum(
        Levenshtein.distance(ocr, text)
        for ocr, text in zip(texts["ocr"], texts["auto"], strict=True)
    )
    typeset = max(sum(map(len, texts["auto"])), 1)
    print(f"OCR against the text layer (sorted words): CER {distance / typeset:.1%}")


if __name__ == "__main__":
    main()
