"""What crosses ocrflow's boundaries: records, settings and (later) database tables."""

from schemas.records import DocumentResult, LineResult, PageResult
from schemas.settings import OcrSettings

__all__ = ["DocumentResult", "LineResult", "OcrSettings", "PageResult"]
