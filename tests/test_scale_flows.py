"""The ingest-documents flow at bucket scale, on Prefect's test harness: naive times, the exit
status of ``ocrflow ingest``, the summary of a failed run, no database on a worker, one ingest
of a source at a time, and a 50,000-key listing streamed page by page."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.testing.utilities import prefect_test_harness
from sqlalchemy import event, insert
from typer.testing import CliRunner

from ocrflow.flows.chunks import MissingDatabaseError
from ocrflow.flows.cli import app
from ocrflow.flows.ingestion import IngestSummary, ingest_documents
from ocrflow.flows.parameters import IngestParameters
from ocrflow.ocr_tasks.runs import run_stamp
from ocrflow.ocr_tasks.sources import s3_client
from ocrflow.ocr_tasks.store import (
    SourceBusyError,
    database_engine,
    source_lock,
    upgrade_database,
)
from ocrflow.schemas.settings import OcrSettings
from ocrflow.schemas.tables import DocumentRow
from tests.conftest import SAMPLES


@pytest.fixture(scope="module", autouse=True)
def prefect_api() -> Iterator[None]:
    with (
        prefect_test_harness(server_startup_timeout=120),
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite results database in the environment, as a worker has it; cheap OCR."""
    url = f"sqlite:///{tmp_path / 'results.db'}"
    monkeypatch.setenv("OCRFLOW_DATABASE_URL", url)
    monkeypatch.delenv("OCRFLOW_STORAGE__DATABASE_URL", raising=False)
    monkeypatch.setenv("OCRFLOW_MODEL_SET", "ppocrv6-tiny")
    monkeypatch.setenv("OCRFLOW_PAGE_ORIENTATION", "false")
    return url


@pytest.fixture
def empty_scan(tmp_path: Path) -> Path:
    """A folder with one empty PNG: listed, and failed without any OCR."""
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "empty.png").write_bytes(b"")
    return folder


def ingest(source: str | Path, **options: Any) -> IngestSummary:
    values = {"source": str(source), "chunk_size": 2, **options}
    result: IngestSummary = ingest_documents(IngestParameters.model_validate(values))
    return result


def test_a_naive_modified_since_is_utc_through_the_flow(db: str, empty_scan: Path) -> None:
    since = ingest(empty_scan, modified_since="2020-01-01")
    assert (since.listed, len(since.failed)) == (1, 1)
    assert ingest(empty_scan, modified_since="2999-01-01T00:00:00").listed == 0


