"""Runs (issue 14): every extract and re-extraction recorded with its fingerprints; a document
skipped only when its content and both fingerprints match, its fields found again from stored
lines when only the fields part changed (no OCR), read again when the OCR part changed;
reviews that survive all of it; two runs compared field by field. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ocrflow.flows.cli import app
from ocrflow.flows.reextraction import ReextractParameters, reextract
from ocrflow.ocr_tasks import query
from ocrflow.ocr_tasks.extract import ExtractionSummary, extract_local_files
from ocrflow.ocr_tasks.pipeline import OcrEngine
from ocrflow.ocr_tasks.reviews import set_review
from ocrflow.ocr_tasks.runs import (
    RunStamp,
    StoredVersion,
    fields_fingerprint,
    ocr_fingerprint,
    plan_reads,
    recorded_run,
    run_stamp,
)
from ocrflow.ocr_tasks.store import DocumentStore, database_engine
from ocrflow.schemas.doctypes import get_document_type
from ocrflow.schemas.records import DocumentResult, FieldResult, SourceObject
from ocrflow.schemas.settings import OcrSettings, settings_with
from ocrflow.schemas.tables import DocumentRow, FieldRow, LineRow
from tests.conftest import SAMPLES

# --- the plan: which path each document takes ----------------------------------------------

STAMP = RunStamp("run", ocr_fingerprint="ocr-1", fields_fingerprint="fields-1")


def source(name: str, etag: str = "e1") -> SourceObject:
    return SourceObject(uri=f"s3://b/{name}", etag=etag)


def test_each_document_takes_the_path_its_etag_and_fingerprints_decide() -> None:
    stored = {
        "s3://b/same": StoredVersion("e1", "ocr-1", "fields-1"),
        "s3://b/edited": StoredVersion("e0", "ocr-1", "fields-1"),
        "s3://b/other-models": StoredVersion("e1", "ocr-0", "fields-1"),
        "s3://b/other-type": StoredVersion("e1", "ocr-1", "fields-0"),
        "s3://b/before-runs": StoredVersion("e1", None, None),
    }
    names = ["same", "edited", "other-models", "other-type", "before-runs", "new"]
    plan = plan_reads([source(n) for n in names], stored, STAMP)
    assert [s.uri.rpartition("/")[2] for s in plan.to_read] == ["edited", "other-models", "new"]
    # Stored before fingerprints were recorded: its lines are kept, its fields found again.
    assert [s.uri.rpartition("/")[2] for s in plan.to_reextract] == ["other-type", "before-runs"]
    assert [s.uri.rpartition("/")[2] for s in plan.unchanged] == ["same"]
    forced = plan_reads([source(n) for n in names], stored, STAMP, force=True)
    assert len(forced.to_read) == len(names)


def test_the_ocr_fingerprint_follows_what_decides_the_lines() -> None:
    base = ocr_fingerprint(OcrSettings()).digest
    assert ocr_fingerprint(OcrSettings()).digest == base
    assert ocr_fingerprint(settings_with({"models.set": "ppocrv6-tiny"})).digest != base
    assert ocr_fingerprint(settings_with({"detection.max_side": 1280})).digest != base
    assert ocr_fingerprint(settings_with({"decoding.pdf_dpi": 150})).digest != base
    # How fast or in how much memory pages are read does not change what is read.
    assert ocr_fingerprint(settings_with({"engine.threads": 1})).digest == base
    assert ocr_fingerprint(settings_with({"recognition.queue_mib": 8})).digest == base
    parts = ocr_fingerprint(OcrSettings()).parts
    assert parts["model_set"] == "ppocrv6-small" and parts["models"]["rec"]["onnx"]


def test_the_fields_fingerprint_follows_type_locale_threshold_and_model() -> None:
    receipt = get_document_type("receipt")
    how = OcrSettings().fields
    base = fields_fingerprint(receipt, 0.5, how).digest
    assert fields_fingerprint(receipt, 0.5, how).digest == base
    assert fields_fingerprint(get_document_type("invoice"), 0.5, how).digest != base
    assert fields_fingerprint(receipt, 0.6, how).digest != base
    assert fields_fingerprint(receipt, 0.5, how.model_copy(update={"locale": "de-DE"})) != base
    assert fields_fingerprint(None, 0.5, how).digest != base
    assert fields_fingerprint(receipt, 0.5, how).parts["model"]  # the fitted model's hash


# --- extract, re-extract, review, compare against a real database ---------------------------


class CountingEngine:
    """Hands out the test process's engine and counts how often a run asked for one."""

    def __init__(self, engine: OcrEngine) -> None:
        self.engine = engine
        self.built = 0

    def __call__(self) -> OcrEngine:
        self.built += 1
        return self.engine


@pytest.fixture
def receipt_file(tmp_path: Path) -> Path:
    folder = tmp_path / "scans"
    folder.mkdir()
    return Path(shutil.copy(SAMPLES / "receipt.png", folder / "receipt.png"))


