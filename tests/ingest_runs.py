"""Ingestions as a user starts them, for the fault and load tests.

``ocrflow ingest`` runs in a process of its own (so it can be killed, cut off and measured),
against one ``prefect server start`` per test process (so no ingest pays the ephemeral API's
start, and this process's Prefect settings are left alone), the loopback S3 server or a fault
proxy in front of it, and PostgreSQL. Documents are small generated receipts (two printed
lines) so that OCR is cheap; what each must read as comes from the same engine settings in
the test process, and :func:`audit` checks every stored document against it: stored once,
whole, none lost.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select

from ocrflow.ocr_tasks.extract import finish_document, threshold_for
from ocrflow.ocr_tasks.pipeline import DocumentInput, OcrEngine
from ocrflow.ocr_tasks.sources import s3_client
from ocrflow.ocr_tasks.store import database_engine
from ocrflow.schemas.doctypes import get_document_type
from ocrflow.schemas.records import SourceObject
from ocrflow.schemas.settings import settings_with
from ocrflow.schemas.tables import DocumentRow, FieldRow, LineRow, PageRow
from tests.s3server import free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCUMENT_TYPE = "receipt"
SERVER_START_SECONDS = 120
# Cheap OCR for many small documents: the tiny model set, no page orientation model, one
# thread per session (the test machine's other cores run the other tests).
ENGINE_ENV = {
    "OCRFLOW_MODEL_SET": "ppocrv6-tiny",
    "OCRFLOW_PAGE_ORIENTATION": "false",
    "OCRFLOW_THREADS": "1",
}


@pytest.fixture(scope="session")
def prefect_api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Prefect server per test process for the ingest processes (``prefect server start``
    as a process of its own: nothing in this process's Prefect settings changes)."""
    home = tmp_path_factory.mktemp("prefect-api")
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")},
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
    }
    log = home / "server.log"
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
    server = start_logged([*command, "--port", str(port)], env, log)
    try:
        wait_until_healthy(api_url, server, log)
        yield api_url
    finally:
        for ingest in _STARTED:  # an ingest a failed test left running must not outlive it
            if ingest.process.poll() is None:
                ingest.kill()
        _STARTED.clear()
        _stop(server)


