"""The OCR engine and the Prefect tasks around it."""

from ocrflow.ocr_tasks.errors import DocumentError
from ocrflow.ocr_tasks.pipeline import DocumentInput, OcrEngine

__all__ = ["DocumentError", "DocumentInput", "OcrEngine"]
