"""ocrflow's Python API for users: ``from ocrflow import query``."""

from ocrflow import query

__all__ = ["query"]
