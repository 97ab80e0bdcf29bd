"""Prefect flows: ``ingest-documents`` lists a source and hands chunks to ``ocr-documents``.

Chunks run in-process as subflows (the embedded default, one engine per process), as runs of
the ``ocr-documents`` deployment on process workers, or as background tasks on long-lived task
workers. Deployments name these flows through the entrypoint file ``flows/ingest.py``.
"""

from __future__ import annotations

import datetime
import time
from typing import Any, cast

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from pydantic import BaseModel, Field, model_validator

from ocrflow.flows import progress
from ocrflow.flows.chunks import ChunkSummary, ocr_chunk, read_and_store
from ocrflow.ocr_tasks.sources import source_in_block
from ocrflow.ocr_tasks.store import DocumentStore
from ocrflow.ocr_tasks.tasks import list_source, stored_etags
from ocrflow.schemas.records import SourceObject
from ocrflow.schemas.settings import OcrSettings

DEFAULT_SUFFIXES = [".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf"]


class IngestParameters(BaseModel):
    """What to ingest; the Prefect UI shows these as the run form."""

    source: str = Field(
        description="s3://bucket/prefix, a folder on the worker, or a prefix inside the bucket "
        "of the s3-bucket block named below."
    )
    s3_block: str | None = Field(
        None,
        description="prefect-aws block with the S3 credentials and endpoint: "
        "aws-credentials/NAME, minio-credentials/NAME or s3-bucket/NAME. Empty: the AWS "
        "environment of the worker (AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL, ...).",
    )
    # A plain default (pydantic copies it per instance), not a factory: the Prefect UI's run
    # form shows only defaults that are in the JSON schema.
    suffixes: list[str] = Field(DEFAULT_SUFFIXES, description="File name endings to read.")
    modified_since: datetime.datetime | None = Field(
        None, description="Only objects modified at or after this time."
    )
    document_type: str | None = Field(
        None, description="receipt, invoice, form, or package.module:Class."
    )
    min_confidence: float | None = Field(
        None, ge=0, le=1, description="Drop lines under this confidence (default: the setting)."
    )
    chunk_size: int = Field(50, gt=0, le=1000, description="Documents per OCR chunk.")
    force: bool = Field(False, description="Read documents again even if their ETag is stored.")
    chunk_deployment: str | None = Field(
        None,
        description=(
            "Run each chunk as a run of this deployment (e.g. ocr-documents/ocr-documents on "
            "the gpu pool), all at once, so chunks spread over every worker; empty: in-process."
        ),
    )

    task_workers: bool = Field(
        False,
        description=(
            "Send every chunk to the long-lived task workers (`ocrflow task-worker`), which "
            "keep the models loaded between chunks; needs shared result storage."
        ),
    )

    @model_validator(mode="after")
    def _one_chunk_runner(self) -> IngestParameters:
        if self.chunk_deployment and self.task_workers:
            raise ValueError("choose chunk_deployment or task_workers, not both")
        return self


class IngestSummary(ChunkSummary):
    listed: int = 0
    skipped: int = 0
    seconds: float = 0.0

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


@flow(name="ocr-documents", log_prints=False)
def ocr_documents(
    sources: list[SourceObject],
    document_type: str | None = None,
    min_confidence: float | None = None,
    s3_block: str | None = None,
) -> ChunkSummary:
    """Read one chunk: fetch each object, one engine call over all, store the results."""
    return read_and_store(sources, document_type, min_confidence, s3_block)


@flow(name="ingest-documents")
def ingest_documents(parameters: IngestParameters) -> IngestSummary:
    """List the source, skip what is stored unchanged, read the rest chunk by chunk."""
    logger = get_run_logger()
    settings = OcrSettings()
    started = time.perf_counter()
    source = source_in_block(parameters.source, parameters.s3_block)
    listed = list_source(
        source, parameters.suffixes, parameters.modified_since, parameters.s3_block
    )
    todo = _not_yet_stored(settings.database_url, listed, parameters.force)
    summary = IngestSummary(listed=len(listed), skipped=len(listed) - len(todo))
    logger.info("%d listed, %d unchanged, %d to read", len(listed), summary.skipped, len(todo))
    chunks = [
        todo[i : i + parameters.chunk_size] for i in range(0, len(todo), parameters.chunk_size)
    ]
    if parameters.chunk_deployment:
        summary.add(_run_chunks_on_workers(chunks, parameters, settings.database_url))
    elif parameters.task_workers:
        summary.add(_run_chunks_on_task_workers(chunks, parameters, settings.database_url))
    else:
        for number, chunk in enumerate(chunks, 1):
            progress.report(sum(len(c) for c in chunks[: number - 1]), len(todo))
            summary.add(_run_chunk(chunk, parameters))
            logger.info("chunk %d of %d read", number, len(chunks))
        progress.report(len(todo), len(todo))
    summary.seconds = time.perf_counter() - started
    create_markdown_artifact(
        key="ingest-summary", markdown=summary_markdown(parameters, summary), description="Ingest"
    )
    return summary


