"""Hostile and broken input (tests/hostile.py builds the corpus): each file gets a clear outcome,
quickly, in bounded memory, and never takes the rest of a run down with it.

Outcomes decided here: a file whose structure is broken or whose declared size is over a limit
is ``failed`` with its typed kind and a short readable reason. A file that is odd but valid is
``done``: a 1×1 pixel, a 20000×20 strip, a JPEG named ``.pdf`` (the format is sniffed from the
bytes), a PDF locked only against editing, a JPEG with a broken EXIF block (the orientation is
then unknown, the pixels are good), and a PDF page painting a huge image (PDFium scales it down
while streaming it, so it costs a page's worth of memory). A TIFF whose page chain loops or
points past the end is ``corrupt`` rather than read in part: reading the pages that can be
reached would drop the rest without a word.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.testing.utilities import prefect_test_harness

from ocrflow.flows.ingest import IngestParameters, ingest_documents
from ocrflow.ocr_tasks import query
from ocrflow.ocr_tasks.decode import DecodeLimits, decode_pages
from ocrflow.ocr_tasks.errors import DocumentError
from ocrflow.ocr_tasks.sources import s3_client
from ocrflow.schemas.settings import OcrSettings
from tests.conftest import REPO_ROOT
from tests.hostile import HostileCase, hostile_corpus

# A bomb that got decoded would need at least 300 MB (100 Mpx as BGR); refusing one from its
# header costs next to nothing, and PDFium's streamed huge image about one rendered page.
BOMB_PEAK_RSS_CEILING_MB = 150
SECONDS_PER_FILE = 5.0  # generous for a loaded CI machine; most cases take milliseconds


@cache
def corpus() -> dict[str, HostileCase]:
    return {case.name: case for case in hostile_corpus()}


def default_limits() -> DecodeLimits:
    settings = OcrSettings()
    return DecodeLimits(
        max_page_pixels=settings.decoding.max_page_pixels,
        max_pages=settings.decoding.max_pages,
        max_file_bytes=settings.decoding.max_file_bytes,
        pdf_dpi=settings.decoding.pdf_dpi,
    )


def assert_readable(reason: str | None) -> None:
    """One short line a person can act on: no object reprs, byte dumps or tracebacks."""
    assert reason and 10 <= len(reason) <= 300, reason
    assert reason.isprintable(), reason
    for noise in ("object at 0x", "\\x", "Traceback", "<_io."):
        assert noise not in reason, reason


def outcome(case: HostileCase) -> tuple[str, str | None]:
    try:
        pages = list(decode_pages(case.data, case.name, default_limits()))
    except DocumentError as error:
        assert error.source == case.name and str(error).startswith(f"{case.name}: ")
        return error.kind, error.reason
    assert pages and all(p.ndim == 3 and p.shape[2] == 3 and p.size for p in pages)
    return "done", None


@pytest.mark.parametrize("name", list(corpus()))
def test_decoder_gives_each_hostile_file_a_clear_outcome(name: str) -> None:
    case = corpus()[name]
    started = time.perf_counter()
    kind, reason = outcome(case)
    assert time.perf_counter() - started < SECONDS_PER_FILE
    assert kind == case.expected, reason
    if kind != "done":
        assert_readable(reason)


_MEASURE_BOMBS = """
import json, sys
from ocrflow.ocr_tasks.decode import DecodeLimits, decode_pages
from ocrflow.ocr_tasks.errors import DocumentError
from ocrflow.schemas.settings import OcrSettings
from tests.hostile import hostile_corpus

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024

s = OcrSettings().decoding
limits = DecodeLimits(s.max_page_pixels, s.max_pages, s.max_file_bytes, s.pdf_dpi)
cases = hostile_corpus()
bombs = [case for case in cases if case.bomb]
for case in cases:  # one small good file per format first: library set-up is not a bomb's cost
    if case.expected == "done" and not case.bomb:
        list(decode_pages(case.data, case.name, limits))
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # the peak (VmHWM) restarts from here: imports and corpus not counted
baseline = status("VmRSS")
outcomes = {}
for case in bombs:
    try:
        outcomes[case.name] = f"done, {sum(1 for _ in decode_pages(case.data, case.name, limits))}"
    except DocumentError as error:
        outcomes[case.name] = error.kind
