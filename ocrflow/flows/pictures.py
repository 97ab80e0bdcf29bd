"""Pictures for Prefect: the pages of stored documents, annotated, as a markdown artifact.

A picture needs the page image, which is not stored: the document is fetched again from its
source (the version stored, by its origin) and decoded, with no OCR. Whatever goes wrong with
one picture (the object is gone, the bucket refuses) is said in its place; it never fails the
run that asked for it.
"""

from __future__ import annotations

import logging

from ocrflow.ocr_tasks.annotate import document_pictures_markdown, markdown_escape
from ocrflow.ocr_tasks.decode import DecodeLimits
from ocrflow.ocr_tasks.sources import fetch_document, s3_client
from ocrflow.ocr_tasks.store import DocumentStore
from ocrflow.schemas.records import DocumentResult
from ocrflow.schemas.settings import OcrSettings

logger = logging.getLogger(__name__)

REVIEW_PICTURES_ARTIFACT = "ingest-review-pictures"


def document_bytes(document: DocumentResult, s3_block: str | None) -> bytes:
    """The stored document's bytes, fetched again from where it was read."""
    origin = document.origin
    if origin is None:
        raise ValueError(f"{document.source} was not loaded from the store")
    client = s3_client(s3_block) if origin.bucket else None
    data, _ = fetch_document(origin, client)
    return data


def review_pictures_markdown(
    store: DocumentStore,
    uris: list[str],
    s3_block: str | None,
    settings: OcrSettings,
    max_documents: int = 3,
    max_pages: int = 2,
) -> str:
    """The annotated pages (lines coloured by confidence, fields labelled) of the first
    ``max_documents`` of ``uris``: the documents with fields needing review."""
    shown = list(dict.fromkeys(uris))[:max_documents]
    parts = ["# Documents with fields needing review", ""]
    for document in store.load(shown):
        parts.append(_pictures(document, s3_block, settings, max_pages))
    left_out = len(set(uris)) - len(shown)
    if left_out > 0:
        parts.append(
            f"{left_out} more documents with fields needing review: `ocrflow review list`."
        )
    return "\n\n".join(parts) + "\n"


def _pictures(
    document: DocumentResult, s3_block: str | None, settings: OcrSettings, max_pages: int
) -> str:
    limits = DecodeLimits.of(settings.decoding)
    try:
        data = document_bytes(document, s3_block)
        threshold = settings.records.min_confidence
        return document_pictures_markdown(document, data, limits, threshold, max_pages)
    except Exception as error:  # a picture is a help: it never fails the run
        logger.warning("no picture of %s: %s", document.source, error)
        return (
            f"### {markdown_escape(document.source)}\n\n*No picture: {markdown_escape(str(error))}*"
        )
