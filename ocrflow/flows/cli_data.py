"""``ocrflow extract``, ``ocrflow query …`` and ``ocrflow db upgrade``: the database side."""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ocrflow.flows.cli_options import LocaleOption, finish
from ocrflow.schemas.settings import OcrSettings

if TYPE_CHECKING:
    import pandas as pd

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (default: OCRFLOW_DATABASE_URL, else sqlite:///ocrflow.db)."
    ),
]

query_app = typer.Typer(help="Query stored fields, lines and documents.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="table, csv, json or parquet.")
]
OutputOption = Annotated[Path | None, typer.Option("--output", help="Write to this file.")]


def database_url(db: str | None) -> str:
    return db or OcrSettings().storage.database_url


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create or migrate the tables (Alembic migrations up to the newest)."""
    from ocrflow.ocr_tasks.store import upgrade_database

    upgrade_database(database_url(db))
    typer.echo("database is at the newest schema")


def extract(
    files: Annotated[list[Path], typer.Argument(help="PNG, JPEG, TIFF or PDF files.")],
    document_type: Annotated[
        str | None, typer.Option("--type", help="receipt, invoice, form, or pkg.module:Class.")
    ] = None,
    db: DbOption = None,
    min_confidence: Annotated[
        float | None, typer.Option(help="Lines under this confidence are not kept (this run only).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Read files again even if unchanged.")] = False,
    locale: LocaleOption = None,
) -> None:
    """Read FILES, keep confident lines, find the type's fields and store everything.

    Files already stored with the same content are skipped; a changed file replaces its rows.
    """
    from ocrflow.ocr_tasks.extract import extract_local_files, run_fingerprints
    from ocrflow.ocr_tasks.runs import recorded_run
    from ocrflow.ocr_tasks.sources import local_source
    from ocrflow.ocr_tasks.store import DocumentStore

    settings = OcrSettings()
    if locale:
        settings = settings.with_overrides({"fields.locale": locale})
    url = database_url(db)
    store = DocumentStore(url)
    fingerprints = run_fingerprints(settings, document_type, min_confidence)
    with recorded_run(url, "extract", _common_folder(files), document_type, fingerprints) as run:
        summary = extract_local_files(
            files, settings, store, document_type, min_confidence, force, run.id
        )
        outcome = store.outcome([local_source(path).uri for path in files])
        run.counts = {
            "listed": len(files),
            "skipped": len(summary.skipped),
            "reextracted": len(summary.reextracted),
            "read": len(summary.stored),
            "failed": len(summary.failed),
            "fields_needing_review": outcome["fields_needing_review"],
        }
    done = [d for d in summary.stored if d.status == "done"]
    typer.echo(
        f"run {run.id}: read {len(summary.stored)}: {len(done)} done, "
        f"{len(summary.failed)} failed; {len(summary.reextracted)} fields again from stored lines, "
        f"{len(summary.skipped)} unchanged skipped; "
        f"{outcome['fields_needing_review']} fields need review"
    )
    for failed in summary.failed:
        typer.echo(f"{failed.source}: FAILED ({failed.error_kind}): {failed.error}", err=True)
    finish(documents_failed=len(summary.failed))


def _common_folder(files: list[Path]) -> str:
    """Where the files of a run are, for its row: their deepest common folder."""
    import os.path

    folders = [str(path.resolve().parent) for path in files]
    return os.path.commonpath(folders) if folders else ""


@query_app.command("fields")
def query_fields(
    document_type: Annotated[str | None, typer.Option("--type", help="Document type.")] = None,
    name: Annotated[str | None, typer.Option(help="Field name.")] = None,
    status: Annotated[str | None, typer.Option(help="ok, needs_review or reviewed.")] = None,
    min_value: Annotated[float | None, typer.Option(help="Numeric value at least.")] = None,
    max_value: Annotated[float | None, typer.Option(help="Numeric value at most.")] = None,
    since: Annotated[datetime.datetime | None, typer.Option(help="Date value from.")] = None,
    until: Annotated[datetime.datetime | None, typer.Option(help="Date value to.")] = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Extracted fields with their document's source, raw text, typed value and status.

    A field a person answered (``ocrflow review set``) shows that value, status ``reviewed``.
    """
    from ocrflow.ocr_tasks import query

    frame = load_frame(
        query.fields,
        database_url(db),
        document_type=document_type,
        name=name,
        status=status,
        min_value=Decimal(str(min_value)) if min_value is not None else None,
        max_value=Decimal(str(max_value)) if max_value is not None else None,
        date_from=since.date() if since else None,
        date_to=until.date() if until else None,
    )
    write_frame(frame, output_format, output)


@query_app.command("lines")
def query_lines(
    contains: Annotated[str | None, typer.Option(help="Text the line contains (any case).")] = None,
    min_confidence: Annotated[
        float | None,
        typer.Option(
            help="Confidence at least (default: the setting records.min_confidence; 0: all)."
        ),
    ] = None,
    max_confidence: Annotated[float | None, typer.Option(help="Confidence at most.")] = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Stored text lines with their source, page, order, confidence and polygon.

    Every line read is stored; those under the threshold are left out here, and ``kept`` says
    whether a line passed the threshold of the run that stored it.
    """
    from ocrflow.ocr_tasks import query

    frame = load_frame(
        query.lines,
        database_url(db),
        contains=contains,
        min_confidence=min_confidence,
        max_confidence=max_confidence,
    )
    write_frame(frame, output_format, output)


@query_app.command("documents")
def query_documents(
    status: Annotated[str | None, typer.Option(help="done or failed.")] = None,
    document_type: Annotated[str | None, typer.Option("--type", help="Document type.")] = None,
    db: DbOption = None,
    output_format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Stored documents: source, status and, for failed ones, the reason."""
    from ocrflow.ocr_tasks import query

    frame = load_frame(
        query.documents, database_url(db), status=status, document_type=document_type
    )
    write_frame(frame, output_format, output)


def load_frame(loader: Callable[..., pd.DataFrame], url: str, **filters: Any) -> pd.DataFrame:
    from ocrflow.ocr_tasks.query import DatabaseNotReadyError

    try:
        return loader(url, **filters)
    except DatabaseNotReadyError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def write_frame(frame: pd.DataFrame, output_format: OutputFormat, output: Path | None) -> None:
    if output_format is OutputFormat.parquet:
        if output is None:
            raise typer.BadParameter("parquet needs --output FILE", param_hint="--format")
        frame.to_parquet(output, index=False)
        return
    if output_format is OutputFormat.csv:
        text = frame.to_csv(index=False)
    elif output_format is OutputFormat.json:
        text = frame.to_json(orient="records", date_format="iso", force_ascii=False)
    else:
        text = frame.to_string(index=False) if len(frame) else "(no rows)"
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8")
