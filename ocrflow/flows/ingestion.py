"""Prefect flows: ``ingest-documents`` lists a source and hands chunks to ``ocr-documents``.

Chunks run in-process as subflows (the embedded default, one engine per process), as runs of
the ``ocr-documents`` deployment on process workers, or as background tasks on long-lived task
workers. Deployments name these flows through the entrypoint file ``flows/ingest.py``.

The listing is a stream: page by page, each page's stored ETags looked up in one query, and
each chunk sent as soon as it fills (to the workers, at most ``max_in_flight`` at a time), so
the ingest run's memory does not grow with the bucket. One ingest of a source runs at a time
(``source_lock``); the ``ingest-summary`` artifact is written whether the run succeeds or not.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, cast

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from pydantic import Field

from ocrflow.flows import progress
from ocrflow.flows.chunks import ChunkSummary, configured_database_url, ocr_chunk, read_and_store
from ocrflow.flows.fanout import Workers, fan_out
from ocrflow.flows.parameters import IngestParameters
from ocrflow.flows.pictures import REVIEW_PICTURES_ARTIFACT, review_pictures_markdown
from ocrflow.ocr_tasks.extract import reextract_stored, run_fingerprints
from ocrflow.ocr_tasks.runs import RunStamp, plan_reads, recorded_run
from ocrflow.ocr_tasks.sources import SourceLocation, list_pages, s3_client, source_in_block
from ocrflow.ocr_tasks.store import DocumentStore, source_lock
from ocrflow.schemas.records import SourceObject
from ocrflow.schemas.settings import OcrSettings

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import State

SUMMARY_ARTIFACT = "ingest-summary"
# Not started yet: a chunk late in one of these was never taken by a worker.
WAITING_STATES = frozenset({"SCHEDULED", "PENDING"})


class IngestSummary(ChunkSummary):
    run_id: str | None = None
    listed: int = 0
    skipped: int = 0
    reextracted: int = Field(
        0, description="Documents whose fields were found again from their stored lines."
    )
    seconds: float = 0.0

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def to_read(self) -> int:
        """Listed and neither skipped nor re-extracted, so far: what goes through OCR."""
        return self.listed - self.skipped - self.reextracted

    def counts(self) -> dict[str, int | float]:
        """The run row's counts."""
        return {
            "listed": self.listed,
            "skipped": self.skipped,
            "reextracted": self.reextracted,
            "read": self.to_read,
            "done": self.done,
            "failed": len(self.failed),
            "pages": self.pages,
            "fields_needing_review": self.fields_needing_review,
            "seconds": round(self.seconds, 3),
        }

    def line(self) -> str:
        """The summary as the commands print it."""
        return (
            f"listed {self.listed}, skipped {self.skipped} unchanged, {self.reextracted} "
            f"fields again from stored lines, read {self.to_read}: done {self.done}, "
            f"failed {len(self.failed)}; {self.pages} pages, {self.lines_kept} lines kept, "
            f"{self.lines_dropped} dropped; {self.fields_needing_review} fields need review; "
            f"{self.pages_per_second:.2f} pages/s"
        )


@flow(name="ocr-documents", log_prints=False)
def ocr_documents(
    sources: list[SourceObject],
    document_type: str | None = None,
    min_confidence: float | None = None,
    s3_block: str | None = None,
    locale: str | None = None,
    run_id: str | None = None,
) -> ChunkSummary:
    """Read one chunk: fetch each object, one engine call over all, store the results."""
    return read_and_store(sources, document_type, min_confidence, s3_block, locale, run_id)


@flow(name="ingest-documents")
def ingest_documents(parameters: IngestParameters) -> IngestSummary:
    """List the source page by page, skip what is stored unchanged, find the fields again of
    what only needs that, read the rest in chunks sent as they fill; all recorded as a run."""
    settings = _run_settings(parameters)
    database_url = configured_database_url(settings)
    summary = IngestSummary()
    started = time.perf_counter()
    try:
        location = SourceLocation.parse(source_in_block(parameters.source, parameters.s3_block))
        with source_lock(database_url, location.name, parameters.lock_timeout_seconds):
            _ingest(location, parameters, settings, database_url, summary)
        _publish_review_pictures(database_url, parameters, settings, summary)
    finally:
        summary.seconds = time.perf_counter() - started
        create_markdown_artifact(
            key=SUMMARY_ARTIFACT,
            markdown=summary_markdown(parameters, summary),
            description="Ingest",
        )
    return summary


