"""Prefect tasks around the engine: list a source, read a chunk, store the results.

Between tasks travel keys, ETags and records, never document bytes. The engine is loaded
once per worker process and reused by every run on it; it is never shared between threads.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from prefect import task
from prefect.tasks import exponential_backoff

from ocrflow.ocr_tasks.errors import DocumentError, is_transient
from ocrflow.ocr_tasks.extract import finish_document, threshold_for
from ocrflow.ocr_tasks.pipeline import DocumentInput, OcrEngine
from ocrflow.ocr_tasks.sources import SourceLocation, fetch_document, list_documents, s3_client
from ocrflow.ocr_tasks.store import DocumentStore
from ocrflow.schemas.doctypes import get_document_type
from ocrflow.schemas.records import DocumentResult, SourceObject
from ocrflow.schemas.settings import OcrSettings

_ENGINES: dict[str, OcrEngine] = {}
_CHUNKS_READ: Counter[str] = Counter()


def worker_engine(settings: OcrSettings) -> OcrEngine:
    """One engine per process and settings: models load on the first chunk only, and again
    after every ``engine_recycle_chunks`` chunks when that is set. Call once per chunk."""
    key = settings.model_dump_json()
    recycle_after = settings.engine.recycle_chunks
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
    task_run_name="list {source}",
)
def list_source(
    source: str, suffixes: Sequence[str], modified_since: Any = None, s3_block: str | None = None
) -> list[SourceObject]:
    location = SourceLocation.parse(source)
    client = s3_client(s3_block) if location.bucket else None
    return list(list_documents(location, suffixes, modified_since, client))


@task(retries=4, retry_delay_seconds=exponential_backoff(backoff_factor=2))
def stored_etags(database_url: str, uris: Sequence[str]) -> dict[str, str | None]:
    return DocumentStore(database_url).stored_etags(uris)


@task(retries=4, retry_delay_seconds=exponential_backoff(backoff_factor=2))
def store_documents(database_url: str, documents: Sequence[DocumentResult]) -> int:
    """Idempotent: a retry after a dropped connection rewrites the same rows."""
    store = DocumentStore(database_url, upgrade=False)
    for document in documents:
        store.save(document)
    return len(documents)


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
    fetched: list[SourceObject] = []
    client = s3_client(s3_block) if any(source.bucket for source in sources) else None
    results = engine.read(_fetch_all(sources, fetched, client))
    return [
        finish_document(result, origin, document_type, threshold)
        for result, origin in zip(results, fetched, strict=True)
    ]


def _fetch_all(
    sources: Sequence[SourceObject], fetched: list[SourceObject], client: Any
) -> Iterator[DocumentInput]:
    for source in sources:
        try:
            data, origin = fetch_document(source, client)
            fetched.append(origin)
            yield DocumentInput(origin.uri, data)
        except DocumentError as error:
            fetched.append(source)
            yield DocumentInput(source.uri, b"", open_error=error)
