"""Prefect flows: ``ingest-documents`` lists a source and hands chunks to ``ocr-documents``.

Chunks run in-process as subflows (the embedded default, one engine per process), as runs of
the ``ocr-documents`` deployment on process workers, or as background tasks on long-lived task
workers. Deployments name these flows through the entrypoint file ``flows/ingest.py``.
"""

from __future__ import annotations

import time
from typing import Any, cast

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from ocrflow.flows import progress
from ocrflow.flows.chunks import ChunkSummary, ocr_chunk, read_and_store
from ocrflow.flows.parameters import IngestParameters
from ocrflow.ocr_tasks.sources import source_in_block
from ocrflow.ocr_tasks.store import DocumentStore, split_unchanged
from ocrflow.ocr_tasks.tasks import list_source, stored_etags
from ocrflow.schemas.records import SourceObject
from ocrflow.schemas.settings import OcrSettings


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
    database_url = OcrSettings().storage.database_url
    started = time.perf_counter()
    source = source_in_block(parameters.source, parameters.s3_block)
    listed = list_source(
        source, parameters.suffixes, parameters.modified_since, parameters.s3_block
    )
    todo = _not_yet_stored(database_url, listed, parameters.force)
    summary = IngestSummary(listed=len(listed), skipped=len(listed) - len(todo))
    logger.info("%d listed, %d unchanged, %d to read", len(listed), summary.skipped, len(todo))
    chunks = [
        todo[i : i + parameters.chunk_size] for i in range(0, len(todo), parameters.chunk_size)
    ]
    if parameters.chunk_deployment:
        summary.add(_run_chunks_on_workers(chunks, parameters, database_url))
    elif parameters.task_workers:
        summary.add(_run_chunks_on_task_workers(chunks, parameters, database_url))
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
    to_read, _ = split_unchanged(listed, lambda uris: stored_etags(database_url, uris), force)
    return to_read


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
