"""Filter → extract fields → store, for documents the engine has read.

The Prefect tasks and ``ocrflow extract`` both go through :func:`finish_document` and
:class:`~ocrflow.ocr_tasks.store.DocumentStore`, so a document is filtered and stored the same way
whichever way it came in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ocrflow.ocr_tasks.confidence import mark_unconfident_lines
from ocrflow.ocr_tasks.fields import extract_fields
from ocrflow.ocr_tasks.pipeline import DocumentInput, OcrEngine
from ocrflow.ocr_tasks.runs import (
    Fingerprint,
    RunStamp,
    fields_fingerprint,
    ocr_fingerprint,
    ocrflow_version,
    plan_reads,
)
from ocrflow.ocr_tasks.runs import run_stamp as stamp_of
from ocrflow.ocr_tasks.sources import local_source
from ocrflow.ocr_tasks.store import DocumentStore
from ocrflow.schemas.doctypes import DocumentType, get_document_type
from ocrflow.schemas.records import DocumentResult, FieldResult, SourceObject
from ocrflow.schemas.settings import FieldSettings, OcrSettings


def threshold_for(
    document_type: type[DocumentType] | None, run_threshold: float | None, default: float
) -> float:
    """The run's threshold, else the document type's, else the setting."""
    if run_threshold is not None:
        return run_threshold
    if document_type is not None and document_type.min_confidence is not None:
        return document_type.min_confidence
    return default


def run_fingerprints(
    settings: OcrSettings, document_type_name: str | None, min_confidence: float | None
) -> tuple[Fingerprint, Fingerprint]:
    """The OCR and fields fingerprints of documents read with ``settings`` as
    ``document_type_name`` (None: no fields) with the run's ``min_confidence``."""
    kind = get_document_type(document_type_name) if document_type_name else None
    threshold = threshold_for(kind, min_confidence, settings.records.min_confidence)
    return ocr_fingerprint(settings), fields_fingerprint(kind, threshold, settings.fields)


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
    reextracted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[DocumentResult]:
        return [d for d in self.stored if d.status == "failed"]


def extract_local_files(
    paths: Sequence[Path],
    settings: OcrSettings,
    store: DocumentStore,
    document_type_name: str | None,
    min_confidence: float | None = None,
    force: bool = False,
    run_id: str | None = None,
    engine: Callable[[], OcrEngine] | None = None,
) -> ExtractionSummary:
    """Read, filter, extract and store local files. A file stored unchanged (same content,
    same fingerprints) is skipped; one whose fields part alone changed has its fields found
    again from its stored lines; the rest are read, by an engine built (``engine``, default
    ``OcrEngine(settings)``) only when there is something to read."""
    document_type = get_document_type(document_type_name) if document_type_name else None
    threshold = threshold_for(document_type, min_confidence, settings.records.min_confidence)
    stamp = stamp_of(run_id, settings, document_type, threshold)
    origins = {path: local_source(path) for path in paths}
    known = store.stored_versions([origin.uri for origin in origins.values()])
    plan = plan_reads(list(origins.values()), known, stamp, force)
    summary = ExtractionSummary(skipped=[origin.uri for origin in plan.unchanged])
    summary.reextracted = reextract_stored(
        store, [o.uri for o in plan.to_reextract], document_type_name, min_confidence,
        settings, run_id,
    )  # fmt: skip
    reading = {origin.uri for origin in plan.to_read}
    todo = [path for path, origin in origins.items() if origin.uri in reading]
    if todo:
        reader = (engine or (lambda: OcrEngine(settings)))()
        for path, result in zip(todo, reader.read(_inputs(todo, origins)), strict=True):
            finished = finish_document(
                result, origins[path], document_type, threshold, settings.fields
            )
            store.save(finished, stamp)
            summary.stored.append(finished)
    return summary


def reextract_stored(
    store: DocumentStore,
    uris: Iterable[str],
    document_type_name: str | None,
    min_confidence: float | None,
    settings: OcrSettings,
    run_id: str | None,
    batch_size: int = 100,
) -> list[str]:
    """Find the fields of stored documents again from their stored lines: no download, no
    OCR. ``document_type_name`` None keeps each document's own type. Returns the URIs whose
    fields were stored (a document replaced by a newer version meanwhile is left alone)."""
    done: list[str] = []
    batch: list[str] = []
    for uri in [*uris, None]:
        if uri is not None:
            batch.append(uri)
        if batch and (uri is None or len(batch) >= batch_size):
            for document in store.load(batch):
                name = document_type_name or document.document_type
                if _reextract_one(store, document, name, min_confidence, settings, run_id):
                    done.append(document.source)
            batch = []
    return done


def _reextract_one(
    store: DocumentStore,
    document: DocumentResult,
    document_type_name: str | None,
    min_confidence: float | None,
    settings: OcrSettings,
    run_id: str | None,
) -> bool:
    document_type = get_document_type(document_type_name) if document_type_name else None
    threshold = threshold_for(document_type, min_confidence, settings.records.min_confidence)
    fingerprint = fields_fingerprint(document_type, threshold, settings.fields)
    assert document.origin is not None
    finished = finish_document(
        document.model_copy(update={"fields": []}),
        document.origin,
        document_type,
        threshold,
        settings.fields,
    )
    # The OCR part is the stored one: the lines are those it read.
    stamp = RunStamp(run_id, None, fingerprint.digest)
    return store.save_fields(finished, stamp)


def _inputs(paths: Sequence[Path], origins: dict[Path, SourceObject]) -> Iterator[DocumentInput]:
    for path in paths:
        yield DocumentInput(origins[path].uri, path.read_bytes())
