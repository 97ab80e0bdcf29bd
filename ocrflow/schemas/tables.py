"""SQLAlchemy 2 tables for stored documents. Created and changed only by Alembic
migrations (schemas/migrations); ``ocrflow db upgrade`` applies them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ocrflow.schemas.records import as_utc


class UtcDateTime(TypeDecorator[datetime.datetime]):
    """A time zone aware timestamp on every database: stored in UTC, read back in UTC.

    PostgreSQL keeps the zone (``timestamptz``); SQLite keeps text without one, so a time is
    converted to UTC before it is written and given the UTC zone again when it is read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime.datetime | None, dialect: Dialect
    ) -> datetime.datetime | None:
        return as_utc(value) if value is not None else None

    def process_result_value(
        self, value: datetime.datetime | None, dialect: Dialect
    ) -> datetime.datetime | None:
        return as_utc(value) if value is not None else None


class Base(DeclarativeBase):
    pass


class DocumentRow(Base):
    """One row per source URI: the version (ETag) last read, and its outcome."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_uri: Mapped[str] = mapped_column(String(2048), unique=True)
    bucket: Mapped[str | None] = mapped_column(String(255))
    key: Mapped[str | None] = mapped_column(String(2048))
    etag: Mapped[str | None] = mapped_column(String(255))
    version_id: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(255))
    # When the stored version was written at the source: an older one never replaces it.
    last_modified: Mapped[datetime.datetime | None] = mapped_column(UtcDateTime())
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    document_type: Mapped[str | None] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    error_kind: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    model_set: Mapped[str] = mapped_column(String(64))
    runtime: Mapped[str] = mapped_column(String(32))
    ocrflow_version: Mapped[str | None] = mapped_column(String(32))
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    stored_at: Mapped[datetime.datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    # The run that last wrote the document, and the one whose OCR its lines are; with the
    # fingerprints of what decided them (None: stored before runs were recorded).
    run_id: Mapped[str | None] = mapped_column(String(36))
    ocr_run_id: Mapped[str | None] = mapped_column(String(36))
    ocr_fingerprint: Mapped[str | None] = mapped_column(String(64))
    fields_fingerprint: Mapped[str | None] = mapped_column(String(64))


class PageRow(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    orientation: Mapped[int] = mapped_column(Integer, default=0)
    lines_kept: Mapped[int] = mapped_column(Integer, default=0)
    lines_dropped: Mapped[int] = mapped_column(Integer, default=0)


class LineRow(Base):
    __tablename__ = "lines"
    __table_args__ = (Index("ix_lines_document_page", "document_id", "page", "line_order"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    page: Mapped[int] = mapped_column(Integer)
    line_order: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float, index=True)
    polygon: Mapped[list[Any]] = mapped_column(JSON)
    angle: Mapped[int] = mapped_column(Integer, default=0)
    # "ocr" or "pdf_text": read from the page image, or taken from the PDF's text layer
    origin: Mapped[str] = mapped_column(String(16), default="ocr", server_default="ocr")
    # Passed the threshold of the run that stored it; every line is stored, so a query may
    # apply another threshold without reading the document again.
    kept: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    run_id: Mapped[str | None] = mapped_column(String(36))
    # Stored so that fields found again from these lines weigh them as the first time did.
    char_confidences: Mapped[list[float] | None] = mapped_column(JSON)


class FieldRow(Base):
    __tablename__ = "fields"
    __table_args__ = (Index("ix_fields_type_name", "document_type", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    document_type: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))
    raw_text: Mapped[str] = mapped_column(Text)
    value_text: Mapped[str | None] = mapped_column(Text)
    value_number: Mapped[Decimal | None] = mapped_column(Numeric(20, 4), index=True)
    value_date: Mapped[datetime.date | None] = mapped_column(Date, index=True)
    confidence: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    source_lines: Mapped[list[Any]] = mapped_column(JSON)
    run_id: Mapped[str | None] = mapped_column(String(36))


class FieldReviewRow(Base):
    """A person's answer for one field of one version (URI + ETag) of a document.

    Kept apart from the document's own rows, which every store deletes and writes again:
    a re-run, a new document type or ``--force`` leaves the answer alone. It applies while the
    stored document has the same ETag (an empty string stands for none) and is set aside,
    not deleted, once another version is stored."""

    __tablename__ = "field_reviews"
    __table_args__ = (UniqueConstraint("source_uri", "etag", "field_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_uri: Mapped[str] = mapped_column(String(2048))
    etag: Mapped[str] = mapped_column(String(255))
    field_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))  # corrected, accepted or absent
    value_text: Mapped[str | None] = mapped_column(Text)
    value_number: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    value_date: Mapped[datetime.date | None] = mapped_column(Date)
    # What the extractor had found when the person answered, to compare with later runs.
    extracted_text: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(255))
    reviewed_at: Mapped[datetime.datetime] = mapped_column(UtcDateTime())
    note: Mapped[str | None] = mapped_column(Text)


class RunRow(Base):
    """One ingest, extract or re-extraction: what it read, how, who started it, what came of it.

    ``ocr_fingerprint`` and ``fields_fingerprint`` hash everything that decides the output (see
    :mod:`ocrflow.ocr_tasks.runs`); ``fingerprint_parts`` keeps what was hashed, readable."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_started_at", "started_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # ingest, extract or reextract
    status: Mapped[str] = mapped_column(String(16))  # running, completed or failed
    started_at: Mapped[datetime.datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime.datetime | None] = mapped_column(UtcDateTime())
    source: Mapped[str | None] = mapped_column(Text)
    document_type: Mapped[str | None] = mapped_column(String(128))
    started_by: Mapped[str] = mapped_column(String(255))
    flow_run_id: Mapped[str | None] = mapped_column(String(36))
    ocr_fingerprint: Mapped[str | None] = mapped_column(String(64))
    fields_fingerprint: Mapped[str | None] = mapped_column(String(64))
    fingerprint_parts: Mapped[dict[str, Any]] = mapped_column(JSON)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)


class RunFieldRow(Base):
    """A field's value as one run found it. The ``fields`` table holds the latest run's only;
    these stay, so that ``ocrflow compare`` can set two runs side by side."""

    __tablename__ = "run_fields"
    __table_args__ = (Index("ix_run_fields_run_source", "run_id", "source_uri"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(36))
    source_uri: Mapped[str] = mapped_column(String(2048))
    document_type: Mapped[str | None] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))
    raw_text: Mapped[str] = mapped_column(Text)
    value_text: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
