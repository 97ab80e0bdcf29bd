"""Field extraction accuracy from pixels: ``receipt`` on SROIE, ``form`` on FUNSD.

``python -m ocrflow.bench.field_accuracy --sroie 200 --funsd 50`` reads the images with our OCR
(cached as one JSON file per page under ``--cache``, so the extractor can be tuned without
reading again), runs the extractor and prints:

* SROIE: per-field exact-match accuracy of the ``receipt`` type against ``key/NNN.json``.
  Text fields (company, address) match when equal after NFKC, case folding and dropping all
  whitespace (the key has ``BOOK TA .K (TAMAN`` where the receipt prints ``BOOK TA .K(TAMAN``);
  a second figure also ignores punctuation (the key adds commas where address lines join).
  ``date`` matches when both parse to the same calendar date; ``total`` when both parse to
  the same number. A missing field is a miss.
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
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ocrflow.ocr_tasks.fields import extract_fields, parse_amount, parse_date
from ocrflow.schemas.doctypes import get_document_type
from ocrflow.schemas.records import FieldResult, PageResult

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
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
    from ocrflow.ocr_tasks.pipeline import OcrEngine
    from ocrflow.schemas.settings import settings_with

    engine = OcrEngine(settings_with({"models.set": model_set}))
    for start in range(0, len(images), 4):
        chunk = images[start : start + 4]
        for image, document in zip(chunk, engine.read_paths(chunk), strict=True):
            page = document.pages[0] if document.pages else PageResult(number=1, width=0, height=0)
            _cache_file(folder, image).write_text(page.model_dump_json(), encoding="utf-8")
        print(f"  read {start + len(chunk)}/{len(images)}", flush=True)


# --- SROIE: receipt fields --------------------------------------------------------------


@dataclass
class FieldTally:
    """Exact matches of one field over the documents scored."""

    matched: int = 0
    loose: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)


def normalise_text(text: str) -> str:
    """Case folded, whitespace dropped (the key's spacing around punctuation differs)."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def loose_text(text: str) -> str:
    """Letters and digits only: also ignores the commas the key adds where lines join."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in folded if char.isalnum())


def sroie_field_matches(name: str, truth: str, found: FieldResult | None) -> tuple[bool, bool]:
    """(exact, loose) match of one predicted field against the key's value."""
    if found is None or not truth.strip():
        return False, False
    if name == "date":
        same = found.value is not None and found.value == parse_date(truth)
        return same, same
    if name == "total":
        same = found.value is not None and found.value == parse_amount(truth)
        return same, same
    predicted = found.raw_text if found.value is None else str(found.value)
    exact = normalise_text(predicted) == normalise_text(truth)
    return exact, exact or loose_text(predicted) == loose_text(truth)


def score_sroie(data: Path, count: int, cache: Path, model_set: str) -> dict[str, FieldTally]:
    images = sorted((data / "sroie" / "img").glob("*.jpg"))[:count]
    receipt = get_document_type("receipt")
    tallies = {name: FieldTally() for name in SROIE_FIELDS}
    for image, page in zip(images, cached_pages(images, cache, model_set), strict=True):
        key = json.loads((data / "sroie" / "key" / f"{image.stem}.json").read_text("utf-8"))
        found = {f.name: f for f in extract_fields(receipt, [page])}
        for name, tally in tallies.items():
            exact, loose = sroie_field_matches(name, str(key.get(name, "")), found.get(name))
            tally.total += 1
            tally.matched += exact
            tally.loose += loose
            if not exact:
                got = found[name].raw_text if name in found else None
                tally.misses.append(f"{image.stem}: want {key.get(name)!r} got {got!r}")
    return tallies


# --- FUNSD: form pairs ------------------------------------------------------------------


@dataclass
class PairTally:
    """Predicted pairs, annotated links, and how many of them matched; of the predictions,
    how many were marked ``ok`` and how many of those matched."""

    predicted: int = 0
    truth: int = 0
    matched: int = 0
    ok: int = 0
    ok_matched: int = 0

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.truth if self.truth else 0.0

    @property
    def share_ok(self) -> float:
        return self.ok / self.predicted if self.predicted else 0.0

    @property
    def ok_wrong(self) -> float:
        return (self.ok - self.ok_matched) / self.ok if self.ok else 0.0

    def add(self, other: PairTally) -> None:
        self.predicted += other.predicted
        self.truth += other.truth
        self.matched += other.matched
        self.ok += other.ok
        self.ok_matched += other.ok_matched


def normalise_form(text: str) -> str:
    return _FORM_DROP.sub("", text.casefold())


def funsd_answers(annotation: dict[str, object]) -> dict[int, list[dict[str, object]]]:
    """Per question entity id, its linked answer entities."""
    entities = {e["id"]: e for e in annotation["form"]}  # type: ignore[attr-defined]
    answers: dict[int, list[dict[str, object]]] = {}
    for entity in entities.values():
        for source, target in entity["linking"]:
            if source != entity["id"] or target not in entities:
                continue
            if entity["label"] == "question" and entities[target]["label"] == "answer":
                answers.setdefault(source, []).append(entities[target])
    return answers


def funsd_links(annotation: dict[str, object]) -> list[tuple[str, str]]:
    """Normalised (question, answer) pairs; a question's several answers joined in order."""
    entities = {e["id"]: e for e in annotation["form"]}  # type: ignore[attr-defined]
    answers = funsd_answers(annotation)
    links: list[tuple[str, str]] = []
    for question, found in answers.items():
        found.sort(key=lambda e: (e["box"][1], e["box"][0]))  # type: ignore[index]
        key = normalise_form(str(entities[question]["text"]))
        value = normalise_form(" ".join(str(e["text"]) for e in found))
        if key and value:
            links.append((key, value))
    return links


def score_funsd_page(
    page: PageResult,
    links: list[tuple[str, str]],
    extract: Callable[[PageResult], list[FieldResult]] | None = None,
) -> PairTally:
    """``extract``: how the page's pairs are found (default: the ``form`` type as shipped)."""
    found = extract(page) if extract is not None else extract_fields("form", [page])
    remaining = list(links)
    tally = PairTally(predicted=len(found), truth=len(links))
    for result in found:
        pair = (normalise_form(result.name), normalise_form(result.raw_text))
        right = pair in remaining
        if right:
            remaining.remove(pair)
        tally.matched += right
        tally.ok += result.status == "ok"
        tally.ok_matched += right and result.status == "ok"
    return tally


def funsd_images(data: Path) -> list[Path]:
    """FUNSD's training forms in file-name order (each with ``annotations/NAME.json``)."""
    return sorted((data / "funsd" / "training_data" / "images").glob("*.png"))


def funsd_annotation(image: Path) -> dict[str, object]:
    path = image.parent.parent / "annotations" / f"{image.stem}.json"
    annotation: dict[str, object] = json.loads(path.read_text("utf-8"))
    return annotation


def score_funsd(data: Path, count: int, cache: Path, model_set: str) -> PairTally:
    images = funsd_images(data)[:count]
    tally = PairTally()
    for image, page in zip(images, cached_pages(images, cache, model_set), strict=True):
        tally.add(score_funsd_page(page, funsd_links(funsd_annotation(image))))
    return tally


# --- command line -----------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sroie", type=int, default=200, help="receipts to score (0: none)")
    parser.add_argument("--funsd", type=int, default=50, help="forms to score (0: none)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--model-set", default="ppocrv6-small")
    parser.add_argument("--misses", action="store_true", help="list every SROIE miss")
    args = parser.parse_args(argv)
    if args.sroie:
        tallies = score_sroie(args.data, args.sroie, args.cache, args.model_set)
        print(f"SROIE receipt fields over {args.sroie} receipts (exact / ignoring punctuation):")
        for name, tally in tallies.items():
            print(
                f"  {name:8} {tally.matched / tally.total:6.1%}  {tally.loose / tally.total:6.1%}"
            )
            if args.misses:
                print("\n".join(f"      {miss}" for miss in tally.misses))
    if args.funsd:
        pairs = score_funsd(args.data, args.funsd, args.cache, args.model_set)
        print(
            f"FUNSD form pairs over {args.funsd} forms: precision {pairs.precision:.1%} "
            f"({pairs.matched}/{pairs.predicted}), recall {pairs.recall:.1%} "
            f"({pairs.matched}/{pairs.truth})"
        )


if __name__ == "__main__":
    main()
