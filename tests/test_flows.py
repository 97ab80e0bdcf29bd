"""The ingest-documents flow end to end: a real S3 API on loopback (moto server, boto3 over
HTTP), PostgreSQL, and Prefect's test harness as the API."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.testing.utilities import prefect_test_harness

from flows.ingest import IngestParameters, ingest_documents, summary_markdown
from ocr_tasks import query
from ocr_tasks.sources import s3_client
from tests.conftest import SAMPLES
from tests.databases import emptied
from tests.s3server import bucket_of_receipts


@pytest.fixture(scope="module", autouse=True)
def prefect_api() -> Iterator[None]:
    with (
        prefect_test_harness(server_startup_timeout=120),
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield


@pytest.fixture
def pg_url(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    url = emptied(postgres_url)
    monkeypatch.setenv("OCRFLOW_DATABASE_URL", url)
    return url


@pytest.fixture
def bucket(s3_env: str, shared_data: Path) -> str:
    name = bucket_of_receipts(shared_data)
    s3_client().put_object(Bucket=name, Key="in/empty.png", Body=b"")
    return name


def ingest(source: str, **options: object) -> object:
    return ingest_documents(
        IngestParameters(source=source, document_type="receipt", chunk_size=2, **options)
    )


def test_s3_ingest_stores_once_and_rereads_only_changes(
    bucket: str, pg_url: str, shared_data: Path
) -> None:
    first = ingest(f"s3://{bucket}/in/")
    assert (first.listed, first.done, len(first.failed)) == (4, 3, 1)
    assert first.failed[0][0].endswith("empty.png") and "empty" in first.failed[0][1]
    documents = query.documents(pg_url)
    assert sorted(documents["status"]) == ["done", "done", "done", "failed"]
    totals = query.fields(pg_url, name="total")
    assert len(totals) == 3
    lines_before = len(query.lines(pg_url))

    again = ingest(f"s3://{bucket}/in/")
    assert (again.skipped, again.done) == (3, 0)  # the failed one is tried again
    assert len(query.lines(pg_url)) == lines_before

    s3_client().upload_file(str(shared_data / "sroie" / "img" / "003.jpg"), bucket, "in/001.jpg")
    changed = ingest(f"s3://{bucket}/in/")
    assert (changed.skipped, changed.done) == (2, 1)
    assert len(query.documents(pg_url)) == 4


def test_local_folder_ingest(tmp_path: Path, pg_url: str) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copy(SAMPLES / "receipt.png", folder)
    summary = ingest(str(folder))
    assert summary.done == 1
    assert query.fields(pg_url, name="total")["value"].tolist() == ["16.50"]


def test_a_missing_bucket_fails_the_run_clearly(s3_env: str, pg_url: str) -> None:
    with pytest.raises(Exception, match="NoSuchBucket"):
        ingest("s3://no-such-bucket-here/in/")


def test_summary_artifact_lists_failures() -> None:
    from flows.ingest import IngestSummary

    summary = IngestSummary(listed=2, done=1, failed=[("s3://b/x|y.png", "the file is empty")])
    text = summary_markdown(IngestParameters(source="s3://b/"), summary)
    assert "| failed | 1 |" in text and "x\\|y.png" in text and "the file is empty" in text
