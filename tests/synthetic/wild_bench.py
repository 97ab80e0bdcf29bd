"""Held-out ``invoice`` figures on the second generator (``tests/synthetic/wild.py``).

``python -m tests.synthetic.wild_bench --count 40 --seed 7 [--misses]`` renders ``count``
documents (seeds ``seed * 1000 + i``), reads them with the project's OCR (readings cached as
JSON under ``/tmp/ocrflow-wild-cache``, keyed by model set, generator version, seed and a hash
of the rendered bytes), runs ``extract_fields("invoice", pages)`` and prints per field: the
documents whose truth has it, accuracy, share marked ``ok``, share of the ``ok`` ones that are
wrong, and (for fields a document may lack) how often a value was found where none is printed.
``--misses`` adds one line per wrong value. ``absent→found (ok)``: of the documents that
lack an optional field, how many got one, and (in brackets) how many of those were marked ``ok``.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from ocrflow.schemas.records import FieldResult, PageResult
from tests.synthetic.scoring import value_matches
from tests.synthetic.wild import WILD_VERSION, WildInvoice, make_wild_document

CACHE = Path("/tmp/ocrflow-wild-cache")
FIELDS = ("number", "date", "due_date", "total", "net", "tax", "vendor", "iban", "vat_id")
OPTIONAL = ("due_date", "iban", "vat_id")


def document_seeds(seed: int, count: int) -> list[int]:
    return [seed * 1000 + index for index in range(count)]


def typed_truth(truth: dict[str, str]) -> dict[str, object]:
    """The truth strings as the values :func:`value_matches` compares: dates, Decimals."""
    typed: dict[str, object] = {}
    for name, value in truth.items():
        if name in ("date", "due_date"):
            typed[name] = datetime.date.fromisoformat(value)
        elif name in ("total", "net", "tax"):
            typed[name] = Decimal(value)
        else:
            typed[name] = value
    return typed


def _cache_file(document: WildInvoice, data: bytes, cache: Path, model_set: str) -> Path:
    digest = hashlib.sha256(data).hexdigest()[:12]
    return cache / f"{model_set}-wild{WILD_VERSION}-{document.seed}-{digest}.json"


def read_wild(
    documents: Sequence[WildInvoice],
    cache: Path = CACHE,
    model_set: str = "ppocrv6-small",
    engine: Any = None,
) -> list[list[PageResult]]:
    """Each document's recognised pages, read once and cached under ``cache``."""
    from ocrflow.ocr_tasks.pipeline import DocumentInput

    cache.mkdir(parents=True, exist_ok=True)
    encoded = [document.encode() for document in documents]
    files = [
        _cache_file(document, data, cache, model_set)
        for document, (data, _extension) in zip(documents, encoded, strict=True)
    ]
    missing = [
        (document, data, extension, file)
        for document, (data, extension), file in zip(documents, encoded, files, strict=True)
        if not file.exists()
    ]
    if missing:
        if engine is None:
            from ocrflow.ocr_tasks.pipeline import OcrEngine
            from ocrflow.schemas.settings import settings_with

            engine = OcrEngine(settings_with({"models.set": model_set}))
        inputs = [
            DocumentInput(f"wild-{document.seed}.{extension}", data)
            for document, data, extension, _file in missing
        ]
        for (*_rest, file), result in zip(missing, engine.read(inputs), strict=True):
            pages = [page.model_dump(mode="json") for page in result.pages]
            file.write_text(json.dumps(pages), encoding="utf-8")
    return [
        [PageResult.model_validate(page) for page in json.loads(file.read_text(encoding="utf-8"))]
        for file in files
    ]


def _found(result: FieldResult | None) -> bool:
    return result is not None and (result.value is not None or bool(result.raw_text.strip()))


def score(
    documents: Sequence[WildInvoice],
    results: Sequence[Sequence[FieldResult]],
    fields: Sequence[str] = FIELDS,
) -> tuple[dict[str, dict[str, float]], list[dict[str, Any]]]:
    """Per-field figures and the misses."""
    table = {
        name: {
            "n": 0,
            "right": 0,
            "ok": 0,
            "ok_wrong": 0,
            "absent": 0,
            "absent_found": 0,
            "absent_ok": 0,
        }
        for name in fields
    }
    misses = []
    for index, (document, found) in enumerate(zip(documents, results, strict=True)):
        truth = typed_truth(document.truth)
        by_name = {result.name: result for result in found}
        for name in fields:
            got = by_name.get(name)
            row = table[name]
            if name not in truth:
                row["absent"] += 1
                row["absent_found"] += _found(got)
                row["absent_ok"] += _found(got) and got is not None and got.status == "ok"
                continue
            right = value_matches(name, truth[name], got)
            ok = got is not None and got.status == "ok"
            row["n"] += 1
            row["right"] += right
            row["ok"] += ok
            row["ok_wrong"] += ok and not right
            if not right:
                misses.append(
                    {
                        "index": index,
                        "seed": document.seed,
                        "layout": f"{document.choices['language']}/{document.choices['family']}"
                        f"/{document.choices['pages']}p",
                        "field": name,
                        "truth": document.truth[name],
                        "value": None if got is None else got.value,
                        "status": None if got is None else got.status,
                        "raw_text": None if got is None else got.raw_text,
                    }
                )
    return table, misses


def format_table(table: dict[str, dict[str, float]]) -> str:
    rows = [
        f"{'field':9} {'n':>3} {'accuracy':>9} {'ok':>7} {'ok wrong':>9} {'absent→found (ok)':>18}"
    ]
    total = {"n": 0, "right": 0, "ok": 0, "ok_wrong": 0}
    for name, row in table.items():
        n = max(row["n"], 1)
        absent = (
            f"{row['absent_found']}/{row['absent']} ({row['absent_ok']})"
            if name in OPTIONAL
            else ""
        )
        rows.append(
            f"{name:9} {row['n']:3d} {row['right'] / n:9.1%} {row['ok'] / n:7.1%} "
            f"{row['ok_wrong'] / max(row['ok'], 1):9.1%} {absent:>18}"
        )
        for key in total:
            total[key] += row[key]
    n = max(total["n"], 1)
    rows.append(
        f"{'_all':9} {total['n']:3d} {total['right'] / n:9.1%} {total['ok'] / n:7.1%} "
        f"{total['ok_wrong'] / max(total['ok'], 1):9.1%}"
    )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> None:
    from ocrflow.ocr_tasks.fields import extract_fields

    parser = argparse.ArgumentParser(prog="python -m tests.synthetic.wild_bench")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--model-set", default="ppocrv6-small")
    parser.add_argument("--misses", action="store_true", help="one line per wrong value")
    args = parser.parse_args(argv)

    documents = [make_wild_document(seed) for seed in document_seeds(args.seed, args.count)]
    readings = read_wild(documents, model_set=args.model_set)
    results = [extract_fields("invoice", pages) for pages in readings]
    table, misses = score(documents, results)
    pages = sum(len(document.pages) for document in documents)
    print(f"{len(documents)} wild invoices ({pages} pages), seed {args.seed}, v{WILD_VERSION}")
    print(format_table(table))
    if args.misses:
        print()
        for miss in misses:
            print(
                f"#{miss['index']:<3} {miss['layout']:20} {miss['field']:9} "
                f"want {miss['truth']!r} got {miss['value']!r} [{miss['status']}] "
                f"raw {miss['raw_text']!r}"
            )


if __name__ == "__main__":
    main()
