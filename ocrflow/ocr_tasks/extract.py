"""Filter → extract fields → store, for documents the engine has read.

The Prefect tasks and ``ocrflow extract`` both go through :func:`finish_document` and
:class:`~ocrflow.ocr_tasks.store.DocumentStore`, so a document is filtered and stored the same way
whichever way it came in.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ocrflow.ocr_tasks.confidence import mark_unconfident_lines
from ocrflow.ocr_tasks.fields import extract_fields
from ocrflow.ocr_tasks.pipeline import DocumentInput, OcrEngine
from ocrflow.ocr_tasks.sources import local_source
from ocrflow.ocr_tasks.store import DocumentStore, split_unchanged
from ocrflow.schemas.doctypes import DocumentType, get_document_type
from ocrflow.schemas.records import DocumentResult, FieldResult, SourceObject
from ocrflow.schemas.settings import FieldSettings


def ocrflow_version() -> str:
    try:
        return version("ocrflow")
    except PackageNotFoundError:
        return "unknown"


def threshold_for(
    document_type: type[DocumentType] | None, run_threshold: float | None, default: float
) -> float:
    """The run's threshold, else the document type's, else the setting."""
    if run_threshold is not None:
        return run_threshold
    if document_type is not None and document_type.min_confidence is not None:
        return document_type.min_confidence
    return default


def finish_document(
    result: DocumentResult,
    origin: SourceObject,
    document_type: type[DocumentType] | None,
    min_confidence: float,
    how: FieldSettings | None = None,
) -> DocumentResult:
    """Find the declared fields among all the lines read, and mark the lines that pass
    ``min_confidence`` as kept.

    Every line is evidence and every line is stored (with ``kept``): a field read from a line
    under ``min_confidence`` goes to review with its raw text, and its line references point
    at the stored lines' orders as read. ``how``: the locale and scorer (default: the type's)."""
    marked = mark_unconfident_lines(result, min_confidence)
    fields: list[FieldResult] = []
    how = how or FieldSettings()
    if document_type is not None and result.status == "done":
        fields = extract_fields(
            document_type,
            result.pages,
            min_confidence=min_confidence,
            scorer=how.scorer,
            locale=how.locale,
        )
    return marked.model_copy(
        update={
            "origin": origin,
            "document_type": document_type.type_name if document_type else None,
            "fields": fields,
            "ocrflow_version": ocrflow_version(),
        }
    )


@dataclass
class ExtractionSummary:
    stored: list[DocumentResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[DocumentResult]:
        return [d for d in self.stored if d.status == "failed"]


def extract_local_files(
    paths: Sequence[Path],
    engine: OcrEngine,
    store: DocumentStore,
    document_type_name: str | None,
    min_confidence: float | None = None,
    force: bool = False,
) -> ExtractionSummary:
    """Read, filter, extract and store local files; unchanged files already stored are
    skipped unless ``force``."""
    document_type = get_document_type(document_type_name) if document_type_name else None
    threshold = threshold_for(document_type, min_confidence, engine.settings.records.min_confidence)
    origins = {path: local_source(path) for path in paths}
    to_read, unchanged = split_unchanged(list(origins.values()), store.stored_etags, force)
    summary = ExtractionSummary(skipped=[origin.uri for origin in unchanged])
    reading = {origin.uri for origin in to_read}
    todo = [path for path, origin in origins.items() if origin.uri in reading]
    for path, result in zip(todo, engine.read(_inputs(todo, origins)), strict=True):
        finished = finish_document(
            result, origins[path], document_type, threshold, engine.settings.fields
        )
        store.save(finished)
        summary.stored.append(finished)
    return summary


def _inputs(paths: Sequence[Path], origins: dict[Path, SourceObject]) -> Iterator[DocumentInput]:
    for path in paths:
        yield DocumentInput(origins[path].uri, path.read_bytes())
