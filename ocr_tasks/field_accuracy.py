"""Field extraction accuracy from pixels: ``receipt`` on SROIE, ``form`` on FUNSD.

``python -m ocr_tasks.field_accuracy --sroie 200 --funsd 50`` reads the images with our OCR
(cached as one JSON file per page under ``--cache``, so the extractor can be tuned without
reading again), runs the extractor and prints:

* SROIE: per-field exact-match accuracy of the ``receipt`` type against ``key/NNN.json``.
  Text fields (company, address) match when equal after case folding and collapsing
  whitespace (spaces around punctuation are dropped too: the key has ``BOOK TA .K (TAMAN``
  where the receipt prints ``BOOK TA .K(TAMAN``); ``date`` matches when both parse to the same
  calendar date; ``total`` when both parse to the same number. A missing field is a miss.
* FUNSD: precision and recall of the ``form`` type's key → value pairs against the
  annotation's question → answer links. A predicted pair matches a link when its key equals
  the question and its value equals the answer, both normalised (case folded, all whitespace
  and the punctuation ``: . , ; - / ( ) _ *`` dropped; a link's answers to the same question
  are joined in reading order first). Each link and each prediction counts once (greedy
  one-to-one). Links whose question or answer is empty after normalising are not counted.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ocr_tasks.fields import extract_fields, parse_amount, parse_date
from schemas.doctypes import get_document_type
from schemas.records import FieldResult, PageResult

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_CACHE = Path("/tmp/ocrflow-field-cache")
SROIE_FIELDS = ("company", "date", "address", "total")
_PUNCT_SPACE = re.compile(r"\s*([.,:;&()/\-])\s*")
_FORM_DROP = re.compile(r"[\s:.,;\-/()_*]+")


# --- reading pages through the cache ----------------------------------------------------


def cached_pages(images: Sequence[Path], cache: Path, model_set: str) -> Iterator[PageResult]:
    """Each image's first page, read with our OCR unless a cached reading exists."""
    folder = cache / model_set
    folder.mkdir(parents=True, exist_ok=True)
    missing = [p for p in images if not _cache_file(folder, p).exists()]
    if missing:
        _read_into_cache(missing, folder, model_set)
    for image in images:
        text = _cache_file(folder, image).read_text(encoding="utf-8")
        yield PageResult.model_validate_json(text)


def _cache_file(folder: Path, image: Path) -> Path:
    return folder / f"{image.parent.parent.name}-{image.parent.name}-{image.stem}.json"


def _read_into_cache(images: Sequence[Path], folder: Path, model_set: str) -> None:
    from ocr_tasks.pipeline import OcrEngine
    from schemas.settings import OcrSettings

    engine = OcrEngine(OcrSettings(model_set=model_set))
    for start in range(0, len(images), 4):
        chunk = images[start : start + 4]
        for image, document in zip(chunk, engine.read_paths(chunk), strict=True):
            page = document.pages[0] if document.pages else PageResult(number=1, width=0, height=0)
            _cache_file(folder, image).write_text(page.model_dump_json(), encoding="utf-8")
        print(f"  read {start + len(chunk)}/{len(images)}", flush=True)
