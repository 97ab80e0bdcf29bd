"""The OCR engine and the Prefect tasks around it.

The engine (``OcrEngine``, ``DocumentInput``) is imported on first use, so that the light
modules of this package (``ocrflow.ocr_tasks.query``, ``store``, ``errors``) can be imported
without OpenCV or an inference runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ocrflow.ocr_tasks.errors import DocumentError

if TYPE_CHECKING:
    from ocrflow.ocr_tasks.pipeline import DocumentInput, OcrEngine

__all__ = ["DocumentError", "DocumentInput", "OcrEngine"]

_LAZY = {"DocumentInput": "ocrflow.ocr_tasks.pipeline", "OcrEngine": "ocrflow.ocr_tasks.pipeline"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
