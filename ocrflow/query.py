"""Extracted fields, lines, documents, reviews and runs as pandas DataFrames (see
ocrflow.ocr_tasks.query); ``compare`` sets two runs' fields side by side; ``set_review`` stores
a person's answer for a field."""

from ocrflow.ocr_tasks.query import (
    compare,
    documents,
    fields,
    lines,
    review_queue,
    reviews,
    runs,
)
from ocrflow.ocr_tasks.reviews import set_review

__all__ = [
    "compare",
    "documents",
    "fields",
    "lines",
    "review_queue",
    "reviews",
    "runs",
    "set_review",
]
