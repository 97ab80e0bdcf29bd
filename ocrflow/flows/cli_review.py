"""``ocrflow review list`` and ``ocrflow review set``: the review queue, and people's answers."""

from __future__ import annotations

import getpass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ocrflow.flows.cli_data import DbOption, OutputFormat, database_url, load_frame, write_frame

review_app = typer.Typer(
    help="Fields that need review, and people's answers for them.", no_args_is_help=True
)


class ReviewFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@review_app.command("list")
def review_list(
    document_type: Annotated[str | None, typer.Option("--type", help="Document type.")] = None,
    field: Annotated[str | None, typer.Option("--field", help="Field name.")] = None,
    output_format: Annotated[
        ReviewFormat, typer.Option("--format", help="table, csv or json.")
    ] = ReviewFormat.table,
    db: DbOption = None,
) -> None:
    """The review queue: fields that need review and have no answer for the stored version
    of their document, the document stored longest ago first."""
    from ocrflow.ocr_tasks import query

    frame = load_frame(
        query.review_queue, database_url(db), document_type=document_type, name=field
    )
    write_frame(frame, OutputFormat(output_format.value), None)


@review_app.command("set")
def review_set(
    uri: Annotated[str, typer.Argument(help="The document's source URI (or local path).")],
    field: Annotated[str, typer.Argument(help="The field's name.")],
    value: Annotated[str | None, typer.Argument(help="The right value.")] = None,
    accept: Annotated[
        bool, typer.Option("--accept", help="The extracted value is right (instead of VALUE).")
    ] = False,
    absent: Annotated[
        bool, typer.Option("--absent", help="The document has no such value (instead of VALUE).")
    ] = False,
    note: Annotated[str | None, typer.Option(help="Why, for whoever reads it later.")] = None,
    reviewer: Annotated[
        str | None, typer.Option(help="Who answers (default: the login name).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Answer for FIELD of the stored version of the document URI: VALUE, --accept or --absent.

    The answer outlasts re-runs and --force; another version of the document (a new ETag)
    sets it aside. Answering again replaces the earlier answer.
    """
    from ocrflow.ocr_tasks.reviews import ReviewError, ReviewKind, set_review

    if sum((value is not None, accept, absent)) != 1:
        raise typer.BadParameter("give exactly one of VALUE, --accept or --absent")
    kind: ReviewKind = "accepted" if accept else "absent" if absent else "corrected"
    url = database_url(db)
    _database_ready(url)
    try:
        review = set_review(url, _stored_uri(uri), field, kind, reviewer or _login(), value, note)
    except ReviewError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    shown = "absent" if review.value_text is None else repr(review.value_text)
    typer.echo(f"{review.source} {review.field}: {review.kind}, {shown} (by {review.reviewer})")


def _database_ready(url: str) -> None:
    from ocrflow.ocr_tasks.query import DatabaseNotReadyError, check_database

    try:
        check_database(url)
    except DatabaseNotReadyError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def _stored_uri(uri: str) -> str:
    """``uri`` as stored: a local file is stored by its absolute path."""
    path = Path(uri)
    return str(path.resolve()) if "://" not in uri and path.exists() else uri


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container
        return "unknown"
