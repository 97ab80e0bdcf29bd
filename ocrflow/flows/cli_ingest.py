"""``ocrflow ingest``: the ingest-documents flow on this machine, with no server to start."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from logging import StreamHandler
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from ocrflow.flows.cli_data import DbOption, database_url
from ocrflow.flows.cli_options import LocaleOption, ModifiedSinceOption, finish

if TYPE_CHECKING:
    from prefect.client.schemas.objects import State

    from ocrflow.flows.ingestion import IngestSummary


def ingest(
    source: Annotated[str, typer.Argument(help="s3://bucket/prefix or a local folder.")],
    document_type: Annotated[
        str | None, typer.Option("--type", help="receipt, invoice, form, or pkg.module:Class.")
    ] = None,
    db: DbOption = None,
    min_confidence: Annotated[float | None, typer.Option(help="Drop lines under this.")] = None,
    chunk_size: Annotated[int, typer.Option(help="Documents per OCR chunk.")] = 50,
    force: Annotated[bool, typer.Option(help="Read documents again even if unchanged.")] = False,
    s3_block: Annotated[
        str | None,
        typer.Option(help="prefect-aws block for S3: aws-credentials/NAME or s3-bucket/NAME."),
    ] = None,
    modified_since: ModifiedSinceOption = None,
    locale: LocaleOption = None,
) -> None:
    """Ingest SOURCE into the database through the Prefect flow (Prefect's ephemeral API
    when PREFECT_API_URL is unset) and print the run's summary.

    Exits with status 2 when any document could not be read (each is reported with its
    reason), 1 when the run itself failed.
    """
    url = database_url(db)
    # The URL travels in the environment, not as a flow parameter: parameters are shown in
    # the Prefect UI, and a URL may hold a password.
    os.environ["OCRFLOW_DATABASE_URL"] = url
    os.environ.pop("OCRFLOW_STORAGE__DATABASE_URL", None)  # the nested name would win
    # The ephemeral API started for this command would otherwise try to phone home.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from ocrflow.flows.ingestion import ingest_documents
    from ocrflow.flows.parameters import IngestParameters
    from ocrflow.ocr_tasks.store import upgrade_database

    upgrade_database(url)
    parameters = IngestParameters(
        source=source,
        document_type=document_type,
        min_confidence=min_confidence,
        chunk_size=chunk_size,
        force=force,
        s3_block=s3_block,
        modified_since=modified_since,
        locale=locale,
    )
    with _quiet_console(), _progress_bar():
        state = ingest_documents(parameters, return_state=True)
    summary: IngestSummary | None
    if state.is_completed():
        summary = state.result()
    else:
        summary = _summary_of_failed_run(state)
        typer.echo(f"ingest failed: {state.message}", err=True)
    report_summary(summary)
    finish(
        documents_failed=len(summary.failed) if summary else 0,
        run_failed=not state.is_completed(),
    )


def report_summary(summary: IngestSummary | None) -> None:
    """The summary line on stdout, each failed document with its reason on stderr."""
    if summary is None:
        return
    typer.echo(summary.line())
    for failed_source, reason in summary.failed:
        typer.echo(f"{failed_source}: FAILED: {reason}", err=True)


def _summary_of_failed_run(state: State[Any]) -> IngestSummary | None:
    """What a failed run got through before it failed, from its summary artifact."""
    from prefect.client.orchestration import get_client

    from ocrflow.flows.ingestion import read_ingest_summary

    run_id = state.state_details.flow_run_id
    if run_id is None:
        return None
    with get_client(sync_client=True) as client:
        return read_ingest_summary(client, run_id)


@contextlib.contextmanager
def _progress_bar() -> Iterator[None]:
    """A documents-read bar on stderr, fed by the flow's progress hook."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from ocrflow.flows import progress

    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress("reading", *columns, console=Console(stderr=True), transient=True) as bar:
        documents = bar.add_task("documents", total=None)

        def report(done: int, total: int) -> None:
            bar.update(documents, completed=done, total=total)

        with progress.reporting_to(report):
            yield


@contextlib.contextmanager
def _quiet_console() -> Iterator[None]:
    """Only warnings on the terminal while the bar runs; run logs still reach the API."""
    from prefect.logging.configuration import setup_logging

    setup_logging()  # Prefect's own console handler (on the root logger), set up now, not lazily
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, StreamHandler)]
    levels = [handler.level for handler in handlers]
    for handler in handlers:
        handler.setLevel(max(handler.level, logging.WARNING))
    try:
        yield
    finally:
        for handler, level in zip(handlers, levels, strict=True):
            handler.setLevel(level)
