"""A database written before reviews, ``lines.kept`` and runs (revision 0002) upgrades to head
and reads back through the store and query API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ocrflow.ocr_tasks import query
from ocrflow.ocr_tasks.reviews import set_review
from ocrflow.ocr_tasks.runs import RunStamp, plan_reads
from ocrflow.ocr_tasks.store import DocumentStore, database_engine, upgrade_database
from ocrflow.schemas.records import SourceObject
from tests.databases import temporary_postgres_schema
from tests.test_store import receipt

BEFORE_REVIEWS = "0002_documents_last_modified"
URI = "s3://bucket/old.png"
STAMP = RunStamp("run", "ocr", "fields")


@pytest.fixture(params=["sqlite", "postgresql"])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        yield url
        database_engine(url).dispose()
    else:
        with temporary_postgres_schema("ocrflow_upgrade", migrated=False) as url:
            yield url


def write_as_before(url: str) -> None:
    """A document with two lines and a field, as the release at 0002 stored it."""
    polygon = json.dumps([[0, 0], [10, 0], [10, 5], [0, 5]])
    with database_engine(url).begin() as connection:
        connection.execute(
            text(
                "INSERT INTO documents (id, source_uri, etag, page_count, document_type, "
                "status, model_set, runtime, seconds, stored_at) VALUES (1, :uri, 'e1', 1, "
                "'receipt', 'done', 'ppocrv6-small', 'onnxruntime', 1.5, CURRENT_TIMESTAMP)"
            ),
            {"uri": URI},
        )
        connection.execute(
            text(
                "INSERT INTO pages (document_id, number, width, height, orientation, "
                "lines_kept, lines_dropped) VALUES (1, 1, 400, 800, 0, 2, 1)"
            )
        )
        for order, line in enumerate(["SHOP", "TOTAL 9.00"]):
            connection.execute(
                text(
                    "INSERT INTO lines (document_id, page, line_order, text, confidence, "
                    "polygon, angle) VALUES (1, 1, :order, :text, 0.9, :polygon, 0)"
                ),
                {"order": order, "text": line, "polygon": polygon},
            )
        connection.execute(
            text(
                "INSERT INTO fields (document_id, document_type, name, raw_text, value_text, "
                "value_number, confidence, status, source_lines) VALUES (1, 'receipt', "
                "'total', '9.00', '9.00', 9.00, 0.95, 'needs_review', '[]')"
            )
        )


def test_an_old_database_upgrades_and_reads_back(unmigrated_url: str) -> None:
    upgrade_database(unmigrated_url, BEFORE_REVIEWS)
    write_as_before(unmigrated_url)
    with pytest.raises(query.DatabaseNotReadyError, match="older ocrflow schema"):
        query.lines(unmigrated_url)
    upgrade_database(unmigrated_url)
    lines = query.lines(unmigrated_url, min_confidence=0)
    assert lines["text"].tolist() == ["SHOP", "TOTAL 9.00"]
    assert lines["kept"].astype(bool).tolist() == [True, True]  # stored lines were the kept ones
    assert query.review_queue(unmigrated_url)["name"].tolist() == ["total"]
    set_review(unmigrated_url, URI, "total", "corrected", "ana", "9.50")
    [total] = query.fields(unmigrated_url).to_dict("records")
    assert (total["value"], total["status"]) == ("9.50", "reviewed")
    store = DocumentStore(unmigrated_url)  # at head already: nothing to do
    assert etags_of(store, [URI]) == {URI: "e1"}
    assert store.outcome([URI])["lines_kept"] == 2
    # Stored before runs: no fingerprints, so its OCR stands and its fields are found again.
    plan = plan_reads([SourceObject(uri=URI, etag="e1")], store.stored_versions([URI]), STAMP)
    assert (len(plan.to_read), len(plan.to_reextract)) == (0, 1)
    [loaded] = store.load([URI])
    assert [line.text for line in loaded.pages[0].lines] == ["SHOP", "TOTAL 9.00"]
    assert [f.name for f in loaded.fields] == ["total"]
    assert query.runs(unmigrated_url).empty
    store.save(receipt(URI, etag="e1"))  # re-stored: the answer stays
    assert query.fields(unmigrated_url, name="total")["value"].tolist() == ["9.50"]


def etags_of(store: DocumentStore, uris: list[str]) -> dict[str, str | None]:
    return {uri: version.etag for uri, version in store.stored_versions(uris).items()}