print(json.dumps({"baseline_mb": baseline, "peak_mb": status("VmHWM"), "outcomes": outcomes}))
"""


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_bombs_stay_under_a_peak_memory_ceiling() -> None:
    """Measured in a child process, so this process's own memory (models, other tests) and
    its history cannot hide or inflate the figure."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    child = subprocess.run(
        [sys.executable, "-c", _MEASURE_BOMBS],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=120,
        check=True,
    )
    report = json.loads(child.stdout.strip().splitlines()[-1])
    expected = {name: case.expected for name, case in corpus().items() if case.bomb}
    assert {n: o.split(",")[0] for n, o in report["outcomes"].items()} == expected
    growth = report["peak_mb"] - report["baseline_mb"]
    print(f"bomb cases: peak RSS growth {growth:.0f} MB over {report['baseline_mb']:.0f} MB")
    assert growth < BOMB_PEAK_RSS_CEILING_MB, report


# --- end to end: S3 (moto server) → ingest-documents flow → SQLite --------------------------

# Each bad file is uploaded under one of these, so keys carry unicode, spaces and `../`.
_KEY_PREFIXES = ("in/", "in/ünïcødé/", "in/with spaces/", "in/../", "in/a/../../", "in/./ø ../")
_GOOD_RECEIPTS = {"in/../reçu 000.jpg": "000", "in/ünï cøde/receipt 001.jpg": "001"}


@pytest.fixture(scope="module")
def prefect_api() -> Iterator[None]:
    with (
        prefect_test_harness(server_startup_timeout=120),
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield


@pytest.mark.slow
def test_ingest_stores_every_hostile_file_as_failed_and_the_good_ones_as_done(
    prefect_api: None,
    s3_env: str,
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database_url = f"sqlite:///{tmp_path / 'hostile.db'}"
    monkeypatch.setenv("OCRFLOW_DATABASE_URL", database_url)
    # Blank letter pages at 72 dpi rather than 200: the outcomes are the same (the huge-page
    # PDF is still over the pixel limit), the detector's time on white paper is not.
    monkeypatch.setenv("OCRFLOW_PDF_DPI", "72")
    bucket = f"hostile-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    client = s3_client()
    client.create_bucket(Bucket=bucket)
    expected: dict[str, str] = {}
    for number, case in enumerate(corpus().values()):
        key = _KEY_PREFIXES[number % len(_KEY_PREFIXES)] + case.name
        client.put_object(Bucket=bucket, Key=key, Body=case.data)
        expected[f"s3://{bucket}/{key}"] = case.expected
    for key, receipt in _GOOD_RECEIPTS.items():
        client.upload_file(str(shared_data / "sroie" / "img" / f"{receipt}.jpg"), bucket, key)
        expected[f"s3://{bucket}/{key}"] = "done"

    summary = ingest_documents(
        IngestParameters(source=f"s3://{bucket}/in/", document_type="receipt", chunk_size=50)
    )

    stored = query.documents(database_url).set_index("source")
    assert sorted(stored.index) == sorted(expected)
    assert summary.listed == len(expected)
    assert summary.done == sum(outcome == "done" for outcome in expected.values())
    for uri, wanted in expected.items():
        row = stored.loc[uri]
        assert row["seconds"] < SECONDS_PER_FILE or wanted == "done", (uri, row["seconds"])
        if wanted == "done":
            assert row["status"] == "done", (uri, row["reason"])
        else:
            assert (row["status"], row["error_kind"]) == ("failed", wanted), (uri, row["reason"])
            assert_readable(row["reason"])
    totals = query.fields(database_url, name="total")
    assert set(totals["source"]) >= {f"s3://{bucket}/{key}" for key in _GOOD_RECEIPTS}
