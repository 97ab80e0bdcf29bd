"""What crosses ocrflow's boundaries: records, settings and (later) database tables."""

from ocrflow.schemas.records import DocumentResult, LineResult, PageResult
from ocrflow.schemas.settings import OcrSettings

__all__ = ["DocumentResult", "LineResult", "OcrSettings", "PageResult"]
