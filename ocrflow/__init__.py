"""ocrflow's Python API for users: ``from ocrflow import query``.

``ocrflow.query`` (pandas, SQLAlchemy) is imported on first use, so that importing any other
part of ocrflow, the command line among them, does not pay for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ocrflow import query

__all__ = ["query"]


def __getattr__(name: str) -> Any:
    if name == "query":
        return importlib.import_module("ocrflow.query")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
