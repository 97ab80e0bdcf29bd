"""Fit the built-in ``receipt`` model on SROIE 000–139 and measure it on SROIE 140–199.

``python -m ocrflow.bench.fit_builtin`` reads the receipts with our OCR (each image once,
cached as JSON under ``--cache``), fits the model on the first 140 receipts only, writes it
to ``ocrflow/ocr_tasks/fields/models/receipt.json`` and prints, on the 60 held-out receipts,
per field: accuracy, the share marked ``ok`` and the share of ``ok`` that is wrong, for the
hand rules (before) and the fitted model (after). ``--no-write`` measures without writing;
``--fit-only`` writes without measuring (so that changes can be tried on other documents,
such as generated receipts, without looking at the held-out ones).
``--dev A-B`` measures on receipts A–B of 000–139 and fits on the others of 000–139, writing
nothing, so that misses can be studied without looking at the held-out receipts.
Text fields count as right when equal ignoring case, spacing and punctuation.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from ocrflow.bench.field_accuracy import DEFAULT_DATA, cached_pages
from ocrflow.ocr_tasks.fields import Scorer, extract_fields
from ocrflow.ocr_tasks.fields.decide import model_path
from ocrflow.ocr_tasks.fields.fit import Labelled, fit_type, format_table, measure
from ocrflow.ocr_tasks.fields.scorer import TypeModel
from ocrflow.schemas.doctypes import Receipt
from ocrflow.schemas.records import FieldResult, PageResult

DEFAULT_CACHE = Path("/tmp/ocrflow-cache")
TRAIN = range(0, 140)
HELD_OUT = range(140, 200)
MIN_CONFIDENCE = 0.5  # the records.min_confidence default


def sroie_documents(
    data: Path, numbers: Sequence[int], cache: Path, model_set: str
) -> list[Labelled]:
    folder = data / "sroie"
    images = [folder / "img" / f"{n:03d}.jpg" for n in numbers]
    documents = []
    for image, page in zip(images, cached_pages(images, cache, model_set), strict=True):
        key = json.loads((folder / "key" / f"{image.stem}.json").read_text("utf-8"))
        documents.append(Labelled(image.stem, [page], {k: str(v) for k, v in key.items()}))
    return documents


TITLES = {
    "today": "before (hand rules on the lines kept, as extraction was)",
    "rules": "hand rules on every line (weak-line fields to review)",
    "model": "after (fitted model on every line)",
}


def evaluate(
    documents: Sequence[Labelled],
    mode: str,
    model: TypeModel | None,
    misses: bool,
    measured: range = HELD_OUT,
) -> str:
    """Per-field figures on ``documents``: ``today`` drops lines under the threshold first
    (what extraction did before), ``rules`` and ``model`` read every line."""
    results = [_extract(d.pages, mode, model) for d in documents]
    tallies = measure(Receipt, documents, results)
    title = f"{TITLES[mode]}, SROIE {_span(measured)}:"
    text = format_table(title, {name: t.row() for name, t in tallies.items()})
    if misses:
        text += "\n" + "\n".join(f"    {m}" for t in tallies.values() for m in t.misses)
    return text


def _extract(pages: Sequence[PageResult], mode: str, model: TypeModel | None) -> list[FieldResult]:
    if mode == "today":
        kept = [
            p.model_copy(
                update={"lines": [line for line in p.lines if line.confidence >= MIN_CONFIDENCE]}
            )
            for p in pages
        ]
        return extract_fields(Receipt, kept, scorer="rules")
    scorer: Scorer = "auto" if mode == "model" else "rules"
    return extract_fields(Receipt, pages, min_confidence=MIN_CONFIDENCE, scorer=scorer, model=model)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--model-set", default="ppocrv6-small")
    parser.add_argument("--no-write", action="store_true", help="measure, do not write")
    parser.add_argument("--misses", action="store_true", help="list every measured miss")
    parser.add_argument(
        "--fit-only", action="store_true", help="fit and write, measure nothing held out"
    )
    parser.add_argument(
        "--dev", metavar="A-B", help="measure on A-B of 000-139, fit on the rest, write nothing"
    )
    args = parser.parse_args(argv)
    measured = _dev_range(args.dev) if args.dev else HELD_OUT
    fitted = [n for n in TRAIN if n not in measured]
    train = sroie_documents(args.data, fitted, args.cache, args.model_set)
    held_out = (
        [] if args.fit_only else sroie_documents(args.data, measured, args.cache, args.model_set)
    )
    fitted_on = "SROIE 000-139" if not args.dev else f"SROIE 000-139 but {_span(measured)}"
    model = fit_type(Receipt, train, fitted_on=f"{fitted_on} (python -m ocrflow.bench.fit_builtin)")
    print(format_table(f"cross-validated on {fitted_on}:", model.figures))
    for mode in TITLES if held_out else ():
        print(evaluate(held_out, mode, model, args.misses, measured))
    if not (args.no_write or args.dev):
        model.save(model_path(Receipt))
        print(f"wrote {model_path(Receipt)}")


def _span(numbers: range) -> str:
    return f"{numbers.start:03d}-{numbers.stop - 1:03d}"


def _dev_range(text: str) -> range:
    first, last = (int(part) for part in text.split("-"))
    if not (TRAIN.start <= first <= last < TRAIN.stop):
        raise SystemExit(f"--dev {text}: not within {_span(TRAIN)}")
    return range(first, last + 1)


if __name__ == "__main__":
    main()
