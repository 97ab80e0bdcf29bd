"""Extracted fields, lines and documents as pandas DataFrames (see ocrflow.ocr_tasks.query)."""

from ocrflow.ocr_tasks.query import documents, fields, lines

__all__ = ["documents", "fields", "lines"]
