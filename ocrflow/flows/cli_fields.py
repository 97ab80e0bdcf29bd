"""``ocrflow fields fit``: learn a document type's field scorer from labelled examples."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ocrflow.flows.cli_options import ModelSetOption, engine_settings

if TYPE_CHECKING:  # imported where used: the command line starts without them
    from ocrflow.ocr_tasks.fields.fit import Labelled
    from ocrflow.schemas.records import PageResult

fields_app = typer.Typer(help="Fields: fit a document type's scorer.", no_args_is_help=True)

PAGES_SUFFIX = ".pages.json"  # a document given as recognised pages (``ocrflow ocr --json``)
DOCUMENT_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf", ".bmp", ".webp")


@fields_app.command("fit")
def fit(
    document_type: Annotated[
        str, typer.Option("--type", help="receipt, invoice, or pkg.mod:Class.")
    ],
    examples: Annotated[
        Path,
        typer.Option(
            help="Folder of documents (images, PDFs or NAME.pages.json) each with NAME.json: "
            'the expected values, {"field": "as printed", ...}.'
        ),
    ],
    out: Annotated[Path | None, typer.Option(help="Write the model here instead.")] = None,
    target_error: Annotated[
        float, typer.Option(help="Share of ok fields allowed to be wrong (per field).")
    ] = 0.03,
    cache: Annotated[
        Path, typer.Option(help="Recognised pages are cached here, per file content.")
    ] = Path("/tmp/ocrflow-cache/fields-fit"),
    model_set: ModelSetOption = None,
) -> None:
    """Fit the type's scorer on EXAMPLES, print per-field figures by cross-validation
    (accuracy, share marked ok, share of ok that is wrong) and write the model beside the
    type, where --type then finds it."""
    from ocrflow.ocr_tasks.fields.decide import model_path
    from ocrflow.ocr_tasks.fields.fit import fit_type, format_table
    from ocrflow.schemas.doctypes import get_document_type

    kind = get_document_type(document_type)
    documents = _labelled(examples, cache, model_set)
    if not documents:
        typer.echo(f"no labelled documents in {examples} (NAME.json beside each)", err=True)
        raise typer.Exit(2)
    model = fit_type(kind, documents, target_error, fitted_on=str(examples))
    typer.echo(
        format_table(f"{len(documents)} documents, by 5-fold cross-validation:", model.figures)
    )
    path = out or model_path(kind)
    model.save(path)
    typer.echo(f"wrote {path}")


def _labelled(folder: Path, cache: Path, model_set: str | None) -> list[Labelled]:
    from ocrflow.ocr_tasks.fields.fit import Labelled

    documents: list[Labelled] = []
    for truth in sorted(folder.glob("*.json")):
        if truth.name.endswith(PAGES_SUFFIX):
            continue
        source = _document_for(truth)
        if source is None:
            continue
        expected = json.loads(truth.read_text(encoding="utf-8"))
        pages = _pages(source, cache, model_set)
        documents.append(Labelled(truth.stem, pages, {k: str(v) for k, v in expected.items()}))
    return documents


def _document_for(truth: Path) -> Path | None:
    pages = truth.with_name(truth.stem + PAGES_SUFFIX)
    if pages.exists():
        return pages
    return next(
        (p for p in truth.parent.glob(f"{truth.stem}.*") if p.suffix.lower() in DOCUMENT_SUFFIXES),
        None,
    )


def _pages(source: Path, cache: Path, model_set: str | None) -> list[PageResult]:
    from ocrflow.schemas.records import DocumentResult, PageResult

    if source.name.endswith(PAGES_SUFFIX):
        data = json.loads(source.read_text(encoding="utf-8"))
        items = data if isinstance(data, list) else [data]
        if items and "pages" in items[0]:
            return DocumentResult.model_validate(items[0]).pages
        return [PageResult.model_validate(item) for item in items]
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:32]
    cached = cache / f"{digest}.json"
    if not cached.exists():
        from ocrflow.ocr_tasks.pipeline import OcrEngine

        result = OcrEngine(engine_settings({"models.set": model_set})).read_paths([source])[0]
        cache.mkdir(parents=True, exist_ok=True)
        cached.write_text(result.model_dump_json(), encoding="utf-8")
    return DocumentResult.model_validate_json(cached.read_text(encoding="utf-8")).pages