def test_ingest_exits_2_for_failed_documents_and_1_for_a_failed_run(
    db: str, empty_scan: Path, s3_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    args = ["ingest", str(empty_scan), "--db", db, "--modified-since", "2020-01-01"]
    failed_document = runner.invoke(app, args)
    assert failed_document.exit_code == 2, failed_document.output
    assert "read 1: done 0, failed 1" in failed_document.stdout
    assert "empty.png: FAILED" in failed_document.stderr
    assert runner.invoke(app, [*args[:-2], "--modified-since", "2999-01-01"]).exit_code == 0
    failed_run = runner.invoke(app, ["ingest", "s3://no-such-bucket-at-all/in/", "--db", db])
    assert failed_run.exit_code == 1, failed_run.output
    assert "ingest failed" in failed_run.stderr and "NoSuchBucket" in failed_run.stderr
    # The summary of the failed run, from the artifact it wrote before failing.
    assert "listed 0, skipped 0 unchanged" in failed_run.stdout


def test_a_deployment_run_without_a_database_is_refused(
    empty_scan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OCRFLOW_DATABASE_URL", raising=False)
    monkeypatch.delenv("OCRFLOW_STORAGE__DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    # Run locally, the SQLite default in the working directory is right.
    assert ingest(empty_scan).listed == 1
    assert (tmp_path / "ocrflow.db").is_file()
    # Prefect's documented stand-in for a run started from a deployment, on a worker.
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", str(uuid.uuid4()))
    with pytest.raises(MissingDatabaseError, match="set OCRFLOW_STORAGE__DATABASE_URL"):
        ingest(empty_scan)
    monkeypatch.setenv("OCRFLOW_STORAGE__DATABASE_URL", f"sqlite:///{tmp_path / 'given.db'}")
    assert ingest(empty_scan).listed == 1


def test_an_ingest_of_a_source_being_ingested_waits_then_fails_clearly(
    db: str, empty_scan: Path
) -> None:
    with (
        source_lock(db, str(empty_scan.resolve()), timeout_seconds=0),
        pytest.raises(SourceBusyError, match=f"another ingest of {empty_scan} is running"),
    ):
        ingest(empty_scan, lock_timeout_seconds=0.5)
    assert ingest(empty_scan, lock_timeout_seconds=0).listed == 1  # released


def test_two_ingests_of_one_prefix_at_once_read_each_document_once(db: str, tmp_path: Path) -> None:
    folder = tmp_path / "receipts"
    folder.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        (folder / name).write_bytes((SAMPLES / "receipt.png").read_bytes())
    summaries: list[IngestSummary] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            summaries.append(ingest(folder, document_type="receipt"))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # One read all three; the other, waiting on the lock, found them stored unchanged.
    assert sorted(s.done for s in summaries) == [0, 3]
    assert sorted(s.skipped for s in summaries) == [0, 3]


@pytest.mark.slow
def test_a_bucket_of_50000_keys_is_listed_page_by_page(db: str, s3_env: str) -> None:
    """Every key already stored: the run lists, looks the ETags up 1000 URIs a query, reads
    nothing. Objects are put into the loopback server's backend directly (quick); the
    listing goes over HTTP like any other."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    bucket, count = f"big-{uuid.uuid4().hex[:8]}", 50_000
    s3_client().create_bucket(Bucket=bucket)
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    keys = [f"in/{n:06d}.png" for n in range(count)]
    etag = backend.put_object(bucket, keys[0], b"x").etag.strip('"')
    for key in keys[1:]:
        backend.put_object(bucket, key, b"x")
    upgrade_database(db)
    settings = OcrSettings()
    stamp = run_stamp(None, settings, None, settings.records.min_confidence)  # as stored by us
    rows = [
        {"source_uri": f"s3://{bucket}/{key}", "etag": etag, "status": "done"}
        | {"page_count": 1, "model_set": "m", "runtime": "r", "seconds": 0.0}
        | {"ocr_fingerprint": stamp.ocr_fingerprint}
        | {"fields_fingerprint": stamp.fields_fingerprint}
        for key in keys
    ]
    engine = database_engine(db)
    with engine.begin() as connection:
        connection.execute(insert(DocumentRow), rows)
    lookups: list[int] = []

    def count_lookups(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM documents" in statement and "etag" in statement:
            lookups.append(len(parameters))

    event.listen(engine, "before_cursor_execute", count_lookups)
    try:
        summary = ingest(f"s3://{bucket}/in/")
    finally:
        event.remove(engine, "before_cursor_execute", count_lookups)
    assert (summary.listed, summary.skipped, summary.done) == (count, count, 0)
    assert len(lookups) == count // 1000 and max(lookups) <= 1001


def test_deploy_uses_the_current_directory_and_chunks_on_an_idle_pool_time_out(
    db: str, empty_scan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ocrflow deploy``'s pull step points at where it is run from; chunks sent to a pool
    no worker serves fail the ingest within the chunk timeout, naming the pool."""
    from prefect.client.orchestration import get_client

    from ocrflow.flows.deploy import register_deployments
    from ocrflow.flows.fanout import ChunkTimeoutError

    idle = f"idle-{uuid.uuid4().hex[:8]}"
    monkeypatch.chdir(tmp_path)
    ids = register_deployments(cpu_pool=f"cpu-{idle}", gpu_pool=idle)
    with get_client(sync_client=True) as client:
        chunk_deployment = client.read_deployment(uuid.UUID(ids["ocr-documents/ocr-documents"]))
    assert chunk_deployment.pull_steps == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(tmp_path)}}
    ]
    # ``run-deployment --modified-since``: the run is sent the time in UTC.
    started = CliRunner().invoke(
        app, ["run-deployment", "s3://b/in/", "--modified-since", "2020-01-01T02:00+02:00"]
    )
    assert started.exit_code == 0, started.output
    run_id = uuid.UUID(started.stdout.split()[-1])
    with get_client(sync_client=True) as client:
        sent = client.read_flow_run(run_id).parameters["parameters"]
    assert sent["modified_since"] == "2020-01-01T00:00:00Z"
    with pytest.raises(ChunkTimeoutError, match=f"no worker took it from work pool '{idle}'"):
        ingest(
            empty_scan,
            chunk_deployment="ocr-documents/ocr-documents",
            chunk_timeout_seconds=2,
        )


def test_run_deployment_wait_prints_the_summary_and_exits_2(
    db: str, empty_scan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import typer
    from prefect.settings import get_current_settings

    from ocrflow.flows.deploy import _report_run

    state = ingest_documents(IngestParameters(source=str(empty_scan)), return_state=True)
    run_id = str(state.state_details.flow_run_id)
    api_url = get_current_settings().api.url
    assert api_url is not None
    with pytest.raises(typer.Exit) as ended:
        _report_run(api_url, run_id)
    assert ended.value.exit_code == 2
    out, err = capsys.readouterr()
    assert f"flow run {run_id}: COMPLETED" in out
    assert "read 1: done 0, failed 1" in out
    assert "empty.png: FAILED" in err
