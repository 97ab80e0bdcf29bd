"""Fit the built-in ``invoice`` model on generated invoices and measure it on others.

``python -m tests.synthetic.fit`` draws ``--train`` invoices with seed 1 and ``--held-out``
invoices with seed 2 (other vendors, numbers, layouts and languages, drawn the same way),
reads them with our OCR (cached, see :func:`tests.synthetic.scoring.read_documents`), fits
the model on the first set only and prints, on the second, per field: accuracy, the share
marked ``ok`` and the share of ``ok`` that is wrong, for the hand rules (before) and the
fitted model (after); then writes ``ocrflow/ocr_tasks/fields/models/invoice.json`` unless
``--no-write``. ``../shared/data`` holds no invoices, so the generator is the only labelled
source this project has; figures on real invoices are measured outside it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ocrflow.ocr_tasks.fields import Scorer, extract_fields
from ocrflow.ocr_tasks.fields.decide import model_path
from ocrflow.ocr_tasks.fields.fit import Labelled, fit_type, format_table, measure
from ocrflow.ocr_tasks.fields.scorer import TypeModel
from ocrflow.schemas.doctypes import Invoice
from tests.synthetic.examples import make_invoices
from tests.synthetic.scoring import read_documents

TRAIN_SEED, HELD_OUT_SEED = 1, 2
MIN_CONFIDENCE = 0.5  # the records.min_confidence default


def labelled(count: int, seed: int) -> list[Labelled]:
    documents = make_invoices(count, seed)
    pages = read_documents(documents)
    return [
        Labelled(f"seed{d.seed}-{d.truth.locale}", p, d.truth.key())
        for d, p in zip(documents, pages, strict=True)
    ]


def evaluate(documents: Sequence[Labelled], scorer: Scorer, model: TypeModel | None) -> str:
    results = [
        extract_fields(Invoice, d.pages, min_confidence=MIN_CONFIDENCE, scorer=scorer, model=model)
        for d in documents
    ]
    tallies = measure(Invoice, documents, results)
    title = (
        "after (fitted model, ok when the rules agree)"
        if scorer == "auto"
        else "before (hand rules)"
    )
    return format_table(f"{title}, held-out seed {HELD_OUT_SEED}:", {
        name: t.row() for name, t in tallies.items()
    })  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--train", type=int, default=60)
    parser.add_argument("--held-out", type=int, default=40)
    parser.add_argument("--no-write", action="store_true", help="measure, do not write")
    args = parser.parse_args(argv)
    train = labelled(args.train, TRAIN_SEED)
    held_out = labelled(args.held_out, HELD_OUT_SEED)
    fitted_on = f"{args.train} generated invoices, seed {TRAIN_SEED} (tests.synthetic.fit)"
    model = fit_type(Invoice, train, fitted_on=fitted_on)
    model = model.model_copy(update={"needs_rules_agreement": True})
    print(format_table(f"cross-validated on the {args.train} training invoices:", model.figures))
    print(evaluate(held_out, "rules", None))
    print(evaluate(held_out, "auto", model))
    if not args.no_write:
        model.save(model_path(Invoice))
        print(f"wrote {model_path(Invoice)}")


if __name__ == "__main__":
    main()
