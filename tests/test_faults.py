"""Ingestion under faults, end to end: ``ocrflow ingest`` in its own process against the
loopback S3 server and PostgreSQL, killed, cut off from its database, fed S3 errors, or
racing a second ingestion of the same prefix. Every test ends with an audit of every
document: stored once, pages, lines and fields whole, none lost.

The figures (documents, faults by kind, cuts, lost and duplicated) are printed; ``pytest -s``
shows them.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from ocrflow.ocr_tasks.sources import (
    SourceLocation,
    VanishedDocumentError,
    fetch_document,
    list_documents,
    s3_client,
)
from ocrflow.ocr_tasks.store import database_engine, upgrade_database
from tests.databases import POSTGRES_SERVER, temporary_postgres_schema
from tests.faultproxy import FAULT_KINDS, fault_proxy
from tests.ingest_runs import (
    REPO_ROOT,
    Audit,
    IngestProcess,
    audit,
    done_count,
    expected_readings,
    new_bucket,
    run_ingest,
    start_ingest,
    upload_documents,
    upload_source,
)

# prefect_api_url (conftest): one Prefect server per test process, shared with test_soak.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]

CRASH_DOCUMENTS = 300
KILL_AFTER_DONE = 130  # not a chunk boundary: the kill lands inside a chunk's stores
S3_FAULT_DOCUMENTS = 80
FAULT_EVERY = 5  # one S3 request in five is a fault
VANISHED = 3
DB_CUT_DOCUMENTS = 100
RACE_DOCUMENTS = 40


@pytest.fixture
def fresh_pg() -> Iterator[str]:
    """A new, empty PostgreSQL schema (not migrated: the ingest process migrates it)."""
    with temporary_postgres_schema(f"faults_{uuid.uuid4().hex[:10]}", migrated=False) as url:
        yield url


@pytest.fixture
def pg(fresh_pg: str) -> str:
    """A new PostgreSQL schema, migrated (so the test can watch it from the start)."""
    upgrade_database(fresh_pg)
    return fresh_pg


def _report(title: str, **figures: object) -> None:
    print(f"\n[{title}] " + ", ".join(f"{name}={value}" for name, value in figures.items()))


def _assert_whole(result: Audit, expected_failed: int = 0) -> None:
    assert result.lost == [] and result.duplicated == [] and result.incomplete == []
    assert len(result.failed) == expected_failed, result.failed


def test_migrating_a_fresh_database_from_four_processes_at_once(
    fresh_pg: str, tmp_path: Path
) -> None:
    """Workers starting together on an empty database: one creates the tables, the others
    wait for it and find them (PostgreSQL advisory lock, SQLite write lock)."""
    urls = [fresh_pg, f"sqlite:///{tmp_path / 'fresh.db'}"]
    code = (
        "from ocrflow.ocr_tasks.store import upgrade_database\n"
        f"for url in {urls!r}: upgrade_database(url)"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", code], cwd=REPO_ROOT, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1].decode()[-800:] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], errors
    for url in urls:
        with database_engine(url).connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert len(version) == 1


def test_downloads_cut_mid_body_are_started_again(s3_env: str) -> None:
    """botocore retries requests, not the reading of a body: a GetObject answer (found, or
    NoSuchKey) cut half-way is fetched again, and a vanished object is still reported so."""
    bucket = new_bucket("cut")
    client = s3_client()
    client.create_bucket(Bucket=bucket)
    client.put_object(Bucket=bucket, Key="a.png", Body=b"x" * 5000)
    listed = list(list_documents(SourceLocation.parse(f"s3://{bucket}"), [".png"]))
    client.delete_object(Bucket=bucket, Key="a.png")
    client.put_object(Bucket=bucket, Key="b.png", Body=b"y" * 5000)
    gone = listed[0]
    present = gone.model_copy(update={"uri": f"s3://{bucket}/b.png", "key": "b.png"})
    # Every other request is cut half-way through its answer's body.
    with fault_proxy(s3_env, every=2, kinds=("truncated",)) as proxy:
        through_proxy = s3_client_at(proxy.url)
        through_proxy.head_bucket(Bucket=bucket)  # request 0 passes; the next is cut
        data, _origin = fetch_document(present, through_proxy)
        assert data == b"y" * 5000
        through_proxy.head_bucket(Bucket=bucket)
        with pytest.raises(VanishedDocumentError):
            fetch_document(gone, through_proxy)
    assert proxy.injected == {"truncated": 2}


def test_a_killed_ingestion_resumes_without_loss_or_duplicates(
    prefect_api_url: str, s3_env: str, pg: str, tmp_path: Path
) -> None:
    source, expected = upload_source("crash", CRASH_DOCUMENTS, distinct=50)
    first = start_ingest(source, pg, prefect_api_url, s3_env, tmp_path / "first.log", 20)
    done_at_kill = _kill_after(first, pg, source, KILL_AFTER_DONE)
    interrupted = audit(pg, expected)
    # Whatever the kill interrupted was rolled back: stored documents are whole.
    assert interrupted.duplicated == [] and interrupted.incomplete == []
    assert interrupted.stored < CRASH_DOCUMENTS, "the kill came after the end"

    second = run_ingest(source, pg, prefect_api_url, s3_env, tmp_path / "second.log", 20)
    final = audit(pg, expected)
    _report(
        "crash",
        documents=CRASH_DOCUMENTS,
        stored_when_killed=interrupted.stored,
        done_seen_at_kill=done_at_kill,
        second_run=_summary_line(second.output()),
        final=final.summary(),
        second_run_s=round(time.perf_counter() - second.started, 1),
    )
    _assert_whole(final)
    assert f"skipped {interrupted.stored} unchanged" in second.output()


def test_s3_errors_throttling_and_dropped_connections_are_retried(
    prefect_api_url: str, s3_env: str, pg: str, tmp_path: Path
) -> None:
    bucket = new_bucket("faults")
    documents = upload_documents(bucket, "in/", S3_FAULT_DOCUMENTS, distinct=40)
    vanishing = sorted(documents)[-VANISHED:]
    expected = expected_readings(documents)
    direct = s3_client()

    def delete_after_listing() -> None:
        for uri in vanishing:
            direct.delete_object(Bucket=bucket, Key=uri.split("/", 3)[3])

    with fault_proxy(s3_env, FAULT_EVERY, on_first_listing=delete_after_listing) as proxy:
        ingest = run_ingest(
            f"s3://{bucket}/in/", pg, prefect_api_url, proxy.url, tmp_path / "i.log", 40
        )
    result = audit(pg, expected)
    _report(
        "s3-faults",
        documents=S3_FAULT_DOCUMENTS,
        requests=proxy.requests,
        faults=dict(proxy.injected),
        run=_summary_line(ingest.output()),
        audit=result.summary(),
        seconds=round(time.perf_counter() - ingest.started, 1),
    )
    assert set(proxy.injected) == set(FAULT_KINDS)
    _assert_whole(result, expected_failed=VANISHED)
    assert sorted(result.failed) == vanishing
    assert all("deleted after it was listed" in why for why in result.failed.values())


def test_a_database_connection_cut_mid_run_is_retried(
    prefect_api_url: str, s3_env: str, pg: str, tmp_path: Path
) -> None:
    """The ingest's PostgreSQL backends are terminated from a second connection while it
    stores (pg_terminate_backend), mid-transaction and idle in its pool."""
    source, expected = upload_source("dbcut", DB_CUT_DOCUMENTS, distinct=40)
    application = f"ocrflow-cut-{uuid.uuid4().hex[:8]}"
    url = f"{pg}&application_name={application}"
    ingest = start_ingest(source, url, prefect_api_url, s3_env, tmp_path / "i.log", 25)
    cuts = _cut_connections_while_running(ingest.process, pg, source, application)
    assert ingest.wait(240) == 0, ingest.output()
    result = audit(pg, expected)
    _report(
        "db-cut",
        documents=DB_CUT_DOCUMENTS,
        backends_terminated=dict(cuts),
        run=_summary_line(ingest.output()),
        audit=result.summary(),
        retries_logged=ingest.output(200_000).count("database transaction cut"),
        seconds=round(time.perf_counter() - ingest.started, 1),
    )
    assert cuts["busy"] >= 1, "no backend was caught mid-transaction"
    _assert_whole(result)


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_two_ingestions_of_one_prefix_at_once_store_one_copy(
    database: str, prefect_api_url: str, s3_env: str, fresh_pg: str, tmp_path: Path
) -> None:
    """Both start on a database nobody has migrated, list the same documents, read and store
    all of them: each document ends stored once, whole."""
    url = fresh_pg if database == "postgresql" else f"sqlite:///{tmp_path / 'race.db'}"
    source, expected = upload_source("race", RACE_DOCUMENTS, distinct=20)
    runs = [
        start_ingest(source, url, prefect_api_url, s3_env, tmp_path / f"{n}.log", 20)
        for n in range(2)
    ]
    codes = [run.wait(240) for run in runs]
    assert codes == [0, 0], [run.output() for run in runs]
    result = audit(url, expected)
    _report(
        f"race-{database}",
        documents=RACE_DOCUMENTS,
        runs=[_summary_line(run.output()) for run in runs],
        audit=result.summary(),
        seconds=round(time.perf_counter() - runs[0].started, 1),
    )
    _assert_whole(result)


# Helpers ---------------------------------------------------------------------------------


def s3_client_at(endpoint: str) -> Any:
    """The ingest's S3 client (same retries), pointed at another endpoint."""
    import os

    previous = os.environ["AWS_ENDPOINT_URL"]
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        return s3_client()
    finally:
        os.environ["AWS_ENDPOINT_URL"] = previous


