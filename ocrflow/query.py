"""Extracted fields, lines and documents as pandas DataFrames (see ocr_tasks.query)."""

from ocr_tasks.query import documents, fields, lines

__all__ = ["documents", "fields", "lines"]
