"""Fields again from stored lines: ``ocrflow reextract`` and the ``reextract-documents`` flow.

A new document type, a refitted field model, another locale or line threshold changes the
fields, not the lines: the stored lines are read back and the fields found again, with no
download and no OCR, as a run of its own (``ocrflow runs``, ``ocrflow compare``).
"""

from __future__ import annotations

import time

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from pydantic import BaseModel, Field

from ocrflow.flows.chunks import configured_database_url
from ocrflow.ocr_tasks.extract import reextract_stored, threshold_for
from ocrflow.ocr_tasks.runs import fields_fingerprint, recorded_run
from ocrflow.ocr_tasks.store import DocumentStore
from ocrflow.schemas.doctypes import get_document_type
from ocrflow.schemas.settings import OcrSettings


class ReextractParameters(BaseModel):
    """Which stored documents to find the fields of again, and how; the UI's run form."""

    document_type: str | None = Field(
        None,
        description="receipt, invoice, form, or package.module:Class; empty: each document's own.",
    )
    source: str | None = Field(
        None,
        description="Only documents whose source URI starts with this (s3://bucket/prefix, a "
        "folder); empty: every stored document.",
    )
    min_confidence: float | None = Field(
        None, ge=0, le=1, description="Line threshold (default: the type's, else the setting)."
    )
    locale: str | None = Field(
        None, description="de-DE, fr-FR, en-US, en-MY, auto; empty: the setting, else the type's."
    )


class ReextractSummary(BaseModel):
    run_id: str
    documents: int = 0
    fields_needing_review: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"run {self.run_id}: fields found again for {self.documents} documents from their "
            f"stored lines in {self.seconds:.2f} s; {self.fields_needing_review} fields need "
            "review"
        )


def reextract(
    database_url: str, parameters: ReextractParameters, settings: OcrSettings
) -> ReextractSummary:
    """Every stored document the parameters name, its fields found again, as one run."""
    if parameters.locale:
        settings = settings.with_overrides({"fields.locale": parameters.locale})
    store = DocumentStore(database_url)
    named = parameters.document_type
    kind = get_document_type(named) if named else None
    threshold = threshold_for(kind, parameters.min_confidence, settings.records.min_confidence)
    # Without a type each document keeps its own, and the fields part differs by type.
    fingerprint = fields_fingerprint(kind, threshold, settings.fields) if kind else None
    started = time.perf_counter()
    with recorded_run(
        database_url, "reextract", parameters.source, named, (None, fingerprint)
    ) as run:
        done: list[str] = []
        for page in store.stored_uris(parameters.source):
            done += reextract_stored(
                store, page, named, parameters.min_confidence, settings, run.id
            )
        outcome = store.outcome(done)
        summary = ReextractSummary(
            run_id=run.id,
            documents=len(done),
            fields_needing_review=outcome["fields_needing_review"],
            seconds=time.perf_counter() - started,
        )
        run.counts = {
            "reextracted": summary.documents,
            "fields_needing_review": summary.fields_needing_review,
            "seconds": round(summary.seconds, 3),
        }
    return summary


@flow(name="reextract-documents")
def reextract_documents(parameters: ReextractParameters) -> ReextractSummary:
    """Find the fields of stored documents again from their stored lines (no OCR)."""
    settings = OcrSettings()
    summary = reextract(configured_database_url(settings), parameters, settings)
    create_markdown_artifact(
        key="reextract-summary",
        markdown=f"# Re-extraction\n\n{summary.line()}\n\n"
        f"Compare with an earlier run: `ocrflow compare RUN {summary.run_id}`.\n",
        description="Re-extraction",
    )
    return summary
