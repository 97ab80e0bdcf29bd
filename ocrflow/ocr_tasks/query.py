"""Query: stored fields, lines and documents as pandas DataFrames.

Every filter is a bound parameter in a SQLAlchemy expression; no value is ever spliced into
SQL text, so a filter like ``'; DROP TABLE lines; --`` is only text to look for.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, inspect, make_url, select

from ocrflow.ocr_tasks.store import database_engine
from ocrflow.schemas.tables import DocumentRow, FieldRow, LineRow


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
    """One row per stored field, with the document's source."""
    query = (
        select(
            DocumentRow.source_uri.label("source"),
            FieldRow.document_type,
            FieldRow.name,
            FieldRow.raw_text,
            FieldRow.value_text.label("value"),
            FieldRow.value_number,
            FieldRow.value_date,
            FieldRow.confidence,
            FieldRow.status,
            FieldRow.reason,
        )
        .join(DocumentRow, FieldRow.document_id == DocumentRow.id)
        .order_by(DocumentRow.source_uri, FieldRow.id)
    )
    conditions = [
        FieldRow.document_type == document_type if document_type else None,
        FieldRow.name == name if name else None,
        FieldRow.status == status if status else None,
        FieldRow.value_number >= min_value if min_value is not None else None,
        FieldRow.value_number <= max_value if max_value is not None else None,
        FieldRow.value_date >= date_from if date_from else None,
        FieldRow.value_date <= date_to if date_to else None,
        DocumentRow.source_uri == source if source else None,
    ]
    return _frame(database_url, _where(query, conditions))


def lines(
    database_url: str,
    contains: str | None = None,
    min_confidence: float | None = None,
    max_confidence: float | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """One row per stored line; ``contains`` is a case-insensitive substring, not a pattern."""
    query = (
        select(
            DocumentRow.source_uri.label("source"),
            LineRow.page,
            LineRow.line_order.label("order"),
            LineRow.text,
            LineRow.confidence,
            LineRow.polygon,
            LineRow.angle,
        )
        .join(DocumentRow, LineRow.document_id == DocumentRow.id)
        .order_by(DocumentRow.source_uri, LineRow.page, LineRow.line_order)
    )
    conditions = [
        LineRow.text.icontains(contains, autoescape=True) if contains else None,
        LineRow.confidence >= min_confidence if min_confidence is not None else None,
        LineRow.confidence <= max_confidence if max_confidence is not None else None,
        DocumentRow.source_uri == source if source else None,
    ]
    return _frame(database_url, _where(query, conditions))


def documents(
    database_url: str, status: str | None = None, document_type: str | None = None
) -> pd.DataFrame:
    """One row per stored document, with the failure reason for failed ones."""
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
    ).order_by(DocumentRow.source_uri)
    conditions = [
        DocumentRow.status == status if status else None,
        DocumentRow.document_type == document_type if document_type else None,
    ]
    return _frame(database_url, _where(query, conditions))


def _where(query: Select[Any], conditions: Sequence[ColumnElement[bool] | None]) -> Select[Any]:
    for condition in conditions:
        if condition is not None:
            query = query.where(condition)
    return query


class DatabaseNotReadyError(RuntimeError):
    """The database has no ocrflow tables yet."""


def _frame(database_url: str, query: Select[Any]) -> pd.DataFrame:
    with database_engine(database_url).connect() as connection:
        if not inspect(connection).has_table(DocumentRow.__tablename__):
            raise DatabaseNotReadyError(
                f"{_safe_url(database_url)} has no ocrflow tables: "
                "run `ocrflow db upgrade` (or `ocrflow extract`) first"
            )
        return pd.read_sql(query, connection)


def _safe_url(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)
