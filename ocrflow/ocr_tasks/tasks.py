"""Prefect tasks around the engine: read a chunk, store the results.

Between tasks travel keys, ETags and records, never document bytes. The engine is loaded
once per worker process and reused by every run on it; it is never shared between threads.
Whatever goes wrong with one document (its download, its layout, its fields, its rows) fails
that document with the reason, and the rest of the chunk goes on.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from prefect import task
from prefect.tasks import exponential_backoff
from sqlalchemy.exc import DBAPIError

from ocrflow.ocr_tasks.errors import DocumentError, UnexpectedDocumentError, is_transient
from ocrflow.ocr_tasks.extract import finish_document, run_fingerprints, threshold_for
from ocrflow.ocr_tasks.pipeline import DocumentInput, OcrEngine
from ocrflow.ocr_tasks.runs import RunStamp
from ocrflow.ocr_tasks.sources import fetch_document, s3_client
from ocrflow.ocr_tasks.store import NO_RUN, DocumentStore
from ocrflow.schemas.doctypes import DocumentType, get_document_type
from ocrflow.schemas.records import DocumentResult, SourceObject
from ocrflow.schemas.settings import FieldSettings, OcrSettings

logger = logging.getLogger(__name__)

_ENGINES: dict[str, OcrEngine] = {}
_CHUNKS_READ: Counter[str] = Counter()
# A task worker serving several chunks at once (``--limit``) calls in from several threads.
_ENGINES_LOCK = threading.Lock()


def worker_engine(settings: OcrSettings) -> OcrEngine:
    """One engine per process and settings: models load on the first chunk only, and again
    after every ``engine_recycle_chunks`` chunks when that is set. Call once per chunk."""
    # What is read from the lines (fields, thresholds) and where it is stored load no model.
    key = settings.model_dump_json(exclude={"fields", "records", "storage"})
    recycle_after = settings.engine.recycle_chunks
    with _ENGINES_LOCK:
        if recycle_after and _CHUNKS_READ[key] >= recycle_after:
            retired = _ENGINES.pop(key, None)  # the sessions go with their last reference
            if retired is not None:
                retired.close()
            _CHUNKS_READ[key] = 0
            gc.collect()
        if key not in _ENGINES:
            _ENGINES[key] = OcrEngine(settings)
        _CHUNKS_READ[key] += 1
        return _ENGINES[key]


def _worth_retrying(_task: Any, _run: Any, state: Any) -> bool:
    """Retry I/O hiccups, not answers that will not change (no bucket, no access, bad URI)."""
    try:
        state.result()
    except Exception as error:
        return is_transient(error)
    return True


@task(
    retries=4,
    retry_delay_seconds=exponential_backoff(backoff_factor=2),
    retry_condition_fn=_worth_retrying,
)
def store_documents(
    database_url: str, documents: Sequence[DocumentResult], stamp: RunStamp = NO_RUN
) -> dict[str, str]:
    """Store each document in a transaction of its own, marked with ``stamp``; returns
    ``{source: reason}`` for those the database refused, which are stored as failed with that
    reason instead. Idempotent: a retry after a lost database rewrites the same rows."""
    store = DocumentStore(database_url, upgrade=False)
    refused: dict[str, str] = {}
    for document in documents:
        reason = _save_or_reason(store, document, stamp)
        if reason is not None:
            refused[document.source] = reason
    return refused


def _save_or_reason(store: DocumentStore, document: DocumentResult, stamp: RunStamp) -> str | None:
    """None once stored; else why the database refused it, stored as its failure. A lost
    database, or one that takes not even the failure, is raised: that is not the document's
    doing, and the task tries the chunk again (or the run fails)."""
    try:
        store.save(document, stamp)
        return None
    except Exception as error:
        if isinstance(error, DBAPIError) and is_transient(error):
            raise
        reason = UnexpectedDocumentError.of(document.source, error).reason
    logger.warning("%s: not stored (%s); recorded as failed", document.source, reason)
    store.save(failed_document(document, reason), stamp)
    return reason


def failed_document(
    document: DocumentResult, reason: str, kind: str = UnexpectedDocumentError.kind
) -> DocumentResult:
    """The document as failed with ``reason``: its identity, none of what was read."""
    return document.model_copy(
        update={"status": "failed", "error": reason, "error_kind": kind, "pages": [], "fields": []}
    )


def read_chunk(
    settings: OcrSettings,
    sources: Sequence[SourceObject],
    document_type_name: str | None,
    min_confidence: float | None,
    s3_block: str | None = None,
) -> list[DocumentResult]:
    """Fetch and read a chunk in one engine call, so recognition batches across documents."""
    engine = worker_engine(settings)
    document_type = get_document_type(document_type_name) if document_type_name else None
    threshold = threshold_for(document_type, min_confidence, settings.records.min_confidence)
    client = s3_client(s3_block) if any(source.bucket for source in sources) else None
    read = _read_all(engine, sources, client)
    return [
        _finish(result, origin, document_type, threshold, settings.fields)
        for result, origin in read
    ]


def chunk_stamp(
    settings: OcrSettings,
    document_type_name: str | None,
    min_confidence: float | None,
    run_id: str | None,
) -> RunStamp:
    """What a chunk read by :func:`read_chunk` with these arguments is stored with."""
    ocr, fields = run_fingerprints(settings, document_type_name, min_confidence)
    return RunStamp(run_id, ocr.digest, fields.digest)


def _read_all(
    engine: OcrEngine, sources: Sequence[SourceObject], client: Any
) -> list[tuple[DocumentResult, SourceObject]]:
    """Each source read, with its identity as fetched. The engine fails a document on its own
    for what goes wrong in decoding or layout; should a call still break as a whole (in
    recognition, which batches across documents), the documents are read one by one so that
    only the one that breaks it fails."""
    fetched: list[SourceObject] = []
    try:
        results = engine.read(_fetch_all(sources, fetched, client))
        return list(zip(results, fetched, strict=True))
    except Exception as error:
        logger.warning("chunk read broke (%r); reading its documents one by one", error)
    return [_read_alone(engine, source, client) for source in sources]


def _read_alone(
    engine: OcrEngine, source: SourceObject, client: Any
) -> tuple[DocumentResult, SourceObject]:
    fetched: list[SourceObject] = []
    try:
        [result] = engine.read(_fetch_all([source], fetched, client))
        return result, fetched[0]
    except Exception as error:
        reason = UnexpectedDocumentError.of(source.uri, error).reason
        common = {"model_set": engine.model_set.name, "runtime": engine.runtime.name}
        failed = DocumentResult(source=source.uri, **common)
        return failed_document(failed, reason), source


def _fetch_all(
    sources: Sequence[SourceObject], fetched: list[SourceObject], client: Any
) -> Iterator[DocumentInput]:
    for source in sources:
        try:
            data, origin = fetch_document(source, client)
            fetched.append(origin)
            yield DocumentInput(origin.uri, data)
        except Exception as error:  # one key refused (AccessDenied), gone, unreadable ...
            failure = (
                error
                if isinstance(error, DocumentError)
                else UnexpectedDocumentError.of(source.uri, error)
            )
            fetched.append(source)
            yield DocumentInput(source.uri, b"", open_error=failure)


def _finish(
    result: DocumentResult,
    origin: SourceObject,
    document_type: type[DocumentType] | None,
    threshold: float,
    how: FieldSettings,
) -> DocumentResult:
    """Filter and find fields; a document whose fields break the extractor fails alone."""
    try:
        return finish_document(result, origin, document_type, threshold, how)
    except Exception as error:
        reason = UnexpectedDocumentError.of(result.source, error).reason
        return failed_document(result.model_copy(update={"origin": origin}), reason)
