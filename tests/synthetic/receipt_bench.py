"""Measure the built-in ``receipt`` model on generated receipts it was never fitted on.

``python -m tests.synthetic.receipt_bench --count 60 --seed 3`` draws receipts from
:mod:`tests.synthetic.receipts` (shops, layouts and total labels that SROIE's receipts do not
have), reads them with our OCR (cached under /tmp) and prints, per field, accuracy, the share
marked ``ok`` and the share of ``ok`` that is wrong, for the hand rules and for the shipped
model. ``--misses`` lists every miss. The built-in model is fitted on ``../shared/data`` only
(``python -m ocrflow.bench.fit_builtin``); these receipts measure how it holds elsewhere.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from ocrflow.ocr_tasks.fields import Scorer, extract_fields
from ocrflow.ocr_tasks.fields.fit import Labelled, format_table, measure
from ocrflow.schemas.doctypes import Receipt
from tests.synthetic.receipts import GENERATOR_VERSION, make_receipts
from tests.synthetic.scoring import read_documents

CACHE = Path(f"/tmp/ocrflow-receipt-cache-{GENERATOR_VERSION}")
MIN_CONFIDENCE = 0.5  # the records.min_confidence default


def labelled_receipts(count: int, seed: int) -> list[Labelled]:
    receipts = make_receipts(count, seed)
    pages = read_documents(receipts, cache=CACHE)
    return [
        Labelled(f"seed{r.seed}-{r.truth.locale}", p, r.truth.key(), group=r.truth.company)
        for r, p in zip(receipts, pages, strict=True)
    ]


def evaluate(documents: Sequence[Labelled], scorer: Scorer, misses: bool) -> str:
    results = [
        extract_fields(Receipt, d.pages, min_confidence=MIN_CONFIDENCE, scorer=scorer)
        for d in documents
    ]
    tallies = measure(Receipt, documents, results)
    title = "shipped model" if scorer == "auto" else "hand rules"
    text = format_table(f"{title}, {len(documents)} generated receipts:", {
        name: t.row() for name, t in tallies.items()
    })  # fmt: skip
    if misses:
        text += "\n" + "\n".join(f"    {n} {m}" for n, t in tallies.items() for m in t.misses)
    return text


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--misses", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    documents = labelled_receipts(args.count, args.seed)
    print(evaluate(documents, "rules", args.misses))
    print(evaluate(documents, "auto", args.misses))


if __name__ == "__main__":
    main()
