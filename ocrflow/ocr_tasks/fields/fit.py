"""Fit a document type's model from labelled documents, and measure extraction honestly.

A labelled document is its recognised pages and the expected value of each field as printed
(``{"date": "25/12/2018", "total": "9.00", ...}``, the shape of SROIE's ``key/NNN.json``).
A candidate is right when it means the expected value: the same date, the same number, the
same text once case, spacing and punctuation are ignored.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

import numpy as np

from ocrflow.ocr_tasks.fields.decide import as_example, document_candidates
from ocrflow.ocr_tasks.fields.layout import page_lines
from ocrflow.ocr_tasks.fields.localise import localised_specs
from ocrflow.ocr_tasks.fields.scorer import TARGET_ERROR, Example, TypeModel, figures, fit_field
from ocrflow.ocr_tasks.fields.values import find_int, find_phone, find_value
from ocrflow.schemas.doctypes import DocumentType, FieldSpec
from ocrflow.schemas.records import FieldResult, FieldValue, PageResult


@dataclass(frozen=True)
class Labelled:
    """One document for fitting or measuring: its pages and expected values."""

    name: str
    pages: Sequence[PageResult]
    expected: Mapping[str, str]
    group: str | None = None  # documents of one issuer; default: the first lines' text

    def group_key(self) -> str:
        if self.group is not None:
            return self.group
        lines = page_lines(self.pages[:1])[:GROUP_LINES]
        return loose(" ".join(line.text for line in lines))


GROUP_LINES = 2  # a document's first lines name its issuer: one shop's receipts are a group


def loose(text: str) -> str:
    """Letters and digits only, case folded (spacing and punctuation differ between the
    print and a transcript)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in folded if char.isalnum())


def expected_value(spec: FieldSpec, text: str) -> FieldValue | None:
    """The expected text read as the field's kind, in its locale (None when it does not
    parse); text fields compare loosely."""
    if spec.kind == "str":
        return loose(text) or None
    if spec.kind == "int":
        found = find_int(text)
    elif spec.kind == "phone":
        found = find_phone(text)
    else:
        found = find_value(spec, text)
    return found.value if found is not None else None


def matches(spec: FieldSpec, value: FieldValue | None, truth: str) -> bool:
    if value is None or not truth.strip():
        return False
    want = expected_value(spec, truth)
    if spec.kind == "str":
        return want is not None and loose(str(value)) == want
    if isinstance(value, (Decimal, int)) and isinstance(want, (Decimal, int)):
        return Decimal(value) == Decimal(want)
    if isinstance(value, datetime.date):
        return value == want
    return want is not None and str(value) == str(want)


# --- fitting -----------------------------------------------------------------------------


def field_examples(
    kind: type[DocumentType], documents: Sequence[Labelled], locale: str | None = None
) -> dict[str, list[Example]]:
    """Per field, one example per document that states the field's expected value."""
    specs = localised_specs(kind, locale)
    examples: dict[str, list[Example]] = {spec.name: [] for spec in specs}
    for document in documents:
        for found in document_candidates(specs, page_lines(document.pages)):
            truth = document.expected.get(found.spec.name)
            if truth is None:
                continue
            right = np.array([matches(found.spec, c.value, str(truth)) for c in found.candidates])
            example = as_example(found, right.astype(bool))
            examples[found.spec.name].append(replace(example, group=document.group_key()))
    return examples


def fit_type(
    kind: type[DocumentType],
    documents: Sequence[Labelled],
    target_error: float = TARGET_ERROR,
    fitted_on: str = "",
    locale: str | None = None,
) -> TypeModel:
    """The type's model; its ``figures`` are by 5-fold cross-validation over ``documents``."""
    fields = {}
    cross: dict[str, dict[str, float]] = {}
    for name, examples in field_examples(kind, documents, locale).items():
        if not examples:
            continue
        fit = fit_field(examples, folds=min(5, max(len(examples), 2)), target=target_error)
        fields[name] = fit.model
        cross[name] = figures(fit.right, fit.confidence, fit.model.threshold)
    return TypeModel(document_type=kind.type_name, target_error=target_error, fields=fields,
                     fitted_on=fitted_on, figures=cross)  # fmt: skip


# --- measuring ---------------------------------------------------------------------------


@dataclass
class Tally:
    """One field's results over documents: right, marked ok, ok and wrong."""

    documents: int = 0
    right: int = 0
    ok: int = 0
    ok_wrong: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, name: str, right: bool, result: FieldResult | None, truth: str) -> None:
        ok = result is not None and result.status == "ok"
        self.documents += 1
        self.right += right
        self.ok += ok
        self.ok_wrong += ok and not right
        if not right:
            got = None if result is None else (_shown(result), result.status)
            self.misses.append(f"{name}: want {truth!r} got {got!r}")

    def row(self) -> dict[str, float]:
        n = max(self.documents, 1)
        return {
            "accuracy": self.right / n,
            "share_ok": self.ok / n,
            "ok_wrong": self.ok_wrong / max(self.ok, 1),
            "documents": float(self.documents),
        }


def measure(
    kind: type[DocumentType],
    documents: Sequence[Labelled],
    results: Sequence[Sequence[FieldResult]],
    locale: str | None = None,
) -> dict[str, Tally]:
    """Accuracy, share ok and share of ok that is wrong, per field, of extraction results."""
    specs = {spec.name: spec for spec in localised_specs(kind, locale)}
    tallies = {name: Tally() for name in specs}
    for document, found in zip(documents, results, strict=True):
        by_name = {result.name: result for result in found}
        for name, tally in tallies.items():
            truth = document.expected.get(name)
            if truth is None:
                continue
            result = by_name.get(name)
            value = None if result is None else result.value
            tally.add(document.name, matches(specs[name], value, str(truth)), result, str(truth))
    return tallies


def format_table(title: str, rows: Mapping[str, Mapping[str, float]]) -> str:
    lines = [title, f"  {'field':10} {'accuracy':>9} {'share ok':>9} {'ok wrong':>9} {'docs':>5}"]
    for name, row in rows.items():
        lines.append(
            f"  {name:10} {row['accuracy']:9.1%} {row['share_ok']:9.1%} {row['ok_wrong']:9.1%} "
            f"{int(row['documents']):5d}"
        )
    return "\n".join(lines)


def _shown(result: FieldResult) -> str:
    """The value as stored, with the text it was read from when that differs."""
    value = "" if result.value is None else str(result.value)
    return value if value == result.raw_text or not value else f"{value} (read {result.raw_text!r})"
