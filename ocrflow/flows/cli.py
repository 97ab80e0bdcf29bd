"""The ``ocrflow`` command line."""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ocrflow.bench import cli as cli_bench
from ocrflow.flows import cli_data, cli_ingest, cli_runs, task_worker
from ocrflow.flows import deploy as cli_deploy
from ocrflow.flows.cli_fields import fields_app
from ocrflow.flows.cli_options import (
    DetMaxSideOption,
    LineOrientationOption,
    ModelSetOption,
    PageOrientationOption,
    RuntimeOption,
    engine_settings,
    finish,
)
from ocrflow.flows.cli_review import review_app
from ocrflow.ocr_tasks.errors import DocumentError
from ocrflow.schemas.records import DocumentResult
from ocrflow.schemas.settings import DeviceName

if TYPE_CHECKING:
    from ocrflow.ocr_tasks.pipeline import DocumentInput

app = typer.Typer(
    help="ocrflow: scanned documents in, queryable text out.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals could hold credentials
)


@app.callback()
def main() -> None:
    """ocrflow: scanned documents in, queryable text out."""


@app.command()
def ocr(
    files: Annotated[list[Path], typer.Argument(help="PNG, JPEG, TIFF or PDF files.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON array of records.")
    ] = False,
    annotate: Annotated[
        Path | None, typer.Option(help="Write each page with its lines drawn as PNG here.")
    ] = None,
    model_set: ModelSetOption = None,
    runtime: RuntimeOption = None,
    device: Annotated[DeviceName | None, typer.Option(help="auto, cpu or cuda.")] = None,
    det_max_side: DetMaxSideOption = None,
    pdf_dpi: Annotated[int | None, typer.Option(help="PDF rendering DPI.")] = None,
    line_orientation: LineOrientationOption = None,
    page_orientation: PageOrientationOption = None,
) -> None:
    """Read FILES in one process (recognition batched across all of them) and print their text.

    Exits with status 2 when any file could not be read (each is reported with its reason).
    """
    from ocrflow.ocr_tasks.annotate import annotate_document
    from ocrflow.ocr_tasks.pipeline import OcrEngine

    settings = engine_settings(
        {
            "models.set": model_set,
            "engine.runtime": runtime,
            "engine.device": device,
            "detection.max_side": det_max_side,
            "decoding.pdf_dpi": pdf_dpi,
            "orientation.line": line_orientation,
            "orientation.page": page_orientation,
        }
    )
    engine = OcrEngine(settings)
    # A generator: each file is read from disk only when the engine gets to it.
    results = engine.read(_read_input(path) for path in files)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in results], ensure_ascii=False))
    else:
        for result in results:
            _print_text(result)
    for result in results:
        if result.status == "failed":
            typer.echo(f"{result.source}: FAILED ({result.error_kind}): {result.error}", err=True)
    if annotate is not None:
        for result, path in zip(results, files, strict=True):
            if result.status == "done":
                annotate_document(result, path.read_bytes(), engine.decode_limits, annotate)
    finish(documents_failed=sum(r.status == "failed" for r in results))


def _read_input(path: Path) -> DocumentInput:
    from ocrflow.ocr_tasks.pipeline import DocumentInput

    try:
        return DocumentInput.from_path(path)
    except OSError as exc:
        # A file we cannot open is reported like any unreadable document.
        error = DocumentError(str(path), f"cannot open file: {exc.strerror}")
        return DocumentInput(str(path), b"", open_error=error)


def _print_text(result: DocumentResult) -> None:
    for page in result.pages:
        rotated = f", turned {page.orientation}°" if page.orientation else ""
        typer.echo(f"== {result.source} page {page.number}{rotated}")
        for line in page.lines:
            typer.echo(line.text)
    sys.stdout.flush()


app.command("extract")(cli_data.extract)
app.command("ingest")(cli_ingest.ingest)
app.command("reextract")(cli_runs.reextract)
app.command("runs")(cli_runs.runs)
app.command("compare")(cli_runs.compare)
app.command("bench")(cli_bench.bench)
app.command("deploy")(cli_deploy.deploy)
app.command("run-deployment")(cli_deploy.run_deployment)
app.command("task-worker")(task_worker.task_worker)
app.add_typer(cli_data.query_app, name="query")
app.add_typer(cli_data.db_app, name="db")
app.add_typer(fields_app, name="fields")
app.add_typer(review_app, name="review")


def _help_paragraphs(text: str) -> str:
    """``text`` with each paragraph on one line (paragraphs starting with ``\\b`` kept as they are),
    so that help wraps to the terminal rather than where the docstring's source lines end."""
    # Typer drops what follows a form feed; str.split() would take it for a space.
    paragraphs = inspect.cleandoc(text).partition("\f")[0].split("\n\n")
    return "\n\n".join(p if p.startswith("\b") else " ".join(p.split()) for p in paragraphs)


def _wrap_command_help(typer_app: typer.Typer) -> None:
    """Give every command of ``typer_app`` (and of its sub-apps) its docstring as help, one line
    per paragraph: Typer keeps a docstring's line breaks in the command list and after the
    first paragraph."""
    for command in typer_app.registered_commands:
        if command.help is None and command.callback is not None:
            command.help = _help_paragraphs(inspect.getdoc(command.callback) or "")
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _wrap_command_help(group.typer_instance)


_wrap_command_help(app)


if __name__ == "__main__":
    app()
