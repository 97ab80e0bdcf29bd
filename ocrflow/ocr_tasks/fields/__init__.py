"""Fields from recognised pages: the values a document type declares, or a form's pairs.

``extract_fields(document_type, pages)`` returns one :class:`~ocrflow.schemas.records.FieldResult`
per declared field (a required field that is not found comes back ``needs_review``), or for
``generic_pairs`` types (``form``) one per label → value pair on the pages. A value that does
not parse or validate keeps its raw text with status ``needs_review`` and a reason; nothing
here raises on what the pages hold. Lines are taken as given: any confidence filtering has
been done before.
"""

from __future__ import annotations

from collections.abc import Sequence

from ocrflow.ocr_tasks.fields.layout import page_lines
from ocrflow.ocr_tasks.fields.pairs import extract_pairs
from ocrflow.ocr_tasks.fields.rules import extract_declared
from ocrflow.ocr_tasks.fields.values import (
    find_amount,
    find_date,
    find_phone,
    parse_amount,
    parse_date,
)
from ocrflow.schemas.doctypes import DocumentType, get_document_type
from ocrflow.schemas.records import FieldResult, PageResult

__all__ = [
    "extract_fields",
    "find_amount",
    "find_date",
    "find_phone",
    "parse_amount",
    "parse_date",
]


def extract_fields(
    document_type: type[DocumentType] | str, pages: Sequence[PageResult]
) -> list[FieldResult]:
    """The fields of ``document_type`` (a class, a registered name or ``pkg.mod:Class``)."""
    kind = get_document_type(document_type) if isinstance(document_type, str) else document_type
    lines = page_lines(pages)
    if kind.generic_pairs:
        return extract_pairs(lines)
    return extract_declared(kind.field_specs(), lines)
