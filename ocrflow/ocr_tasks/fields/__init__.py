"""Fields from recognised pages: the values a document type declares, or a form's pairs.

``extract_fields(document_type, pages)`` returns one :class:`~ocrflow.schemas.records.FieldResult`
per declared field (a required field that is not found comes back ``needs_review``), or for
``generic_pairs`` types (``form``) one per label → value pair on the pages. A value that does
not parse or validate keeps its raw text with status ``needs_review`` and a reason; nothing
here raises on what the pages hold.

Every recognised line is evidence: pass the pages as read (before the line filter) with
``min_confidence``, and a field read from a line under it comes back ``needs_review`` with
its raw text. A type with a fitted model (:func:`~ocrflow.ocr_tasks.fields.decide.model_path`;
``ocrflow fields fit``) has its fields chosen among all candidates by that model, with a
calibrated confidence; ``scorer="rules"`` (or a type without a model) uses the hand rules,
whose confidence is the OCR's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ocrflow.ocr_tasks.fields.dates import settle_dates
from ocrflow.ocr_tasks.fields.decide import cross_checked, extract_learned, type_model
from ocrflow.ocr_tasks.fields.layout import Line, page_lines
from ocrflow.ocr_tasks.fields.localise import localised_specs
from ocrflow.ocr_tasks.fields.pairing import extract_learned_pairs, pair_model
from ocrflow.ocr_tasks.fields.pairs import extract_pairs
from ocrflow.ocr_tasks.fields.rules import extract_declared
from ocrflow.ocr_tasks.fields.scorer import TypeModel
from ocrflow.ocr_tasks.fields.values import (
    find_amount,
    find_date,
    find_phone,
    parse_amount,
    parse_date,
)
from ocrflow.ocr_tasks.fields.wrapped import rejoined_wrapped
from ocrflow.schemas.doctypes import DocumentType, FieldSpec, get_document_type
from ocrflow.schemas.records import FieldResult, PageResult

__all__ = [
    "extract_fields",
    "find_amount",
    "find_date",
    "find_phone",
    "parse_amount",
    "parse_date",
]


Scorer = Literal["auto", "rules"]


def extract_fields(
    document_type: type[DocumentType] | str,
    pages: Sequence[PageResult],
    *,
    min_confidence: float | None = None,
    scorer: Scorer = "auto",
    model: TypeModel | None = None,
    locale: str | None = None,
) -> list[FieldResult]:
    """The fields of ``document_type`` (a class, a registered name or ``pkg.mod:Class``).

    ``scorer="auto"`` uses ``model``, else the type's fitted model when it has one (and its
    ``field_scorer`` is ``"auto"``), else the rules. ``locale`` (``de-DE``, ``en-MY``,
    ``auto``) overrides the type's: how amounts and dates read, which label words count.
    """
    kind = get_document_type(document_type) if isinstance(document_type, str) else document_type
    lines = page_lines(pages)
    if kind.generic_pairs:
        use_pairing = scorer == "auto" and kind.field_scorer == "auto"
        pairing = pair_model(kind) if use_pairing else None
        results = extract_pairs(lines) if pairing is None else extract_learned_pairs(lines, pairing)
    else:
        use_model = scorer == "auto" and (model is not None or kind.field_scorer == "auto")
        fitted = (model or type_model(kind)) if use_model else None
        specs = localised_specs(kind, locale)
        if fitted is not None:
            results = extract_learned(specs, lines, fitted)
        else:
            results = extract_declared(specs, lines)
        settled = rejoined_wrapped(settle_dates(results, specs, lines), lines)
        results = cross_checked(settled, lines, _total_locale(specs))
    return weak_lines_reviewed(results, lines, min_confidence)


def _total_locale(specs: Sequence[FieldSpec]) -> str:
    """The locale the total is read in (amounts of the tender lines read alike)."""
    return next((spec.locale for spec in specs if spec.name == "total"), "auto")


def weak_lines_reviewed(
    results: Sequence[FieldResult], lines: Sequence[Line], min_confidence: float | None
) -> list[FieldResult]:
    """Fields read from a line under ``min_confidence`` go to review, with their raw text."""
    if min_confidence is None:
        return list(results)
    confidence = {(line.page, line.line.order): line.line.confidence for line in lines}
    out = []
    for result in results:
        weakest = min((confidence.get((r.page, r.order), 1.0) for r in result.lines), default=1.0)
        if weakest < min_confidence:
            reason = (
                f"read from a line recognised with confidence {weakest:.2f}, under "
                f"{min_confidence:.2f}: check {result.raw_text!r}"
            )
            if result.status == "needs_review" and result.reason:
                reason = f"{result.reason}; {reason}"
            result = result.model_copy(update={"status": "needs_review", "reason": reason})
        out.append(result)
    return out
