"""The benchmark's page set: image files, each with the ground truth found beside it.

Ground truth is recognised by layout, so a folder of the shared data sets works as is:

* SROIE: ``…/img/NAME.jpg`` with ``…/box/NAME.csv`` (line boxes);
* FUNSD: ``…/images/NAME.png`` with ``…/annotations/NAME.json`` (word boxes);
* whole-page text: ``NAME.txt`` or ``NAME.gold.txt`` beside the image (Tesseract pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ocrflow.bench.evaluation import (
    ErrorCount,
    load_funsd_words,
    load_sroie_lines,
    page_lines,
    score_funsd_page,
    score_page_text,
    score_sroie_page,
    shared_data_dir,
)
from ocrflow.schemas.records import PageResult

TruthKind = Literal["sroie", "funsd", "text"]

PAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf", ".bmp", ".webp")
SAMPLES_DIR = Path(__file__).resolve().parents[2] / "samples"


@dataclass(frozen=True)
class BenchPage:
    """One document file of the set and, when there is one, its ground truth."""

    image: Path
    truth_kind: TruthKind | None = None
    truth: Path | None = None

    def score(self, page: PageResult) -> ErrorCount | None:
        """Errors of the first page read from this file; None without ground truth."""
        if self.truth is None:
            return None
        if self.truth_kind == "sroie":
            return score_sroie_page(load_sroie_lines(self.truth), page_lines(page))
        if self.truth_kind == "funsd":
            return score_funsd_page(load_funsd_words(self.truth), page_lines(page))
        reference = self.truth.read_text(encoding="utf-8", errors="replace")
        return score_page_text(reference, page.text)


def find_truth(image: Path) -> tuple[TruthKind | None, Path | None]:
    folder, stem = image.parent, image.stem
    candidates: list[tuple[TruthKind, Path]] = [
        ("sroie", folder.parent / "box" / f"{stem}.csv"),
        ("funsd", folder.parent / "annotations" / f"{stem}.json"),
        ("text", folder / f"{stem}.gold.txt"),
        ("text", folder / f"{stem}.txt"),
    ]
    for kind, path in candidates:
        if path.is_file():
            return kind, path
    return None, None


def pages_in(folder: Path, limit: int | None = None) -> list[BenchPage]:
    """The page files of a folder, by name, with their ground truth."""
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in PAGE_SUFFIXES)
    return [BenchPage(image, *find_truth(image)) for image in images[:limit]]


def default_pages(sroie: int, funsd: int) -> list[BenchPage]:
    """The first SROIE receipts and FUNSD forms of the shared data, else the repo's samples."""
    root = shared_data_dir()
    folders = [
        (root / "sroie" / "img", sroie),
        (root / "funsd" / "training_data" / "images", funsd),
    ]
    pages = [p for folder, count in folders if folder.is_dir() for p in pages_in(folder, count)]
    return pages or pages_in(SAMPLES_DIR)
