"""The ingest-documents flow end to end: a real S3 API on loopback (moto server, boto3 over
HTTP), PostgreSQL, and Prefect's test harness as the API."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.testing.utilities import prefect_test_harness

from ocrflow.flows.ingest import IngestParameters, ingest_documents, summary_markdown
from ocrflow.ocr_tasks import query
from ocrflow.ocr_tasks.sources import s3_client
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
    from ocrflow.flows.ingest import IngestSummary

    summary = IngestSummary(listed=2, done=1, failed=[("s3://b/x|y.png", "the file is empty")])
    text = summary_markdown(IngestParameters(source="s3://b/"), summary)
    assert "| failed | 1 |" in text and "x\\|y.png" in text and "the file is empty" in text


SECRET_KEY = "s3cr3t-never-logged-7f3a"
DB_PASSWORD = "pg-pass-never-logged-91c2"


@pytest.fixture
def credentials_block(
    s3_endpoint: str, shared_data: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[str, str]:
    """An AwsCredentials block pointed at the loopback S3, and no AWS environment at all: the
    block is the only way in. Returns the block's reference and a bucket of receipts."""
    from prefect_aws import AwsCredentials
    from prefect_aws.client_parameters import AwsClientParameters

    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    AwsCredentials(
        aws_access_key_id="ocrflow-test-key",
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
        aws_client_parameters=AwsClientParameters(endpoint_url=s3_endpoint),
    ).save("loopback", overwrite=True)
    block = "aws-credentials/loopback"
    with monkeypatch.context() as env:
        env.setenv("AWS_ENDPOINT_URL", s3_endpoint)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        bucket = bucket_of_receipts(shared_data, ("000", "001"))
    return block, bucket


def test_credentials_and_endpoint_come_from_an_aws_credentials_block(
    credentials_block: tuple[str, str], pg_url: str
) -> None:
    block, bucket = credentials_block
    summary = ingest(f"s3://{bucket}/in/", s3_block=block)
    assert (summary.listed, summary.done) == (2, 2)
    assert len(query.documents(pg_url)) == 2


def test_an_s3_bucket_block_names_the_bucket_and_folder(
    credentials_block: tuple[str, str], pg_url: str
) -> None:
    from prefect_aws import AwsCredentials, S3Bucket

    block, bucket = credentials_block
    credentials = AwsCredentials.load(block.split("/")[1])
    S3Bucket(bucket_name=bucket, bucket_folder="in", credentials=credentials).save(
        "receipts", overwrite=True
    )
    summary = ingest("", s3_block="s3-bucket/receipts")
    assert summary.done == 2
    assert all(uri.startswith(f"s3://{bucket}/in/") for uri in query.documents(pg_url)["source"])


def test_a_block_reference_without_a_type_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="TYPE/NAME"):
        s3_client("loopback")


def test_secrets_appear_in_no_log_artifact_parameter_or_error(
    credentials_block: tuple[str, str], pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that used an AWS secret key (from a block) and a database password (from the
    environment) leaves neither in its logs, artifacts, flow-run parameters or errors."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    block, bucket = credentials_block
    password_url = pg_url.replace("postgres@", f"postgres:{DB_PASSWORD}@")
    monkeypatch.setenv("OCRFLOW_DATABASE_URL", password_url)
    s3_client(block).put_object(Bucket=bucket, Key="in/broken.pdf", Body=b"%PDF-1.4 broken")
    state = ingest_documents(
        IngestParameters(source=f"s3://{bucket}/in/", s3_block=block), return_state=True
    )
    summary = state.result()
    assert summary.done == 2 and len(summary.failed) == 1
    with pytest.raises(Exception) as failure:  # an error that carries the URL masks it
        ingest_documents(
            IngestParameters(source=f"s3://{bucket}/in/", s3_block="aws-credentials/none")
        )

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))
        artifacts = client.read_artifacts()
    seen = " ".join(
        [str(run.parameters), *(log.message for log in logs), str(failure.value)]
        + [str(artifact.data) for artifact in artifacts]
    )
    assert logs and artifacts and "broken.pdf" in seen
    for secret in (SECRET_KEY, DB_PASSWORD):
        assert secret not in seen