def start_logged(command: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """COMMAND started from the repository root with its output in LOG, in a process group
    of its own: a test kills it, and whatever it started, as one."""
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            env=env,
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def wait_until_healthy(api_url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """Until the API answers /health; a server that exits or stays silent fails the test."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    _stop(server)
    pytest.fail(f"prefect server did not start:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=15)
            return
        except subprocess.TimeoutExpired:
            continue


# Documents -------------------------------------------------------------------------------


def small_receipt(number: int) -> bytes:
    """A PNG with two printed lines, different for every number."""
    font = ImageFont.load_default(20)
    lines = [f"STORE {number:05d}", f"TOTAL {number % 1000}.{number % 100:02d}"]
    page = Image.new("L", (220, 110), 255)
    draw = ImageDraw.Draw(page)
    for row, text in enumerate(lines):
        draw.text((20, 20 + 40 * row), text, fill=0, font=font)
    buffer = io.BytesIO()
    page.save(buffer, format="PNG")
    return buffer.getvalue()


def upload_documents(bucket: str, prefix: str, count: int, distinct: int) -> dict[str, bytes]:
    """``count`` documents under ``prefix`` (``distinct`` different images, cycled: equal
    bytes under different keys are different documents); returns URI → bytes."""
    images = [small_receipt(number) for number in range(distinct)]
    documents = {
        f"s3://{bucket}/{prefix}{number:05d}.png": images[number % distinct]
        for number in range(count)
    }
    client = s3_client()
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=bucket)

    def put(item: tuple[str, bytes]) -> None:
        client.put_object(Bucket=bucket, Key=item[0].split("/", 3)[3], Body=item[1])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, documents.items()))
    return documents


def new_bucket(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:8]}"


# What each document must read as ---------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """What one stored document must hold: page count, line texts per page, fields."""

    pages: int
    lines: tuple[tuple[int, int, str], ...]  # (page, order, text)
    fields: tuple[tuple[str, str | None], ...]  # (name, value)


def expected_readings(documents: Mapping[str, bytes]) -> dict[str, Reading]:
    """Read each distinct image once with the ingest processes' engine settings."""
    settings = settings_with(
        {
            "models.set": ENGINE_ENV["OCRFLOW_MODEL_SET"],
            "orientation.page": False,
            "engine.threads": 1,
        }
    )
    engine = OcrEngine(settings)
    document_type = get_document_type(DOCUMENT_TYPE)
    threshold = threshold_for(document_type, None, settings.records.min_confidence)
    distinct = list(dict.fromkeys(documents.values()))
    results = engine.read(DocumentInput(f"image-{n}", data) for n, data in enumerate(distinct))
    by_bytes: dict[bytes, Reading] = {}
    for data, result in zip(distinct, results, strict=True):
        origin = SourceObject(uri=result.source, etag="-")
        finished = finish_document(result, origin, document_type, threshold)
        assert finished.status == "done", finished.error
        by_bytes[data] = Reading(
            pages=len(finished.pages),
            lines=tuple(
                (p.number, line.order, line.text) for p in finished.pages for line in p.lines
            ),
            fields=tuple(
                sorted((f.name, None if f.value is None else str(f.value)) for f in finished.fields)
            ),
        )
    return {uri: by_bytes[data] for uri, data in documents.items()}


def upload_source(stem: str, count: int, distinct: int) -> tuple[str, dict[str, Reading]]:
    """A new bucket of ``count`` receipts under ``in/`` (see ``upload_documents``): the source
    URI an ingest lists, and what each document must read as."""
    bucket = new_bucket(stem)
    documents = upload_documents(bucket, "in/", count, distinct)
    return f"s3://{bucket}/in/", expected_readings(documents)


# What is stored -------------------------------------------------------------------------


@dataclass
class Audit:
    """Every expected document checked against the database."""

    stored: int = 0  # documents stored done and whole
    failed: dict[str, str] = field(default_factory=dict)  # URI → reason
    lost: list[str] = field(default_factory=list)  # expected, not stored at all
    duplicated: list[str] = field(default_factory=list)  # more than one row, or rows twice
    incomplete: list[str] = field(default_factory=list)  # done, but rows missing or wrong

    def summary(self) -> str:
        return (
            f"stored {self.stored}, failed {len(self.failed)}, lost {len(self.lost)}, "
            f"duplicated {len(self.duplicated)}, incomplete {len(self.incomplete)}"
        )


def audit(url: str, expected: Mapping[str, Reading]) -> Audit:
    rows = _stored_rows(url, list(expected))
    result = Audit()
    for uri, reading in expected.items():
        copies = rows.get(uri, [])
        if not copies:
            result.lost.append(uri)
        elif len(copies) > 1:
            result.duplicated.append(uri)
        elif copies[0].status != "done":
            result.failed[uri] = copies[0].error or ""
        elif copies[0].reading != reading:
            kind = result.duplicated if copies[0].has_doubles else result.incomplete
            kind.append(uri)
        else:
            result.stored += 1
    return result


@dataclass
class _StoredDocument:
    status: str
    error: str | None
    reading: Reading
    has_doubles: bool


def _stored_rows(url: str, uris: list[str]) -> dict[str, list[_StoredDocument]]:
    with database_engine(url).connect() as connection:
        documents = connection.execute(
            select(
                DocumentRow.id,
                DocumentRow.source_uri,
                DocumentRow.status,
                DocumentRow.error,
                DocumentRow.page_count,
            ).where(DocumentRow.source_uri.in_(uris))
        ).all()
        pages = Counter(
            row.document_id
            for row in connection.execute(select(PageRow.document_id, PageRow.lines_kept))
        )
        kept = {
            row.document_id: row.kept
            for row in connection.execute(
                select(PageRow.document_id, func.sum(PageRow.lines_kept).label("kept")).group_by(
                    PageRow.document_id
                )
            )
        }
        lines: dict[int, list[tuple[int, int, str]]] = {}
        for row in connection.execute(
            select(LineRow.document_id, LineRow.page, LineRow.line_order, LineRow.text).order_by(
                LineRow.document_id, LineRow.page, LineRow.line_order, LineRow.id
            )
        ):
            lines.setdefault(row.document_id, []).append((row.page, row.line_order, row.text))
        fields: dict[int, list[tuple[str, str | None]]] = {}
        for row in connection.execute(
            select(FieldRow.document_id, FieldRow.name, FieldRow.value_text)
        ):
            fields.setdefault(row.document_id, []).append((row.name, row.value_text))
    found: dict[str, list[_StoredDocument]] = {}
    for document in documents:
        document_lines = lines.get(document.id, [])
        document_fields = sorted(fields.get(document.id, []))
        reading = Reading(
            pages=pages.get(document.id, 0),
            lines=tuple(document_lines),
            fields=tuple(document_fields),
        )
        counts_agree = reading.pages == document.page_count and int(
            kept.get(document.id) or 0
        ) == len(document_lines)
        if not counts_agree:  # a row count that disagrees with its own header
            reading = Reading(pages=-1, lines=reading.lines, fields=reading.fields)
        has_doubles = len(set(document_lines)) < len(document_lines) or len(
            {name for name, _ in document_fields}
        ) < len(document_fields)
        found.setdefault(document.source_uri, []).append(
            _StoredDocument(document.status, document.error, reading, has_doubles)
        )
    return found


def done_count(url: str, uri_prefix: str) -> int:
    with database_engine(url).connect() as connection:
        return connection.execute(
            select(func.count())
            .select_from(DocumentRow)
            .where(DocumentRow.source_uri.startswith(uri_prefix), DocumentRow.status == "done")
        ).scalar_one()


# The ingest process ----------------------------------------------------------------------

_STARTED: list[IngestProcess] = []


@dataclass
class IngestProcess:
    process: subprocess.Popen[bytes]
    log: Path
    started: float

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"ingest ran over {timeout} s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL the whole process group, as an out-of-memory kill or a lost node."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def start_ingest(
    source: str,
    database_url: str,
    api_url: str,
    s3_endpoint: str,
    log: Path,
    chunk_size: int = 50,
    extra_env: Mapping[str, str] | None = None,
) -> IngestProcess:
    """``ocrflow ingest SOURCE --db URL`` in a process group of its own."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OCRFLOW_", "PREFECT_"))},
        **ENGINE_ENV,
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": tempfile.mkdtemp(prefix="ocrflow-ingest-prefect-"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        **(extra_env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "ocrflow.flows.cli",
        "ingest",
        source,
        "--db",
        database_url,
        "--type",
        DOCUMENT_TYPE,
        "--chunk-size",
        str(chunk_size),
    ]
    ingest = IngestProcess(start_logged(command, env, log), log, time.perf_counter())
    _STARTED.append(ingest)
    return ingest


def run_ingest(*args: object, timeout: float = 240, **options: object) -> IngestProcess:
    """Run an ingest to its end; fail with its output if the run itself fails (exit 1).
    Exit 2 (some documents failed, each recorded with its reason) is for the audit to judge."""
    ingest = start_ingest(*args, **options)  # type: ignore[arg-type]
    if ingest.wait(timeout) not in (0, 2):
        pytest.fail(f"ingest failed:\n{ingest.output()}")
    return ingest
