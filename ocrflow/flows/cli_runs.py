"""``ocrflow runs``, ``ocrflow reextract`` and ``ocrflow compare``: runs, recorded and set side by
side, and fields found again without OCR."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from ocrflow.flows.cli_data import DbOption, OutputFormat, database_url, load_frame, write_frame
from ocrflow.flows.cli_options import LocaleOption
from ocrflow.schemas.settings import OcrSettings


class TextFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


FormatOption = Annotated[TextFormat, typer.Option("--format", help="table, csv or json.")]


def runs(
    limit: Annotated[int | None, typer.Option(help="The newest N runs only.")] = None,
    kind: Annotated[str | None, typer.Option(help="ingest, extract or reextract.")] = None,
    output_format: FormatOption = TextFormat.table,
    db: DbOption = None,
) -> None:
    """Every ingest, extract and re-extraction, newest first: when, what, who started it, its
    counts and the fingerprints of what decided its output (OCR part, fields part)."""
    from ocrflow.ocr_tasks import query

    frame = load_frame(query.runs, database_url(db), limit=limit, kind=kind)
    write_frame(frame, OutputFormat(output_format.value), None)


def reextract(
    document_type: Annotated[
        str | None,
        typer.Option(
            "--type",
            help="receipt, invoice, form, or pkg.module:Class (default: each document's own).",
        ),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Only documents whose URI starts with this.")
    ] = None,
    min_confidence: Annotated[float | None, typer.Option(help="Line threshold.")] = None,
    locale: LocaleOption = None,
    db: DbOption = None,
) -> None:
    """Find the fields of stored documents again from their stored lines, with no download
    and no OCR, as a run of its own (all stored documents by default)."""
    from ocrflow.flows.reextraction import ReextractParameters
    from ocrflow.flows.reextraction import reextract as run_reextract

    parameters = ReextractParameters(
        document_type=document_type, source=source, min_confidence=min_confidence, locale=locale
    )
    summary = run_reextract(database_url(db), parameters, OcrSettings())
    typer.echo(summary.line())


def compare(
    run_a: Annotated[str, typer.Argument(help="A run id (or its start), as `ocrflow runs`.")],
    run_b: Annotated[str, typer.Argument(help="Another run id.")],
    output_format: FormatOption = TextFormat.table,
    db: DbOption = None,
) -> None:
    """The fields that differ between two runs, per document: value or status changed, or
    found by one run only; documents only one of the runs stored are left out."""
    from ocrflow.ocr_tasks import query

    try:
        frame = load_frame(query.compare, database_url(db), run_a=run_a, run_b=run_b)
    except query.UnknownRunError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    write_frame(frame, OutputFormat(output_format.value), None)
