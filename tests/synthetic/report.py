"""The current ``invoice`` extractor on generated invoices: ``python -m tests.synthetic.report``.

Reads ``--count`` invoices drawn with ``--seed`` (OCR cached under /tmp, so a second run only
re-runs the extractor) and prints per-field accuracy, the share marked ok and the share of
ok values that are wrong, then the misses with ``--misses``.
"""

from __future__ import annotations

import argparse
import time

from ocrflow.ocr_tasks.fields import extract_fields
from tests.synthetic.examples import make_invoices
from tests.synthetic.scoring import CACHE, field_accuracy, format_accuracy, read_documents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model-set", default="ppocrv6-small")
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    documents = make_invoices(args.count, args.seed)
    generated = time.perf_counter()
    pages = read_documents(documents, CACHE, args.model_set)
    read = time.perf_counter()
    page_count = sum(len(d.pages) for d in documents)
    print(
        f"{args.count} invoices, {page_count} pages: generated in {generated - started:.1f}s, "
        f"read in {read - generated:.1f}s ({(read - generated) / page_count:.2f} s/page; "
        "about 0 when the readings were cached)"
    )
    pairs = [(d.truth, p) for d, p in zip(documents, pages, strict=True)]
    report = field_accuracy(pairs, lambda found: extract_fields("invoice", found))
    print(format_accuracy(report))
    print("by language (all fields):")
    for language in sorted({truth.language for truth, _pages in pairs}):
        subset = [(truth, p) for truth, p in pairs if truth.language == language]
        figures = field_accuracy(subset, lambda found: extract_fields("invoice", found))["_all"]
        print(
            f"  {language}: {len(subset):2d} documents, accuracy {figures['accuracy']:.1%}, "
            f"ok {figures['ok']:.1%}, ok wrong {figures['ok_wrong']:.1%}"
        )
    print("injected (an extractor should flag these for review):")
    for document, found in zip(documents, pages, strict=True):
        truth = document.truth
        if not (truth.errors or truth.ambiguous):
            continue
        fields = {f.name: f for f in extract_fields("invoice", found)}
        watched = "date" if truth.ambiguous and not truth.errors else "total"
        result = fields.get(watched)
        shown = "absent" if result is None else f"{result.raw_text!r} {result.status}"
        what = truth.errors or truth.ambiguous
        print(f"  seed {document.seed} {truth.locale} {what}: {watched} {shown}")
    if args.misses:
        for name, figures in report.items():
            for miss in figures["misses"]:
                print(f"  {name}: {miss}")


if __name__ == "__main__":
    main()
