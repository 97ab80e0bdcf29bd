"""Extracted fields, lines, documents and reviews as pandas DataFrames (see
ocrflow.ocr_tasks.query); ``set_review`` stores a person's answer for a field."""

from ocrflow.ocr_tasks.query import documents, fields, lines, review_queue, reviews
from ocrflow.ocr_tasks.reviews import set_review

__all__ = ["documents", "fields", "lines", "review_queue", "reviews", "set_review"]
