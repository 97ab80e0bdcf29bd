"""Query: stored fields, lines and documents as pandas DataFrames.

Every filter is a bound parameter in a SQLAlchemy expression; no value is ever spliced into
SQL text, so a filter like ``'; DROP TABLE lines; --`` is only text to look for.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    func,
    inspect,
    literal,
    make_url,
    select,
)
from sqlalchemy.orm import QueryableAttribute

from ocrflow.ocr_tasks.reviews import NO_ETAG, applies_to_stored_field
from ocrflow.ocr_tasks.store import database_engine
from ocrflow.schemas.settings import OcrSettings
from ocrflow.schemas.tables import (
    DocumentRow,
    FieldReviewRow,
    FieldRow,
    LineRow,
    RunFieldRow,
    RunRow,
)

_V = TypeVar("_V")


def fields(
    database_url: str,
    document_type: str | None = None,
    name: str | None = None,
    status: str | None = None,
    min_value: Decimal | float | None = None,
    max_value: Decimal | float | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """One row per stored field, with the document's source. A field a person reviewed (for
    the stored version of its document) has the reviewed value and status ``reviewed``;
    ``extracted_value`` keeps what the extractor found. Filters apply to the value shown."""
    reviewed = FieldReviewRow.id.is_not(None)
    value = _reviewed_or(reviewed, FieldReviewRow.value_text, FieldRow.value_text)
    number = _reviewed_or(reviewed, FieldReviewRow.value_number, FieldRow.value_number)
    date = _reviewed_or(reviewed, FieldReviewRow.value_date, FieldRow.value_date)
    shown_status = _reviewed_or(reviewed, literal("reviewed"), FieldRow.status)
    query = (
        select(
            DocumentRow.source_uri.label("source"),
            FieldRow.document_type,
            FieldRow.name,
            FieldRow.raw_text,
            value.label("value"),
            number.label("value_number"),
            date.label("value_date"),
            FieldRow.confidence,
            shown_status.label("status"),
            FieldRow.reason,
            FieldRow.value_text.label("extracted_value"),
            FieldReviewRow.kind.label("review"),
            FieldReviewRow.reviewer,
            FieldReviewRow.reviewed_at,
            FieldReviewRow.note.label("review_note"),
            FieldRow.run_id,
        )
        .join(DocumentRow, FieldRow.document_id == DocumentRow.id)
        .outerjoin(FieldReviewRow, applies_to_stored_field())
        .order_by(DocumentRow.source_uri, FieldRow.id)
    )
    conditions = [
        FieldRow.document_type == document_type if document_type else None,
        FieldRow.name == name if name else None,
        shown_status == status if status else None,
        number >= min_value if min_value is not None else None,
        number <= max_value if max_value is not None else None,
        date >= date_from if date_from else None,
        date <= date_to if date_to else None,
        DocumentRow.source_uri == source if source else None,
    ]
    return _frame(database_url, _where(query, conditions))


def _reviewed_or(
    reviewed: ColumnElement[bool],
    answer: ColumnElement[_V] | QueryableAttribute[_V],
    extracted: ColumnElement[_V] | QueryableAttribute[_V],
) -> ColumnElement[_V]:
    return case((reviewed, answer), else_=extracted)


def review_queue(
    database_url: str, document_type: str | None = None, name: str | None = None
) -> pd.DataFrame:
    """Fields that need review and have no answer for the stored version of their document,
    the document stored longest ago first (then by source and the field's order)."""
    query = (
        select(
            DocumentRow.source_uri.label("source"),
            FieldRow.document_type,
            FieldRow.name,
            FieldRow.raw_text,
            FieldRow.value_text.label("value"),
            FieldRow.confidence,
            FieldRow.reason,
            DocumentRow.stored_at,
        )
        .join(DocumentRow, FieldRow.document_id == DocumentRow.id)
        .outerjoin(FieldReviewRow, applies_to_stored_field())
        .where(FieldRow.status == "needs_review", FieldReviewRow.id.is_(None))
        .order_by(DocumentRow.stored_at, DocumentRow.source_uri, FieldRow.id)
    )
    conditions = [
        FieldRow.document_type == document_type if document_type else None,
        FieldRow.name == name if name else None,
    ]
    return _frame(database_url, _where(query, conditions))


def reviews(database_url: str, source: str | None = None) -> pd.DataFrame:
    """Every stored answer; ``applied`` is false for one set aside because another version
    of its document (another ETag) is stored now, or the document is no longer stored."""
    stored_version = and_(
        DocumentRow.source_uri == FieldReviewRow.source_uri,
        func.coalesce(DocumentRow.etag, NO_ETAG) == FieldReviewRow.etag,
    )
    query = (
        select(
            FieldReviewRow.source_uri.label("source"),
            FieldReviewRow.etag,
            FieldReviewRow.field_name.label("name"),
            FieldReviewRow.kind.label("review"),
            FieldReviewRow.value_text.label("value"),
            FieldReviewRow.value_number,
            FieldReviewRow.value_date,
            FieldReviewRow.extracted_text.label("extracted_value"),
            FieldReviewRow.reviewer,
            FieldReviewRow.reviewed_at,
            FieldReviewRow.note.label("review_note"),
            DocumentRow.id.is_not(None).label("applied"),
        )
        .outerjoin(DocumentRow, stored_version)
        .order_by(FieldReviewRow.source_uri, FieldReviewRow.field_name, FieldReviewRow.id)
    )
    conditions = [FieldReviewRow.source_uri == source if source else None]
    return _frame(database_url, _where(query, conditions))


def lines(
    database_url: str,
    contains: str | None = None,
    min_confidence: float | None = None,
    max_confidence: float | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """One row per stored line at least ``min_confidence`` (default: the setting
    ``records.min_confidence``; every line read is stored, so any threshold works without
    reading the documents again; 0: all); ``kept`` says whether the line passed the threshold
    of the run that stored it, ``origin`` which path read it (``ocr`` or ``pdf_text``).
    ``contains`` is a case-insensitive substring, not a pattern."""
    if min_confidence is None:
        min_confidence = OcrSettings().records.min_confidence
    query = (
        select(
            DocumentRow.source_uri.label("source"),
            LineRow.page,
            LineRow.line_order.label("order"),
            LineRow.text,
            LineRow.confidence,
            LineRow.polygon,
            LineRow.angle,
            LineRow.kept,
            LineRow.origin,
            LineRow.run_id,
        )
        .join(DocumentRow, LineRow.document_id == DocumentRow.id)
        .order_by(DocumentRow.source_uri, LineRow.page, LineRow.line_order)
    )
    conditions = [
        LineRow.text.icontains(contains, autoescape=True) if contains else None,
        LineRow.confidence >= min_confidence,
        LineRow.confidence <= max_confidence if max_confidence is not None else None,
        DocumentRow.source_uri == source if source else None,
    ]
    return _frame(database_url, _where(query, conditions))


def documents(
    database_url: str, status: str | None = None, document_type: str | None = None
) -> pd.DataFrame:
    """One row per stored document, with the failure reason for failed ones; ``run_id`` is
    the run that last wrote it, ``ocr_run_id`` the one whose OCR its lines are."""
    query = select(
        DocumentRow.source_uri.label("source"),
        DocumentRow.status,
        DocumentRow.error_kind,
        DocumentRow.error.label("reason"),
        DocumentRow.document_type,
        DocumentRow.page_count,
        DocumentRow.etag,
        DocumentRow.size,
        DocumentRow.model_set,
        DocumentRow.ocrflow_version,
        DocumentRow.seconds,
        DocumentRow.stored_at,
        DocumentRow.run_id,
        DocumentRow.ocr_run_id,
    ).order_by(DocumentRow.source_uri)
    conditions = [
        DocumentRow.status == status if status else None,
        DocumentRow.document_type == document_type if document_type else None,
    ]
    return _frame(database_url, _where(query, conditions))


#: The counts every run row lists as columns (a run that never got that far has none).
RUN_COUNTS = ("listed", "skipped", "reextracted", "read", "failed", "fields_needing_review")


def runs(database_url: str, limit: int | None = None, kind: str | None = None) -> pd.DataFrame:
    """Every recorded ingest, extract and re-extraction, newest first, with its counts and
    fingerprints."""
    query = select(
        RunRow.id,
        RunRow.kind,
        RunRow.status,
        RunRow.started_at,
        RunRow.finished_at,
        RunRow.source,
        RunRow.document_type,
        RunRow.started_by,
        RunRow.flow_run_id,
        RunRow.ocr_fingerprint,
        RunRow.fields_fingerprint,
        RunRow.counts,
    ).order_by(RunRow.started_at.desc(), RunRow.id)
    query = _where(query, [RunRow.kind == kind if kind else None])
    frame = _frame(database_url, query.limit(limit) if limit else query)
    counts = [_counts(value) for value in frame.pop("counts")]
    for name in RUN_COUNTS:
        frame[name] = pd.array([c.get(name) for c in counts], dtype="Int64")
    return frame


def _counts(value: Any) -> dict[str, Any]:
    import json

    return json.loads(value) if isinstance(value, str) else dict(value or {})


class UnknownRunError(LookupError):
    """No run, or more than one, has the id given."""


def resolve_run(database_url: str, run: str) -> str:
    """The full id of the run whose id is ``run`` or starts with it (as ``ocrflow runs``
    shows them)."""
    query = select(RunRow.id).where(RunRow.id.startswith(run, autoescape=True)).limit(2)
    found = _frame(database_url, query)["id"].tolist()
    if len(found) != 1:
        what = "no run" if not found else "more than one run"
        raise UnknownRunError(f"{what} has an id starting with {run!r}: see `ocrflow runs`")
    return str(found[0])


def compare(database_url: str, run_a: str, run_b: str) -> pd.DataFrame:
    """Per document and field, what two runs found where it differs (value or status), for
    the documents both runs stored fields for. ``change``: value, status, only_a, only_b."""
    found = [_run_fields(database_url, resolve_run(database_url, run)) for run in (run_a, run_b)]
    both = set(found[0]["source"]) & set(found[1]["source"])
    a, b = (frame[frame["source"].isin(both)] for frame in found)
    merged = a.merge(b, on=["source", "field"], how="outer", suffixes=("_a", "_b"))
    merged["change"] = [_change(row) for row in merged.to_dict("records")]
    changed = merged[merged["change"] != ""]
    columns = ["source", "field", "change", "value_a", "value_b", "status_a", "status_b"]
    columns += ["confidence_a", "confidence_b", "document_type_a", "document_type_b"]
    return changed[columns].sort_values(["source", "field"]).reset_index(drop=True)


def _run_fields(database_url: str, run_id: str) -> pd.DataFrame:
    query = select(
        RunFieldRow.source_uri.label("source"),
        RunFieldRow.name.label("field"),
        RunFieldRow.document_type,
        RunFieldRow.value_text.label("value"),
        RunFieldRow.status,
        RunFieldRow.confidence,
        RunFieldRow.id,
    ).where(RunFieldRow.run_id == run_id)
    frame = _frame(database_url, query)
    # A form may name two pairs alike: compare the last value of each name, as stored.
    return frame.sort_values("id").drop_duplicates(["source", "field"], keep="last")


def _change(row: dict[str, Any]) -> str:
    in_a, in_b = pd.notna(row["status_a"]), pd.notna(row["status_b"])
    if in_a != in_b:
        return "only_a" if in_a else "only_b"
    if _text(row["value_a"]) != _text(row["value_b"]):
        return "value"
    return "status" if row["status_a"] != row["status_b"] else ""


def _text(value: Any) -> str | None:
    return None if pd.isna(value) else str(value)


def _where(query: Select[Any], conditions: Sequence[ColumnElement[bool] | None]) -> Select[Any]:
    for condition in conditions:
        if condition is not None:
            query = query.where(condition)
    return query


class DatabaseNotReadyError(RuntimeError):
    """The database has no ocrflow tables yet."""


def check_database(database_url: str) -> None:
    """Raise DatabaseNotReadyError when the database has no ocrflow tables."""
    with database_engine(database_url).connect() as connection:
        _check_tables(database_url, connection)


def _check_tables(database_url: str, connection: Connection) -> None:
    tables = inspect(connection)
    if not tables.has_table(DocumentRow.__tablename__):
        raise DatabaseNotReadyError(
            f"{_safe_url(database_url)} has no ocrflow tables: "
            "run `ocrflow db upgrade` (or `ocrflow extract`) first"
        )
    # A database written by an earlier release has the documents but not the reviews table
    # (nor lines.kept): say how to fix it rather than fail on a missing column.
    if not all(tables.has_table(t.__tablename__) for t in (FieldReviewRow, RunRow)):
        raise DatabaseNotReadyError(
            f"{_safe_url(database_url)} has an older ocrflow schema: run `ocrflow db upgrade`"
        )


def _frame(database_url: str, query: Select[Any]) -> pd.DataFrame:
    with database_engine(database_url).connect() as connection:
        _check_tables(database_url, connection)
        return pd.read_sql(query, connection)


def _safe_url(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)