def _publish_review_pictures(
    database_url: str, parameters: IngestParameters, settings: OcrSettings, summary: IngestSummary
) -> None:
    """The annotated pages of the first documents with fields needing review, as an artifact
    a person can look at beside the summary's list."""
    if not summary.review:
        return
    store = DocumentStore(database_url, upgrade=False)
    uris = [source for source, *_ in summary.review]
    create_markdown_artifact(
        key=REVIEW_PICTURES_ARTIFACT,
        markdown=review_pictures_markdown(store, uris, parameters.s3_block, settings),
        description="Pages with fields needing review: lines by confidence, fields labelled",
    )


def _run_settings(parameters: IngestParameters) -> OcrSettings:
    settings = OcrSettings()
    if parameters.locale:
        settings = settings.with_overrides({"fields.locale": parameters.locale})
    return settings


def _ingest(
    location: SourceLocation,
    parameters: IngestParameters,
    settings: OcrSettings,
    database_url: str,
    summary: IngestSummary,
) -> None:
    logger = get_run_logger()
    store = DocumentStore(database_url)
    fingerprints = run_fingerprints(settings, parameters.document_type, parameters.min_confidence)
    with recorded_run(
        database_url, "ingest", parameters.source, parameters.document_type, fingerprints
    ) as run:
        summary.run_id = run.id
        stamp = RunStamp(run.id, fingerprints[0].digest, fingerprints[1].digest)
        client = s3_client(parameters.s3_block) if location.bucket else None
        pages = list_pages(location, parameters.suffixes, parameters.modified_since, client)
        to_read = _planned(store, stamp, parameters, settings, summary)
        chunks = chunks_to_read(pages, to_read, parameters.chunk_size, summary)
        try:
            _run_chunks(chunks, parameters, database_url, summary)
        finally:
            run.counts = summary.counts()
    logger.info(
        "%d listed, %d unchanged, %d fields again from stored lines, %d read",
        summary.listed, summary.skipped, summary.reextracted, summary.to_read,
    )  # fmt: skip


def _run_chunks(
    chunks: Iterable[list[SourceObject]],
    parameters: IngestParameters,
    database_url: str,
    summary: IngestSummary,
) -> None:
    if parameters.chunk_deployment:
        _run_chunks_on_workers(chunks, parameters, database_url, summary)
    elif parameters.task_workers:
        _run_chunks_on_task_workers(chunks, parameters, database_url, summary)
    else:
        _run_chunks_here(chunks, parameters, summary)


def _planned(
    store: DocumentStore,
    stamp: RunStamp,
    parameters: IngestParameters,
    settings: OcrSettings,
    summary: IngestSummary,
) -> Callable[[list[SourceObject]], list[SourceObject]]:
    """What of a listing page is to be read (one stored-version query for the page); the
    documents whose fields part alone changed have their fields found again here and now,
    from their stored lines (no worker, no download, no OCR)."""

    def to_read(page: list[SourceObject]) -> list[SourceObject]:
        stored = store.stored_versions([source.uri for source in page])
        plan = plan_reads(page, stored, stamp, parameters.force)
        again = [source.uri for source in plan.to_reextract]
        reextract_stored(
            store, again, parameters.document_type, parameters.min_confidence, settings,
            stamp.run_id,
        )  # fmt: skip
        summary.reextracted += len(plan.to_reextract)
        summary.add(ChunkSummary.stored(store, plan.to_reextract))  # counted like a chunk read
        return plan.to_read

    return to_read


def chunks_to_read(
    pages: Iterable[list[SourceObject]],
    to_read: Callable[[list[SourceObject]], list[SourceObject]],
    chunk_size: int,
    summary: IngestSummary,
) -> Iterator[list[SourceObject]]:
    """Chunks of what ``to_read`` keeps of each listing page, each yielded as soon as it is
    full; the next page is listed only when the chunks of this one have been taken. Counts
    what is listed and skipped into ``summary`` as it goes."""
    waiting: list[SourceObject] = []
    for page in pages:
        summary.listed += len(page)
        reextracted = summary.reextracted
        kept = to_read(page)
        summary.skipped += len(page) - len(kept) - (summary.reextracted - reextracted)
        waiting.extend(kept)
        while len(waiting) >= chunk_size:
            yield waiting[:chunk_size]
            waiting = waiting[chunk_size:]
    if waiting:
        yield waiting


