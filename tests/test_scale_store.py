"""The store at bucket scale, on SQLite and PostgreSQL: one ingest of a source at a time, no
older version over a newer one, one refused row failing only its document."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from ocrflow.ocr_tasks import query
from ocrflow.ocr_tasks.store import DocumentStore, SourceBusyError, database_engine, source_lock
from ocrflow.ocr_tasks.tasks import store_documents
from ocrflow.schemas.records import (
    DocumentResult,
    FieldResult,
    LineResult,
    PageResult,
    SourceObject,
)
from ocrflow.schemas.tables import DocumentRow, LineRow
from tests.databases import emptied

UTC = datetime.UTC


def version(uri: str, text: str, modified: datetime.datetime | None) -> DocumentResult:
    box = [(0.0, 0.0), (100.0, 0.0), (100.0, 18.0), (0.0, 18.0)]
    page = PageResult(
        number=1,
        width=400,
        height=800,
        lines=[LineResult(order=0, text=text, confidence=0.9, polygon=box)],
    )
    origin = SourceObject(uri=uri, bucket="b", key="k", etag=text, last_modified=modified)
    return DocumentResult(source=uri, model_set="m", runtime="r", pages=[page], origin=origin)


def stored(url: str, uri: str) -> tuple[str | None, list[str]]:
    with database_engine(url).connect() as connection:
        etag = connection.execute(
            select(DocumentRow.etag).where(DocumentRow.source_uri == uri)
        ).scalar_one()
        lines = connection.execute(
            select(LineRow.text).join(DocumentRow).where(DocumentRow.source_uri == uri)
        ).scalars()
        return etag, list(lines)


def test_an_older_version_arriving_last_leaves_the_newer_rows(database_url: str) -> None:
    store = DocumentStore(database_url, upgrade=False)
    uri = "s3://b/in/late.png"
    monday, tuesday, wednesday = (datetime.datetime(2026, 3, d, tzinfo=UTC) for d in (2, 3, 4))
    store.save(version(uri, "TUESDAY", tuesday))
    store.save(version(uri, "MONDAY", monday))  # a slow reader of the old version
    assert stored(database_url, uri) == ("TUESDAY", ["TUESDAY"])
    store.save(version(uri, "WEDNESDAY", wednesday))
    assert stored(database_url, uri) == ("WEDNESDAY", ["WEDNESDAY"])
    store.save(version(uri, "WEDNESDAY AGAIN", wednesday))  # the same version read again
    assert stored(database_url, uri) == ("WEDNESDAY AGAIN", ["WEDNESDAY AGAIN"])
    store.save(version(uri, "UNDATED", None))  # a source that does not say: replaces
    assert stored(database_url, uri) == ("UNDATED", ["UNDATED"])


def test_one_ingest_of_a_source_at_a_time(database_url: str) -> None:
    with source_lock(database_url, "s3://b/in/", timeout_seconds=0):
        with (
            pytest.raises(SourceBusyError, match=r"another ingest of s3://b/in/ is running"),
            source_lock(database_url, "s3://b/in/", timeout_seconds=0.2, poll_seconds=0.05),
        ):
            pass
        with source_lock(database_url, "s3://b/other/", timeout_seconds=0):
            pass  # another source is not held up
    with source_lock(database_url, "s3://b/in/", timeout_seconds=0):
        pass  # released


def test_a_row_the_database_refuses_fails_only_its_document(postgres_url: str) -> None:
    url = emptied(postgres_url)
    good = version("s3://b/in/good.png", "GOOD", None)
    bad = version("s3://b/in/bad.png", "BAD", None)
    # numeric(20, 4) cannot hold it: PostgreSQL refuses the row (DataError).
    bad.fields = [FieldResult(name="total", raw_text="1e30", value=Decimal("1e30"), confidence=1)]
    refused = store_documents.fn(url, [bad, good])
    assert list(refused) == [bad.source]
    assert refused[bad.source].startswith("DataError: numeric field overflow")
    documents = query.documents(url).set_index("source")
    assert documents.loc[good.source, "status"] == "done"
    assert documents.loc[bad.source, "status"] == "failed"
    assert documents.loc[bad.source, "reason"].startswith("DataError")
