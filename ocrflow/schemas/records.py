"""Pydantic records the OCR engine returns: a document, its pages, their lines."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, field_validator

Point = tuple[float, float]


def as_utc(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` in UTC; a time without a zone is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


Orientation = Literal[0, 90, 180, 270]


class LineResult(BaseModel):
    """One recognised text line."""

    order: int = Field(description="Position of the line in the page's reading order, from 0.")
    text: str
    confidence: float = Field(description="Mean of the per-character maximum probabilities.")
    char_confidences: list[float] = Field(default_factory=list)
    polygon: list[Point] = Field(
        description="Four corners (clockwise from top-left) in the upright page's pixels."
    )
    angle: Literal[0, 180] = Field(0, description="Rotation applied to the crop before reading.")
    origin: Literal["ocr", "pdf_text"] = Field(
        "ocr",
        description=(
            "What produced the line: ocr (detected and recognised in the page image), or "
            "pdf_text (the PDF's own text layer; confidence 1.0)."
        ),
    )
    kept: bool = Field(
        True, description="Passed the confidence threshold when the document was extracted."
    )


class PageResult(BaseModel):
    """One page as read: size of the upright page, the rotation that made it upright."""

    number: int = Field(description="Page number, from 1.")
    width: int
    height: int
    orientation: Orientation = Field(
        0, description="Clockwise rotation (degrees) that was applied to make the page upright."
    )
    orientation_confidence: float | None = None
    lines: list[LineResult] = Field(default_factory=list)
    lines_dropped: int = Field(0, description="Lines under the confidence threshold, not kept.")

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


FieldValue = str | int | Decimal | datetime.date


class LineRef(BaseModel):
    """Where a field's text came from: a line of a page."""

    page: int
    order: int


class FieldResult(BaseModel):
    """One declared field of a document, as found on its pages."""

    name: str
    raw_text: str = Field(description="The text the value was read from, as recognised.")
    value: FieldValue | None = Field(
        None, description="The typed value; None when it did not parse or validate."
    )
    confidence: float = Field(
        description=(
            "Probability that the value is right, from the type's fitted model (calibrated on "
            "held-out documents); without a model, the recogniser's confidence of its line(s)."
        )
    )
    lines: list[LineRef] = Field(default_factory=list)
    status: Literal["ok", "needs_review"] = "ok"
    reason: str | None = Field(None, description="Why the field needs review.")


class SourceObject(BaseModel):
    """Where a document came from and which version of it was read."""

    uri: str = Field(description="s3://bucket/key, or the absolute local path.")
    bucket: str | None = None
    key: str | None = None
    etag: str | None = Field(None, description="S3 ETag, or a content hash for local files.")
    version_id: str | None = None
    size: int | None = None
    content_type: str | None = None
    last_modified: datetime.datetime | None = Field(
        None, description="When this version was written (S3 LastModified, file mtime), UTC."
    )

    @field_validator("last_modified")
    @classmethod
    def _naive_is_utc(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        return as_utc(value) if value is not None else None


class DocumentResult(BaseModel):
    """A whole document: its pages, or the reason it could not be read."""

    source: str
    status: Literal["done", "failed"] = "done"
    error: str | None = None
    error_kind: str | None = None
    pages: list[PageResult] = Field(default_factory=list)
    model_set: str
    runtime: str
    seconds: float = Field(0.0, description="Wall time spent on this document's pages.")
    origin: SourceObject | None = Field(None, description="Set when the document is stored.")
    document_type: str | None = None
    fields: list[FieldResult] = Field(default_factory=list)
    ocrflow_version: str | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages)