def extract(
    database_url: str,
    files: list[Path],
    engine: Callable[[], OcrEngine],
    document_type: str = "receipt",
    settings: OcrSettings | None = None,
    force: bool = False,
) -> tuple[str, ExtractionSummary]:
    settings = settings or OcrSettings()
    store = DocumentStore(database_url)
    kind = get_document_type(document_type)
    stamp = run_stamp(None, settings, kind, settings.records.min_confidence)
    fingerprints = (ocr_fingerprint(settings), fields_fingerprint(kind, 0.5, settings.fields))
    with recorded_run(database_url, "extract", "test", document_type, fingerprints) as run:
        assert stamp.fields_fingerprint == fingerprints[1].digest
        summary = extract_local_files(
            files, settings, store, document_type, None, force, run.id, engine=engine
        )
    return run.id, summary


def run_ids(database_url: str) -> dict[str, set[str | None]]:
    with database_engine(database_url).connect() as connection:
        return {
            table.__tablename__: set(connection.execute(select(table.run_id)).scalars())
            for table in (DocumentRow, LineRow, FieldRow)
        }


def test_a_type_change_finds_fields_again_without_ocr(
    database_url: str, receipt_file: Path, engine: OcrEngine
) -> None:
    counting = CountingEngine(engine)
    first, summary = extract(database_url, [receipt_file], counting)
    assert (counting.built, len(summary.stored)) == (1, 1)
    lines_before = query.lines(database_url, min_confidence=0)

    _, unchanged = extract(database_url, [receipt_file], counting)
    assert (counting.built, unchanged.skipped) == (1, [str(receipt_file)])

    second, as_invoice = extract(database_url, [receipt_file], counting, "invoice")
    assert counting.built == 1  # no engine: the stored lines were used
    assert as_invoice.reextracted == [str(receipt_file)] and not as_invoice.stored
    fields = query.fields(database_url)
    assert set(fields["document_type"]) == {"invoice"}
    assert {"number", "vendor", "total"} <= set(fields["name"])
    # The lines are those the first run read; the fields and the document name the second.
    assert run_ids(database_url) == {"documents": {second}, "lines": {first}, "fields": {second}}
    lines_after = query.lines(database_url, min_confidence=0)
    assert lines_after["text"].tolist() == lines_before["text"].tolist()
    runs = query.runs(database_url)
    assert runs["id"].tolist()[0] == second and set(runs["status"]) == {"completed"}


def test_another_model_set_reads_again(
    database_url: str, receipt_file: Path, engine: OcrEngine
) -> None:
    counting = CountingEngine(engine)
    extract(database_url, [receipt_file], counting)
    tiny = settings_with({"models.set": "ppocrv6-tiny"})
    _, summary = extract(database_url, [receipt_file], counting, settings=tiny)
    assert counting.built == 2 and len(summary.stored) == 1 and not summary.reextracted
    [version] = DocumentStore(database_url).stored_versions([str(receipt_file)]).values()
    assert version.ocr_fingerprint == ocr_fingerprint(tiny).digest


def test_fields_found_again_with_the_same_settings_are_the_same(
    database_url: str, receipt_file: Path, engine: OcrEngine
) -> None:
    extract(database_url, [receipt_file], CountingEngine(engine))
    before = query.fields(database_url)
    summary = reextract(database_url, ReextractParameters(), OcrSettings())
    assert summary.documents == 1
    after = query.fields(database_url)
    columns = ["name", "value", "confidence", "status", "reason"]
    assert after[columns].to_dict("records") == before[columns].to_dict("records")


def test_a_review_survives_force_type_change_and_reextraction(
    database_url: str, receipt_file: Path, engine: OcrEngine
) -> None:
    counting = CountingEngine(engine)
    extract(database_url, [receipt_file], counting)
    set_review(database_url, str(receipt_file), "total", "corrected", "ana", "17.00")

    def shown_total() -> tuple[str, str]:
        [row] = query.fields(database_url, name="total").to_dict("records")
        return row["value"], row["status"]

    assert shown_total() == ("17.00", "reviewed")
    extract(database_url, [receipt_file], counting, force=True)
    assert counting.built == 2 and shown_total() == ("17.00", "reviewed")
    extract(database_url, [receipt_file], counting, "invoice")  # invoices have a total too
    assert shown_total() == ("17.00", "reviewed")
    reextract(database_url, ReextractParameters(document_type="receipt"), OcrSettings())
    assert shown_total() == ("17.00", "reviewed")
    assert query.review_queue(database_url, name="total").empty

    # Another version of the file: the person never saw it, so the answer is set aside.
    receipt_file.write_bytes(receipt_file.read_bytes() + b"\0")
    extract(database_url, [receipt_file], counting)
    assert shown_total() == ("16.50", "ok")
    [review] = query.reviews(database_url).to_dict("records")
    assert (review["value"], bool(review["applied"])) == ("17.00", False)


def stored_receipt(uri: str, **values: tuple[str, str]) -> DocumentResult:
    fields = [
        FieldResult(name=name, raw_text=value, value=value, confidence=0.9, status=status)  # type: ignore[arg-type]
        for name, (value, status) in values.items()
    ]
    return DocumentResult(
        source=uri,
        model_set="ppocrv6-small",
        runtime="onnxruntime",
        origin=SourceObject(uri=uri, etag="e1"),
        document_type="receipt",
        fields=fields,
    )


