"""Naive times are UTC everywhere: run parameters, flags, listings, and stored timestamps."""

from __future__ import annotations

import datetime
import os
import uuid
from pathlib import Path

import pytest
import typer
from sqlalchemy import select

from ocrflow.flows.cli_options import parse_moment
from ocrflow.flows.deploy import check_ingest_parameters
from ocrflow.flows.parameters import IngestParameters
from ocrflow.ocr_tasks.sources import SourceLocation, list_documents, s3_client
from ocrflow.ocr_tasks.store import DocumentStore, database_engine
from ocrflow.schemas.records import DocumentResult, SourceObject
from ocrflow.schemas.tables import DocumentRow

UTC = datetime.UTC


def test_a_naive_modified_since_is_utc() -> None:
    parameters = IngestParameters.model_validate(
        {"source": "s3://b/", "modified_since": "2020-01-01"}
    )
    assert parameters.modified_since == datetime.datetime(2020, 1, 1, tzinfo=UTC)
    shifted = check_ingest_parameters(
        {"source": "s3://b/", "modified_since": "2020-01-01T08:00+02:00"}
    )
    assert shifted.modified_since == datetime.datetime(2020, 1, 1, 6, tzinfo=UTC)
    # What a deployment run is sent: an ISO time with its zone.
    assert shifted.model_dump(mode="json")["modified_since"] == "2020-01-01T06:00:00Z"


def test_the_modified_since_flag_takes_dates_and_times() -> None:
    assert parse_moment("2020-01-01") == datetime.datetime(2020, 1, 1, tzinfo=UTC)
    assert parse_moment("2020-01-01T01:00:00+01:00") == datetime.datetime(2020, 1, 1, tzinfo=UTC)
    with pytest.raises(typer.BadParameter, match="not a date or time"):
        parse_moment("yesterday-ish")


def test_an_s3_listing_compares_with_a_naive_bound(s3_env: str) -> None:
    bucket = f"tz-{uuid.uuid4().hex[:8]}"
    client = s3_client()
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="in/a.png", Body=b"x")
    location = SourceLocation.parse(f"s3://{bucket}/in/")
    [listed] = list_documents(location, [".png"], datetime.datetime(2020, 1, 1))
    assert listed.last_modified is not None and listed.last_modified.tzinfo is not None
    assert list(list_documents(location, [".png"], datetime.datetime(2999, 1, 1))) == []


def test_a_folder_listing_compares_with_a_naive_bound(tmp_path: Path) -> None:
    scan = tmp_path / "a.png"
    scan.write_bytes(b"x")
    os.utime(scan, (1_600_000_000, 1_600_000_000))  # 2020-09-13T12:26:40Z
    location = SourceLocation.parse(str(tmp_path))
    assert len(list(list_documents(location, [".png"], datetime.datetime(2020, 9, 13, 12)))) == 1
    assert list(list_documents(location, [".png"], datetime.datetime(2020, 9, 13, 13))) == []


def test_stored_timestamps_come_back_with_their_zone(database_url: str) -> None:
    written = datetime.datetime(
        2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    )
    origin = SourceObject(
        uri="s3://b/tz.png", bucket="b", key="tz.png", etag="e", last_modified=written
    )
    document = DocumentResult(source=origin.uri, model_set="m", runtime="r", origin=origin)
    DocumentStore(database_url, upgrade=False).save(document)
    with database_engine(database_url).connect() as connection:
        stored_at, last_modified = connection.execute(
            select(DocumentRow.stored_at, DocumentRow.last_modified)
        ).one()
    assert stored_at.tzinfo is not None and last_modified.tzinfo is not None
    assert last_modified == written
    assert abs(datetime.datetime.now(UTC) - stored_at) < datetime.timedelta(hours=1)