def _chunk_parameters(
    chunk: list[SourceObject], parameters: IngestParameters, run_id: str | None
) -> dict[str, Any]:
    """The ocr-documents parameters for one chunk, whether run in-process or on a worker."""
    return {
        "sources": [source.model_dump(mode="json") for source in chunk],
        "document_type": parameters.document_type,
        "min_confidence": parameters.min_confidence,
        "s3_block": parameters.s3_block,
        "locale": parameters.locale,
        "run_id": run_id,
    }


def _run_chunks_here(
    chunks: Iterable[list[SourceObject]], parameters: IngestParameters, summary: IngestSummary
) -> None:
    logger = get_run_logger()
    read = 0
    for number, chunk in enumerate(chunks, 1):
        progress.report(read, summary.to_read)
        result: ChunkSummary = ocr_documents(**_chunk_parameters(chunk, parameters, summary.run_id))
        summary.add(result)
        read += len(chunk)
        logger.info("chunk %d read (%d documents so far)", number, read)
    progress.report(read, summary.to_read)


def _run_chunks_on_workers(
    chunks: Iterable[list[SourceObject]],
    parameters: IngestParameters,
    database_url: str,
    summary: IngestSummary,
) -> None:
    """Each chunk a run of the chunk deployment, at most ``max_in_flight`` at once; what the
    workers stored is summed as each finishes. A chunk run that does not complete fails the
    ingest run (infrastructure), once the others are done."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment
    from prefect.states import Cancelled, Cancelling

    assert parameters.chunk_deployment is not None
    name = parameters.chunk_deployment
    timeout = parameters.chunk_timeout_seconds
    with get_client(sync_client=True) as client:
        pool = _work_pool_of(client, name)

        def send(chunk: list[SourceObject]) -> uuid.UUID:
            chunk_parameters = _chunk_parameters(chunk, parameters, summary.run_id)
            run = run_deployment(name, parameters=chunk_parameters, timeout=0)
            return cast("FlowRun", run).id

        def state(run_id: uuid.UUID) -> str:
            current = client.read_flow_run(run_id).state
            return current.type.value if current is not None else "PENDING"

        def cancel(run_id: uuid.UUID) -> None:
            # A running chunk is stopped by its worker; one never taken is simply cancelled.
            stop: State[Any] = Cancelling() if state(run_id) == "RUNNING" else Cancelled()
            client.set_flow_run_state(run_id, stop)

        def describe_late(run_id: uuid.UUID, last: str) -> str:
            if last in WAITING_STATES:
                return (
                    f"chunk run {run_id} of {name} was not started within {timeout:g} s: no "
                    f"worker took it from work pool {pool!r} (is `prefect worker start --pool "
                    f"{pool}` running?)"
                )
            return (
                f"chunk run {run_id} of {name} (work pool {pool!r}) did not finish within "
                f"{timeout:g} s; it was {last}"
            )

        workers = Workers(send, state, cancel, describe_late)
        _send_all(chunks, workers, parameters, database_url, summary, "chunk runs")


def _work_pool_of(client: SyncPrefectClient, deployment: str) -> str:
    try:
        found = client.read_deployment(uuid.UUID(deployment))
    except ValueError:
        found = client.read_deployment_by_name(deployment)
    return found.work_pool_name or "(none)"


def _run_chunks_on_task_workers(
    chunks: Iterable[list[SourceObject]],
    parameters: IngestParameters,
    database_url: str,
    summary: IngestSummary,
) -> None:
    """Each chunk a background task for the task workers, at most ``max_in_flight`` at once;
    what they stored is summed as each finishes."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Cancelled

    timeout = parameters.chunk_timeout_seconds
    with get_client(sync_client=True) as client:

        def send(chunk: list[SourceObject]) -> uuid.UUID:
            future = ocr_chunk.delay(
                chunk,
                parameters.document_type,
                parameters.min_confidence,
                parameters.s3_block,
                parameters.locale,
                summary.run_id,
            )
            return future.task_run_id

        def state(task_run_id: uuid.UUID) -> str:
            try:
                current = client.read_task_run(task_run_id).state
            except ObjectNotFound:  # recorded by the server a moment after .delay() returns
                return "PENDING"
            return current.type.value if current is not None else "PENDING"

        def cancel(task_run_id: uuid.UUID) -> None:
            client.set_task_run_state(task_run_id, Cancelled())

        def describe_late(task_run_id: uuid.UUID, last: str) -> str:
            if last in WAITING_STATES:
                return (
                    f"chunk task {task_run_id} was not taken within {timeout:g} s: is a task "
                    "worker (`ocrflow task-worker`) running against this Prefect API?"
                )
            return f"chunk task {task_run_id} did not finish within {timeout:g} s; it was {last}"

        workers = Workers(send, state, cancel, describe_late)
        _send_all(chunks, workers, parameters, database_url, summary, "chunk tasks")


