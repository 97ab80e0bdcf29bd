"""Deployment entrypoints (``flows/ingest.py:ingest_documents``, ``:ocr_documents`` and
``:reextract_documents``, ``:review_fields``).

Prefect loads an entrypoint file as a bare script, so anything defined in it belongs to a
module no other process can import by name; background-task runs pickle the flow and its
parameters, and a task worker must import them. The flows therefore live in
:mod:`ocrflow.flows.ingestion` and this file only names them.
"""

from ocrflow.flows.ingestion import (
    IngestSummary,
    ingest_documents,
    ocr_documents,
    summary_markdown,
)
from ocrflow.flows.parameters import IngestParameters
from ocrflow.flows.reextraction import ReextractParameters, reextract_documents
from ocrflow.flows.review_flow import ReviewParameters, ReviewSummary, review_fields

__all__ = [
    "IngestParameters",
    "IngestSummary",
    "ReextractParameters",
    "ReviewParameters",
    "ReviewSummary",
    "ingest_documents",
    "ocr_documents",
    "reextract_documents",
    "review_fields",
    "summary_markdown",
]
