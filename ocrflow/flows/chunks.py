"""One chunk of documents: read in one engine call, stored, summed.

Its own module, imported by name everywhere: a process worker loads the flow file
``flows/ingest.py`` as a bare script, and background-task parameters pickled there must refer
to classes a task worker can import.
"""

from __future__ import annotations

from prefect import task
from pydantic import BaseModel, Field

from ocrflow.ocr_tasks.tasks import failed_document, read_chunk, store_documents
from ocrflow.schemas.records import DocumentResult, SourceObject
from ocrflow.schemas.settings import OcrSettings


class ChunkSummary(BaseModel):
    done: int = 0
    failed: list[tuple[str, str]] = Field(default_factory=list)
    pages: int = 0
    lines_kept: int = 0
    lines_dropped: int = 0
    fields_needing_review: int = 0

    @classmethod
    def of(cls, documents: list[DocumentResult]) -> ChunkSummary:
        pages = [page for d in documents for page in d.pages]
        return cls(
            done=sum(d.status == "done" for d in documents),
            failed=[(d.source, d.error or "") for d in documents if d.status == "failed"],
            pages=len(pages),
            lines_kept=sum(line.kept for p in pages for line in p.lines),
            lines_dropped=sum(p.lines_dropped for p in pages),
            fields_needing_review=sum(
                f.status == "needs_review" for d in documents for f in d.fields
            ),
        )

    def add(self, other: ChunkSummary) -> None:
        self.done += other.done
        self.failed += other.failed
        self.pages += other.pages
        self.lines_kept += other.lines_kept
        self.lines_dropped += other.lines_dropped
        self.fields_needing_review += other.fields_needing_review


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
) -> ChunkSummary:
    settings = OcrSettings()
    if locale:
        settings = settings.with_overrides({"fields.locale": locale})
    database_url = configured_database_url(settings)
    documents = read_chunk(settings, sources, document_type, min_confidence, s3_block)
    refused = store_documents(database_url, documents)
    return ChunkSummary.of(
        [failed_document(d, refused[d.source]) if d.source in refused else d for d in documents]
    )


@task(name="ocr-chunk")
def ocr_chunk(
    sources: list[SourceObject],
    document_type: str | None = None,
    min_confidence: float | None = None,
    s3_block: str | None = None,
    locale: str | None = None,
) -> ChunkSummary:
    """The same chunk as a background task, for ``ocrflow task-worker`` processes that keep
    the engine loaded between chunks."""
    return read_and_store(sources, document_type, min_confidence, s3_block, locale)
