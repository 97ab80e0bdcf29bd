"""One chunk of documents: read in one engine call, stored, summed.

Its own module, imported by name everywhere: a process worker loads the flow file
``flows/ingest.py`` as a bare script, and background-task parameters pickled there must refer
to classes a task worker can import.
"""

from __future__ import annotations

from prefect import task
from pydantic import BaseModel, Field

from ocrflow.ocr_tasks.store import REVIEW_LISTED, DocumentStore
from ocrflow.ocr_tasks.tasks import chunk_stamp, read_chunk, store_documents
from ocrflow.schemas.records import SourceObject
from ocrflow.schemas.settings import OcrSettings


class ChunkSummary(BaseModel):
    """What is stored for the documents of a chunk (or a run: chunks summed)."""

    done: int = 0
    failed: list[tuple[str, str]] = Field(default_factory=list)
    pages: int = 0
    lines_kept: int = 0
    lines_dropped: int = 0
    fields_needing_review: int = Field(
        0, description="Fields needing review that nobody has answered yet."
    )
    review: list[tuple[str, str, str, str]] = Field(
        default_factory=list,
        description=f"Some of those (at most {REVIEW_LISTED}): document, field, value, reason.",
    )

    @classmethod
    def stored(cls, store: DocumentStore, sources: list[SourceObject]) -> ChunkSummary:
        return cls(**store.outcome([source.uri for source in sources]))

    def add(self, other: ChunkSummary) -> None:
        self.done += other.done
        self.failed += other.failed
        self.pages += other.pages
        self.lines_kept += other.lines_kept
        self.lines_dropped += other.lines_dropped
        self.fields_needing_review += other.fields_needing_review
        self.review += other.review[: max(REVIEW_LISTED - len(self.review), 0)]


class MissingDatabaseError(RuntimeError):
    """A run on a worker with no results database configured."""


MISSING_DATABASE = (
    "no results database configured on this worker: set OCRFLOW_STORAGE__DATABASE_URL (or "
    "OCRFLOW_DATABASE_URL) in its environment, e.g. postgresql+psycopg://user@host/db"
)


def database_is_configured(settings: OcrSettings) -> bool:
    """Whether the database URL was set (environment, .env), not left at its default."""
    return "database_url" in settings.storage.model_fields_set


def configured_database_url(settings: OcrSettings) -> str:
    """The results database of this run. A run started from a deployment (on a worker) must
    be told where it is: the default, a SQLite file in the working directory, would be the
    worker's code checkout, where nobody looks for it (and each worker would have its own)."""
    from prefect.runtime import deployment

    if deployment.id and not database_is_configured(settings):
        raise MissingDatabaseError(f"{MISSING_DATABASE}; the run was not started")
    return settings.storage.database_url


def read_and_store(
    sources: list[SourceObject],
    document_type: str | None,
    min_confidence: float | None,
    s3_block: str | None,
    locale: str | None = None,
    run_id: str | None = None,
) -> ChunkSummary:
    """Read the chunk and store it, marked with the ingest run and the fingerprints of this
    worker's settings (what decided these rows)."""
    settings = OcrSettings()
    if locale:
        settings = settings.with_overrides({"fields.locale": locale})
    database_url = configured_database_url(settings)
    documents = read_chunk(settings, sources, document_type, min_confidence, s3_block)
    stamp = chunk_stamp(settings, document_type, min_confidence, run_id)
    store_documents(database_url, documents, stamp)
    return ChunkSummary.stored(DocumentStore(database_url, upgrade=False), sources)


@task(name="ocr-chunk")
def ocr_chunk(
    sources: list[SourceObject],
    document_type: str | None = None,
    min_confidence: float | None = None,
    s3_block: str | None = None,
    locale: str | None = None,
    run_id: str | None = None,
) -> ChunkSummary:
    """The same chunk as a background task, for ``ocrflow task-worker`` processes that keep
    the engine loaded between chunks."""
    return read_and_store(sources, document_type, min_confidence, s3_block, locale, run_id)