def test_compare_shows_exactly_the_fields_that_changed(database_url: str) -> None:
    store = DocumentStore(database_url)
    runs = []
    for total, date_status, extra, only_doc in (
        ("9.00", "ok", {}, "s3://b/only-in-a"),
        ("9.50", "needs_review", {"company": ("SHOP", "ok")}, "s3://b/only-in-b"),
    ):
        with recorded_run(database_url, "extract", "s3://b/", "receipt", (None, None)) as run:
            stamp = RunStamp(run.id, None, None)
            values = {"total": (total, "ok"), "date": ("2024-01-02", date_status)}
            store.save(stored_receipt("s3://b/r1", **values, **extra), stamp)
            store.save(stored_receipt("s3://b/r2", total=("5.00", "ok")), stamp)
            store.save(stored_receipt(only_doc, total=("1.00", "ok")), stamp)
        runs.append(run.id)
    changes = query.compare(database_url, runs[0][:8], runs[1])
    got = changes[["source", "field", "change", "value_a", "value_b"]].fillna("-")
    assert got.values.tolist() == [
        ["s3://b/r1", "company", "only_b", "-", "SHOP"],
        ["s3://b/r1", "date", "status", "2024-01-02", "2024-01-02"],
        ["s3://b/r1", "total", "value", "9.00", "9.50"],
    ]
    result = CliRunner().invoke(
        app, ["compare", runs[0], runs[1], "--format", "json", "--db", database_url]
    )
    assert result.exit_code == 0, result.output
    assert [row["field"] for row in json.loads(result.output)] == ["company", "date", "total"]
    unknown = CliRunner().invoke(app, ["compare", "nope", runs[1], "--db", database_url])
    assert unknown.exit_code == 1 and "no run has an id starting with 'nope'" in unknown.output


def test_runs_lists_every_run_with_counts_and_fingerprints(
    database_url: str, receipt_file: Path
) -> None:
    invoke = CliRunner().invoke
    extracted = invoke(
        app, ["extract", str(receipt_file), "--type", "receipt", "--db", database_url]
    )
    assert extracted.exit_code == 0, extracted.output
    again = invoke(app, ["reextract", "--type", "invoice", "--db", database_url])
    assert again.exit_code == 0 and "fields found again for 1 documents" in again.output
    listed = invoke(app, ["runs", "--format", "json", "--db", database_url])
    newest, oldest = json.loads(listed.output)
    assert (newest["kind"], newest["document_type"], newest["reextracted"]) == (
        "reextract",
        "invoice",
        1,
    )
    assert newest["ocr_fingerprint"] is None  # reads no page
    assert (oldest["kind"], oldest["read"], oldest["status"]) == ("extract", 1, "completed")
    assert oldest["ocr_fingerprint"] == ocr_fingerprint(OcrSettings()).digest
    assert "@" in oldest["started_by"]


def test_a_higher_threshold_marks_lines_again_without_ocr(
    database_url: str, receipt_file: Path, engine: OcrEngine
) -> None:
    extract(database_url, [receipt_file], CountingEngine(engine))
    every = query.lines(database_url, min_confidence=0)
    reextract(database_url, ReextractParameters(min_confidence=0.99), OcrSettings())
    after = query.lines(database_url, min_confidence=0)
    assert len(after) == len(every)  # every line still stored, marked by the new threshold
    kept = after[after["kept"].astype(bool)]
    assert len(kept) == int((every["confidence"] >= 0.99).sum()) < len(every)
    stored = DocumentStore(database_url).outcome([str(receipt_file)])
    assert stored["lines_kept"] == len(kept)
    assert stored["lines_dropped"] == len(every) - len(kept)


def test_queries_name_the_run_of_each_document_line_and_field(
    database_url: str, receipt_file: Path, engine: OcrEngine
) -> None:
    first, _ = extract(database_url, [receipt_file], CountingEngine(engine))
    second, _ = extract(database_url, [receipt_file], CountingEngine(engine), "invoice")
    [document] = query.documents(database_url).to_dict("records")
    assert (document["run_id"], document["ocr_run_id"]) == (second, first)
    assert set(query.lines(database_url, min_confidence=0)["run_id"]) == {first}
    assert set(query.fields(database_url)["run_id"]) == {second}


def test_a_loaded_document_reads_as_it_was_stored(
    database_url: str, receipt_file: Path, engine: OcrEngine
) -> None:
    _, summary = extract(database_url, [receipt_file], CountingEngine(engine))
    [stored] = summary.stored
    [loaded] = DocumentStore(database_url).load([str(receipt_file)])
    assert [(f.name, str(f.value), f.status) for f in loaded.fields] == [
        (f.name, str(f.value), f.status) for f in stored.fields
    ]
    assert loaded.pages[0].lines == stored.pages[0].lines  # text, boxes, char confidences
    assert loaded.origin is not None and loaded.origin.etag == stored.origin.etag  # type: ignore[union-attr]
