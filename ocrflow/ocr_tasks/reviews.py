"""Reviews: a person's answer for a field, kept apart from what the extractor stores.

The store deletes and writes again a document's pages, lines and fields whenever it is stored
(a re-run, ``--force``, another document type), so an answer lives in its own table, keyed by
the document's URI, the ETag of the version the person looked at, and the field's name. Queries
show the answer (status ``reviewed``) while the stored document has that ETag; a new version
sets it aside (kept, not shown), because the person never saw that version.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Connection, and_, func, select
from sqlalchemy.dialects import postgresql, sqlite

from ocrflow.ocr_tasks.store import database_engine
from ocrflow.schemas.doctypes import UnknownDocumentTypeError, ValueKind, get_document_type
from ocrflow.schemas.records import FieldValue
from ocrflow.schemas.tables import DocumentRow, FieldReviewRow, FieldRow

ReviewKind = Literal["corrected", "accepted", "absent"]
# Stands for "no ETag" in the review's key (a NULL would never match, nor be unique).
NO_ETAG = ""


class ReviewError(LookupError):
    """The document or the field to review is not stored."""


class Review(BaseModel):
    """One person's answer, as stored."""

    source: str
    etag: str
    field: str
    kind: ReviewKind
    value: FieldValue | None = Field(None, description="Typed like the field when it parses.")
    value_text: str | None = None
    reviewer: str
    reviewed_at: datetime.datetime
    note: str | None = None


def applies_to_stored_field() -> ColumnElement[bool]:
    """Join condition: the review of this field of the stored version of the document."""
    return and_(
        FieldReviewRow.source_uri == DocumentRow.source_uri,
        FieldReviewRow.etag == func.coalesce(DocumentRow.etag, NO_ETAG),
        FieldReviewRow.field_name == FieldRow.name,
    )


def set_review(
    database_url: str,
    source: str,
    field: str,
    kind: ReviewKind,
    reviewer: str,
    value: str | None = None,
    note: str | None = None,
) -> Review:
    """Store (or replace) the answer for ``field`` of the stored version of ``source``:
    ``corrected`` to ``value``, ``accepted`` (the extracted value, frozen now) or ``absent``.
    Raises ReviewError when the document or the field is not stored."""
    if (kind == "corrected") != (value is not None):
        raise ValueError("a value is given with, and only with, a correction")
    with database_engine(database_url).begin() as connection:
        document = _stored_document(connection, source)
        extracted = _stored_field(connection, document, field)
        text = (
            value if kind == "corrected" else extracted.value_text if kind == "accepted" else None
        )
        typed = _typed(text, _kind_of(document.document_type, field, extracted)) if text else None
        review = Review(
            source=document.source_uri,
            etag=document.etag or NO_ETAG,
            field=field,
            kind=kind,
            value=typed,
            value_text=text,
            reviewer=reviewer,
            reviewed_at=datetime.datetime.now(datetime.UTC),
            note=note,
        )
        _upsert(connection, review, extracted.value_text)
    return review


def _stored_document(connection: Connection, source: str) -> Any:
    query = select(DocumentRow.id, DocumentRow.source_uri, DocumentRow.etag,
                   DocumentRow.document_type).where(DocumentRow.source_uri == source)  # fmt: skip
    document = connection.execute(query).one_or_none()
    if document is None:
        raise ReviewError(
            f"no stored document {source!r}: give its URI as `ocrflow query documents` shows it"
        )
    return document


def _stored_field(connection: Connection, document: Any, field: str) -> Any:
    query = (
        select(FieldRow.name, FieldRow.value_text, FieldRow.value_number, FieldRow.value_date)
        .where(FieldRow.document_id == document.id)
        .order_by(FieldRow.id)
    )
    rows = connection.execute(query).all()
    for row in rows:
        if row.name == field:
            return row
    names = ", ".join(sorted({row.name for row in rows})) or "none"
    raise ReviewError(f"{document.source_uri} has no stored field {field!r} (its fields: {names})")


def _kind_of(document_type: str | None, field: str, extracted: Any) -> ValueKind:
    """The field's declared kind; for types that declare none (forms) or cannot be loaded
    here, the kind the stored value has."""
    try:
        specs = get_document_type(document_type).field_specs() if document_type else []
    except UnknownDocumentTypeError:
        specs = []
    for spec in specs:
        if spec.name == field:
            return spec.kind
    if extracted.value_date is not None:
        return "date"
    return "amount" if extracted.value_number is not None else "str"


def _typed(text: str, kind: ValueKind) -> FieldValue | None:
    """``text`` as a value of ``kind``; None when it does not parse (it is kept as text)."""
    stripped = text.strip()
    if kind == "date":
        try:
            return datetime.date.fromisoformat(stripped)
        except ValueError:
            from ocrflow.ocr_tasks.fields.values import parse_date

            return parse_date(stripped)
    if kind in ("amount", "int"):
        number = _number(stripped)
        if number is None or kind == "amount":
            return number
        return int(number) if number == number.to_integral_value() else None
    return text


def _number(text: str) -> Decimal | None:
    """A plain number as typed (``12.50``), else an amount as printed (``RM 1.234,50``)."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        from ocrflow.ocr_tasks.fields.values import parse_amount

        return parse_amount(text)
    return number if number.is_finite() else None


def _upsert(connection: Connection, review: Review, extracted_text: str | None) -> None:
    value = review.value
    is_number = isinstance(value, int | Decimal) and not isinstance(value, bool)
    values = {
        "source_uri": review.source,
        "etag": review.etag,
        "field_name": review.field,
        "kind": review.kind,
        "value_text": review.value_text,
        "value_number": Decimal(value) if is_number else None,  # type: ignore[arg-type]
        "value_date": value if isinstance(value, datetime.date) else None,
        "extracted_text": extracted_text,
        "reviewer": review.reviewer,
        "reviewed_at": review.reviewed_at,
        "note": review.note,
    }
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    key = ("source_uri", "etag", "field_name")
    statement = dialect.insert(FieldReviewRow).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[getattr(FieldReviewRow, k) for k in key],
        set_={k: v for k, v in values.items() if k not in key},
    )
    connection.execute(statement)
