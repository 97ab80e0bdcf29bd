"""Scoring an extractor against the generator's truth, and reading the pages once (cached).

``field_accuracy(documents, extract)`` takes ``(truth, pages)`` pairs and a function from pages
to :class:`FieldResult` s (``lambda pages: extract_fields("invoice", pages)``) and returns, per
field, how often the value is right, how often the extractor marks it ``ok``, and how often
an ``ok`` value is wrong (the share a reviewer would never look at but should have).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

from ocrflow.ocr_tasks.fields.fit import Tally
from ocrflow.schemas.records import FieldResult, PageResult
from tests.synthetic.invoices import InvoiceTruth

CACHE = Path("/tmp/ocrflow-synthetic-cache")
GENERATOR_VERSION = "2"  # bump when the renders change, so cached readings are not reused

# extractor field name -> truth attribute
TRUTH_OF = {
    "number": "number",
    "date": "issue_date",
    "due_date": "due_date",
    "vendor": "vendor",
    "total": "total",
    "currency": "currency",
    "net": "net",
    "tax": "tax",
    "buyer": "buyer",
    "iban": "iban",
    "vat_id": "vat_id",
}
INVOICE_FIELDS = ("number", "date", "due_date", "vendor", "total", "currency")

Extract = Callable[[Sequence[PageResult]], Sequence[FieldResult]]


def _text(value: object) -> str:
    folded = unicodedata.normalize("NFKC", str(value)).casefold()
    return "".join(char for char in folded if not char.isspace())


def value_matches(name: str, truth: object, found: FieldResult | None) -> bool:
    """Does ``found`` hold the truth? Dates and amounts by value; text after NFKC, case
    folding and dropping whitespace; IBAN and VAT ID also ignoring ``.`` and ``-``."""
    if found is None or truth is None:
        return False
    value = found.value if found.value is not None else found.raw_text
    if isinstance(truth, datetime.date):
        return isinstance(value, datetime.date) and value == truth
    if isinstance(truth, Decimal):
        try:
            return Decimal(str(value)) == truth
        except InvalidOperation:
            return False
    if name in ("iban", "vat_id"):
        return _text(value).replace(".", "").replace("-", "") == _text(truth).replace(
            ".", ""
        ).replace("-", "")
    return _text(value) == _text(truth)


def field_accuracy(
    documents: Iterable[tuple[InvoiceTruth, Sequence[PageResult]]],
    extract: Extract,
    fields: Sequence[str] = INVOICE_FIELDS,
) -> dict[str, dict[str, Any]]:
    """Per field: ``n`` (documents whose truth has the field), ``accuracy`` (right value),
    ``ok`` (share marked ok), ``ok_wrong`` (share of the ok ones that are wrong; 0 when none
    is ok) and ``misses`` (``locale: want … got …`` for the wrong ones). ``"_all"`` sums the
    fields."""
    tallies = {name: Tally() for name in fields}
    for truth, pages in documents:
        found = {result.name: result for result in extract(pages)}
        for name in fields:
            want = getattr(truth, TRUTH_OF[name])
            if want is not None:
                got = found.get(name)
                right = value_matches(name, want, got)
                tallies[name].add(truth.locale, right, got, str(want))
    report = {name: _rates(tally) for name, tally in tallies.items()}
    summed = Tally()
    for tally in tallies.values():
        summed.documents += tally.documents
        summed.right += tally.right
        summed.ok += tally.ok
        summed.ok_wrong += tally.ok_wrong
    report["_all"] = _rates(summed)
    return report


def _rates(tally: Tally) -> dict[str, Any]:
    row = tally.row()
    return {
        "n": tally.documents,
        "accuracy": row["accuracy"],
        "ok": row["share_ok"],
        "ok_wrong": row["ok_wrong"],
        "misses": tally.misses,
    }


def format_accuracy(report: dict[str, dict[str, Any]]) -> str:
    rows = [f"{'field':10} {'n':>4} {'accuracy':>9} {'ok':>6} {'ok wrong':>9}"]
    for name, figures in report.items():
        n, accuracy, ok, ok_wrong = (figures[k] for k in ("n", "accuracy", "ok", "ok_wrong"))
        rows.append(f"{name:10} {n:4d} {accuracy:9.1%} {ok:6.1%} {ok_wrong:9.1%}")
    return "\n".join(rows)


# --- reading the generated documents once ----------------------------------------------


class Generated(Protocol):
    """A generated document (an invoice, a receipt): its seed, its choices and its bytes."""

    seed: int
    choices: dict[str, Any]

    def encode(self) -> tuple[bytes, str]: ...


def _cache_key(document: Generated, model_set: str) -> str:
    choices = json.dumps(document.choices, sort_keys=True, default=str)
    digest = hashlib.sha256(f"{GENERATOR_VERSION}|{document.seed}|{choices}".encode()).hexdigest()[
        :16
    ]
    return f"{model_set}-{document.seed}-{digest}"


def read_documents(
    documents: Sequence[Generated],
    cache: Path = CACHE,
    model_set: str = "ppocrv6-small",
    engine: Any = None,
) -> list[list[PageResult]]:
    """Each document's recognised pages, read with ``engine`` (one made for ``model_set``
    when not given) unless a reading is cached under ``cache``."""
    from ocrflow.ocr_tasks.pipeline import DocumentInput

    cache.mkdir(parents=True, exist_ok=True)
    files = [cache / f"{_cache_key(document, model_set)}.json" for document in documents]
    missing = [
        (document, file)
        for document, file in zip(documents, files, strict=True)
        if not file.exists()
    ]
    if missing:
        if engine is None:
            from ocrflow.ocr_tasks.pipeline import OcrEngine
            from ocrflow.schemas.settings import settings_with

            engine = OcrEngine(settings_with({"models.set": model_set}))
        inputs = []
        for document, _file in missing:
            data, extension = document.encode()
            inputs.append(DocumentInput(f"synthetic-{document.seed}.{extension}", data))
        for (_document, file), result in zip(missing, engine.read(inputs), strict=True):
            pages = [page.model_dump(mode="json") for page in result.pages]
            file.write_text(json.dumps(pages), encoding="utf-8")
    return [
        [PageResult.model_validate(page) for page in json.loads(file.read_text(encoding="utf-8"))]
        for file in files
    ]