def _send_all(
    chunks: Iterable[list[SourceObject]],
    workers: Workers[list[SourceObject], uuid.UUID],
    parameters: IngestParameters,
    database_url: str,
    summary: IngestSummary,
    what: str,
) -> None:
    """Fan the chunks out; sum each one's stored outcome as it finishes; fail the run at the
    end when any did not complete."""
    store = DocumentStore(database_url, upgrade=False)
    broken: list[str] = []
    read = 0

    def finished(chunk: list[SourceObject], handle: uuid.UUID, state: str) -> None:
        nonlocal read
        summary.add(ChunkSummary.stored(store, chunk))
        read += len(chunk)
        progress.report(read, summary.to_read)
        if state != "COMPLETED":
            broken.append(f"{handle}: {state}")

    fan_out(chunks, workers, finished, parameters.max_in_flight, parameters.chunk_timeout_seconds)
    if broken:
        raise RuntimeError(f"{len(broken)} {what} did not complete: {'; '.join(broken)}")


# The summary artifact -----------------------------------------------------------------

_SUMMARY_DATA = re.compile(r"<!-- ocrflow-summary (\{.*?\}) -->", re.DOTALL)


def summary_markdown(parameters: IngestParameters, summary: IngestSummary) -> str:
    """The ``ingest-summary`` artifact: a table for people, and the summary itself as JSON in a
    comment (not shown) for ``ocrflow run-deployment --wait``."""
    rows = [
        ("source", parameters.source),
        ("run", summary.run_id or "(not started)"),
        ("listed", summary.listed),
        ("skipped (unchanged)", summary.skipped),
        ("fields again from stored lines (no OCR)", summary.reextracted),
        ("read (OCR)", summary.to_read),
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
    text += _review_section(summary)
    # Escaped so that no "-->" inside a reason can end the comment early.
    data = json.dumps(summary.model_dump(mode="json")).replace(">", "\\u003e")
    return text + f"\n<!-- ocrflow-summary {data} -->\n"


def _review_section(summary: IngestSummary) -> str:
    if not summary.review:
        return ""
    rows = "\n".join(
        f"| {_cell(source)} | {_cell(name)} | {_cell(value)} | {_cell(reason)} |"
        for source, name, value, reason in summary.review
    )
    more = summary.fields_needing_review - len(summary.review)
    tail = f"\n{more} more: `ocrflow review list`.\n" if more > 0 else ""
    return (
        "\n## Fields needing review\n\n| document | field | value | reason |\n|---|---|---|---|\n"
        f"{rows}\n{tail}"
    )


def summary_of_markdown(markdown: str) -> IngestSummary | None:
    """The summary :func:`summary_markdown` wrote into an artifact, if it holds one."""
    found = _SUMMARY_DATA.search(markdown)
    return IngestSummary.model_validate(json.loads(found.group(1))) if found else None


def read_ingest_summary(client: SyncPrefectClient, flow_run_id: uuid.UUID) -> IngestSummary | None:
    """The summary of an ingest-documents run, from its artifact (None when it wrote none)."""
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    artifacts = client.read_artifacts(
        artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
            key=ArtifactFilterKey(any_=[SUMMARY_ARTIFACT]),
        )
    )
    for artifact in artifacts:
        if isinstance(artifact.data, str) and (found := summary_of_markdown(artifact.data)):
            return found
    return None


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")
