"""The OCR engine and the Prefect tasks around it."""

from ocr_tasks.errors import DocumentError
from ocr_tasks.pipeline import DocumentInput, OcrEngine

__all__ = ["DocumentError", "DocumentInput", "OcrEngine"]
