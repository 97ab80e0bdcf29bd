"""Every line is stored with ``kept``; line queries apply a threshold, so changing it needs no
OCR; field line references point at the stored lines' orders. SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ocrflow.flows.chunks import ChunkSummary
from ocrflow.flows.cli import app
from ocrflow.ocr_tasks import query
from ocrflow.ocr_tasks.extract import finish_document
from ocrflow.ocr_tasks.store import DocumentStore
from ocrflow.schemas.doctypes import get_document_type
from ocrflow.schemas.records import DocumentResult, PageResult, SourceObject
from tests.test_store import line

URI = "s3://bucket/r9.png"


def read_receipt() -> DocumentResult:
    """A receipt as the engine returns it: the line before the total is hard to read."""
    page = PageResult(
        number=1,
        width=400,
        height=800,
        lines=[
            line(0, "SHOP SDN BHD", 0.99),
            line(1, "smudge", 0.30),
            line(2, "TOTAL 9.00", 0.97),
            line(3, "THANK YOU", 0.70),
        ],
    )
    return DocumentResult(source=URI, model_set="m", runtime="r", pages=[page])


def finished(document_type: str | None = None, threshold: float = 0.5) -> DocumentResult:
    kind = get_document_type(document_type) if document_type else None
    origin = SourceObject(uri=URI, etag="e1")
    return finish_document(read_receipt(), origin, kind, threshold)


def test_every_line_is_kept_in_order_and_marked() -> None:
    [page] = finished(threshold=0.5).pages
    assert [(x.order, x.text, x.kept) for x in page.lines] == [
        (0, "SHOP SDN BHD", True),
        (1, "smudge", False),
        (2, "TOTAL 9.00", True),
        (3, "THANK YOU", True),
    ]
    assert page.lines_dropped == 1  # under the threshold, as before


def test_the_stored_outcome_counts_kept_and_dropped_lines(database_url: str) -> None:
    store = DocumentStore(database_url, upgrade=False)
    store.save(finished())
    summary = ChunkSummary.stored(store, [SourceObject(uri=URI, etag="e1")])
    assert summary.model_dump(include={"lines_kept", "lines_dropped"}) == {
        "lines_kept": 3,
        "lines_dropped": 1,
    }


def test_field_line_refs_point_at_stored_orders(database_url: str) -> None:
    document = finished("receipt")
    [total] = [f for f in document.fields if f.name == "total"]
    assert [(ref.page, ref.order) for ref in total.lines] == [(1, 2)]
    DocumentStore(database_url, upgrade=False).save(document)
    stored = query.lines(database_url, min_confidence=0).set_index("order")
    assert stored.loc[2, "text"] == "TOTAL 9.00"


def test_line_queries_apply_a_threshold_without_reading_again(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DocumentStore(database_url, upgrade=False)
    store.save(finished(threshold=0.5))
    default = query.lines(database_url)  # the setting: 0.5
    assert default["text"].tolist() == ["SHOP SDN BHD", "TOTAL 9.00", "THANK YOU"]
    every = query.lines(database_url, min_confidence=0)
    assert list(zip(every["text"], every["kept"].astype(bool), strict=True)) == [
        ("SHOP SDN BHD", True),
        ("smudge", False),
        ("TOTAL 9.00", True),
        ("THANK YOU", True),
    ]
    monkeypatch.setenv("OCRFLOW_RECORDS__MIN_CONFIDENCE", "0.8")
    assert query.lines(database_url)["text"].tolist() == ["SHOP SDN BHD", "TOTAL 9.00"]
    outcome = store.outcome([URI])
    assert (outcome["lines_kept"], outcome["lines_dropped"]) == (3, 1)


def test_query_lines_min_confidence_option(database_url: str) -> None:
    DocumentStore(database_url, upgrade=False).save(finished())
    runner = CliRunner()
    args = ["query", "lines", "--format", "json", "--db", database_url]
    every = runner.invoke(app, [*args, "--min-confidence", "0"])
    assert every.exit_code == 0, every.output
    assert [row["text"] for row in json.loads(every.stdout)][1] == "smudge"
    default = runner.invoke(app, args)
    assert len(json.loads(default.stdout)) == 3