def _summary_line(output: str) -> str:
    return next((line for line in output.splitlines() if line.startswith("listed ")), "?")


def _kill_after(ingest: IngestProcess, url: str, source: str, threshold: int) -> int:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        done = done_count(url, source)
        if done >= threshold:
            ingest.kill()
            return done
        if ingest.process.poll() is not None:
            pytest.fail(f"ingest ended before the kill:\n{ingest.output()}")
        time.sleep(0.02)
    ingest.kill()
    pytest.fail(f"ingest never reached {threshold} documents:\n{ingest.output()}")


def _cut_connections_while_running(
    process: subprocess.Popen[bytes], url: str, source: str, application: str
) -> Counter[str]:
    """Terminate the ingest's backends: up to 4 caught busy (in a transaction or running a
    statement) and up to 3 idle, at least 0.5 s apart, once documents are being stored."""
    cuts: Counter[str] = Counter()
    killer = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    last_cut = 0.0
    try:
        with killer.connect() as connection:
            while process.poll() is None:
                time.sleep(0.005)
                if done_count(url, source) == 0 or time.monotonic() - last_cut < 0.5:
                    continue
                backends = connection.execute(
                    text("SELECT pid, state FROM pg_stat_activity WHERE application_name = :a"),
                    {"a": application},
                ).all()
                for pid, state in backends:
                    kind = "idle" if state == "idle" else "busy"
                    if cuts[kind] >= (3 if kind == "idle" else 4):
                        continue
                    terminated = connection.execute(
                        text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}
                    ).scalar_one()
                    if terminated:
                        cuts[kind] += 1
                        last_cut = time.monotonic()
                        break
    finally:
        killer.dispose()
    return cuts