def test_ingest_reports_progress_per_chunk(tmp_path: Path, pg_url: str) -> None:
    """``ocrflow ingest`` draws its bar from this hook: documents read so far, of how many."""
    from ocrflow.flows import progress

    folder = tmp_path / "scans"
    folder.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        shutil.copy(SAMPLES / "receipt.png", folder / name)
    seen: list[tuple[int, int]] = []
    with progress.reporting_to(lambda done, total: seen.append((done, total))):
        ingest(str(folder))  # chunks of 2
    assert seen == [(0, 3), (2, 3), (3, 3)]


def test_the_flows_pickle_for_background_tasks() -> None:
    """``.delay()`` pickles the flow run's context, flow function included (with the globals
    it names): anything unpicklable there fails every task-worker chunk."""
    import cloudpickle

    from ocrflow.flows.ingestion import ingest_documents, ocr_documents

    for flow_object in (ingest_documents, ocr_documents):
        assert cloudpickle.loads(cloudpickle.dumps(flow_object)).name == flow_object.name


def test_a_type_change_finds_fields_again_from_stored_lines(tmp_path: Path, pg_url: str) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copy(SAMPLES / "receipt.png", folder)
    first = ingest(str(folder))
    assert (first.to_read, first.reextracted) == (1, 0)
    lines = query.lines(pg_url, min_confidence=0)["text"].tolist()
    second = ingest_documents(IngestParameters(source=str(folder), document_type="invoice"))
    assert (second.listed, second.skipped, second.reextracted, second.to_read) == (1, 0, 1, 0)
    assert set(query.fields(pg_url)["document_type"]) == {"invoice"}
    assert query.lines(pg_url, min_confidence=0)["text"].tolist() == lines
    newest, oldest = query.runs(pg_url).to_dict("records")
    assert (newest["id"], newest["kind"], newest["reextracted"], newest["read"]) == (
        second.run_id,
        "ingest",
        1,
        0,
    )
    assert oldest["id"] == first.run_id and oldest["read"] == 1
    # The summary names the fields that need review, with the document and the reason.
    assert second.review and second.fields_needing_review >= len(second.review)
    markdown = summary_markdown(IngestParameters(source=str(folder)), second)
    assert "## Fields needing review" in markdown
    document, field, _value, reason = second.review[0]
    assert document.endswith("receipt.png") and f"| {field} |" in markdown and reason


def test_pages_with_fields_needing_review_reach_prefect_as_pictures(
    tmp_path: Path, pg_url: str
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    from ocrflow.flows.pictures import REVIEW_PICTURES_ARTIFACT

    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copy(SAMPLES / "receipt.png", folder)
    summary = ingest_documents(IngestParameters(source=str(folder), document_type="invoice"))
    assert summary.review  # a receipt read as an invoice leaves fields to review
    [run] = query.runs(pg_url).to_dict("records")
    assert run["id"] == summary.run_id
    with get_client(sync_client=True) as client:
        [latest] = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[REVIEW_PICTURES_ARTIFACT]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[run["flow_run_id"]]),
            )
        )
    assert isinstance(latest.data, str)
    assert "receipt.png page 1" in latest.data and "](data:image/png;base64," in latest.data


def test_the_reextract_flow_finds_fields_again_as_a_run(tmp_path: Path, pg_url: str) -> None:
    from ocrflow.flows.reextraction import ReextractParameters, reextract_documents

    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copy(SAMPLES / "receipt.png", folder)
    ingest(str(folder))
    summary = reextract_documents(ReextractParameters(document_type="invoice", source=str(folder)))
    assert summary.documents == 1
    assert set(query.fields(pg_url)["document_type"]) == {"invoice"}
    newest = query.runs(pg_url).to_dict("records")[0]
    assert (newest["id"], newest["kind"], newest["reextracted"]) == (summary.run_id, "reextract", 1)
    assert newest["started_by"].startswith("prefect flow run ")