def _not_yet_stored(
    database_url: str, listed: list[SourceObject], force: bool
) -> list[SourceObject]:
    if force:
        return listed
    known = stored_etags(database_url, [s.uri for s in listed])
    return [s for s in listed if known.get(s.uri) != s.etag]


def _chunk_parameters(chunk: list[SourceObject], parameters: IngestParameters) -> dict[str, Any]:
    """The ocr-documents parameters for one chunk, whether run in-process or on a worker."""
    return {
        "sources": [source.model_dump(mode="json") for source in chunk],
        "document_type": parameters.document_type,
        "min_confidence": parameters.min_confidence,
        "s3_block": parameters.s3_block,
    }


def _run_chunk(chunk: list[SourceObject], parameters: IngestParameters) -> ChunkSummary:
    result: ChunkSummary = ocr_documents(**_chunk_parameters(chunk, parameters))
    return result


def _run_chunks_on_workers(
    chunks: list[list[SourceObject]], parameters: IngestParameters, database_url: str
) -> ChunkSummary:
    """Start every chunk as a run of the chunk deployment, wait for all, then sum what the
    workers stored. A chunk run that does not complete fails the ingest run (infrastructure)."""
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment

    assert parameters.chunk_deployment is not None
    runs = [
        run_deployment(
            parameters.chunk_deployment,
            parameters=_chunk_parameters(chunk, parameters),
            timeout=0,
        )
        for chunk in chunks
    ]
    states = _wait_for_runs([cast("FlowRun", run).id for run in runs])
    broken = [f"{run_id}: {state}" for run_id, state in states.items() if state != "COMPLETED"]
    if broken:
        raise RuntimeError(f"{len(broken)} chunk runs did not complete: {'; '.join(broken)}")
    return _stored_outcome(chunks, database_url)


def _run_chunks_on_task_workers(
    chunks: list[list[SourceObject]], parameters: IngestParameters, database_url: str
) -> ChunkSummary:
    """Submit every chunk to the task workers at once, wait for all, sum what they stored."""
    futures = [
        ocr_chunk.delay(
            chunk, parameters.document_type, parameters.min_confidence, parameters.s3_block
        )
        for chunk in chunks
    ]
    for future in futures:
        _wait_for_task(future)
    broken = [
        f"{f.task_run_id}: {f.state.type.value}" for f in futures if not f.state.is_completed()
    ]
    if broken:
        raise RuntimeError(f"{len(broken)} chunk tasks did not complete: {'; '.join(broken)}")
    return _stored_outcome(chunks, database_url)


def _wait_for_task(future: Any, poll_seconds: float = 1.0) -> None:
    """Wait for a background task; the server records a delayed task run a moment after
    ``.delay()`` returns, so an early read finds nothing yet."""
    from prefect.exceptions import ObjectNotFound

    while True:
        try:
            future.wait()
            return
        except ObjectNotFound:
            time.sleep(poll_seconds)


def _stored_outcome(chunks: list[list[SourceObject]], database_url: str) -> ChunkSummary:
    uris = [source.uri for chunk in chunks for source in chunk]
    return ChunkSummary(**DocumentStore(database_url, upgrade=False).outcome(uris))


def _wait_for_runs(run_ids: list[Any], poll_seconds: float = 2.0) -> dict[Any, str]:
    from prefect.client.orchestration import get_client

    final: dict[Any, str] = {}
    with get_client(sync_client=True) as client:
        while len(final) < len(run_ids):
            for run_id in run_ids:
                state = client.read_flow_run(run_id).state
                if run_id not in final and state is not None and state.is_final():
                    final[run_id] = state.type.value
            if len(final) < len(run_ids):
                time.sleep(poll_seconds)
    return final


def summary_markdown(parameters: IngestParameters, summary: IngestSummary) -> str:
    rows = [
        ("source", parameters.source),
        ("listed", summary.listed),
        ("skipped (unchanged)", summary.skipped),
        ("done", summary.done),
        ("failed", len(summary.failed)),
        ("pages", summary.pages),
        ("lines kept / dropped", f"{summary.lines_kept} / {summary.lines_dropped}"),
        ("fields needing review", summary.fields_needing_review),
        ("pages per second", f"{summary.pages_per_second:.2f}"),
    ]
    table = "\n".join(f"| {name} | {_cell(value)} |" for name, value in rows)
    failures = "\n".join(f"| {_cell(src)} | {_cell(why)} |" for src, why in summary.failed)
    text = f"# Ingest summary\n\n| | |\n|---|---|\n{table}\n"
    if failures:
        text += f"\n## Failed documents\n\n| document | reason |\n|---|---|\n{failures}\n"
    return text


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")
