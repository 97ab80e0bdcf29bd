"""Peak memory of one engine: on 300 dpi A4 scans (the issue's bound: 1.5 GB of RSS), and flat
in the number of documents of a chunk (a CPU worker's bound: 1.2 GB, whatever the chunk).

Measured in a fresh interpreter, reading the flows' way (one call for the whole chunk, pages
in flight in every lane), so the figure is the engine's alone."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from ocrflow.ocr_tasks.pipeline import DocumentInput, OcrEngine
from ocrflow.schemas.settings import settings_with
from tests.conftest import REPO_ROOT
from tests.images import encode, printed_text

PEAK_RSS_LIMIT_MIB = 1.5 * 1024
WORKER_PEAK_RSS_LIMIT_MIB = 1.2 * 1024

# the peak is read from VmHWM (see peak_rss_mib): the child's ru_maxrss would report this
# test worker's own peak, carried across exec
_READ_AND_REPORT_PEAK = """
import sys
from pathlib import Path
from ocrflow.bench.evaluation import peak_rss_mib
from ocrflow.ocr_tasks.pipeline import OcrEngine
results = OcrEngine().read_paths([Path(p) for p in sys.argv[1:]])
assert all(r.status == "done" and r.pages[0].lines for r in results), results
print(peak_rss_mib())
"""


@pytest.mark.slow
def test_peak_rss_on_300_dpi_a4_scans_stays_under_the_bound(shared_data: Path) -> None:
    a4_scans = sorted((shared_data / "tesseract").glob("*.3B.tif"))
    receipts = sorted((shared_data / "sroie" / "img").glob("*.jpg"))[:3]
    assert len(a4_scans) == 2
    done = subprocess.run(
        [sys.executable, "-c", _READ_AND_REPORT_PEAK, *map(str, a4_scans + receipts)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    peak_mib = float(done.stdout.split()[-1])
    print(f"peak RSS {peak_mib:.0f} MiB")
    assert peak_mib < PEAK_RSS_LIMIT_MIB


_READ_CHUNK_AND_REPORT_PEAK = """
import sys
from pathlib import Path
from ocrflow.bench.evaluation import peak_rss_mib
from ocrflow.ocr_tasks.sources import local_source
from ocrflow.ocr_tasks.tasks import read_chunk
from ocrflow.schemas.settings import OcrSettings
sources = [local_source(Path(p)) for p in sys.argv[1:]]
results = read_chunk(OcrSettings(), sources, "receipt", None)
assert len(results) == len(sources) and all(r.status == "done" for r in results), results
print(peak_rss_mib())
"""


@pytest.mark.slow
def test_a_chunk_of_40_receipts_stays_under_the_workers_bound(shared_data: Path) -> None:
    """Before the window (a queue of every crop, the runtime's arena and glibc's heap keeping
    a region for each new page size) 30 receipts peaked at 1.21 GB and 50 at 1.75 GB."""
    receipts = sorted((shared_data / "sroie" / "img").glob("*.jpg"))[:40]
    done = subprocess.run(
        [sys.executable, "-c", _READ_CHUNK_AND_REPORT_PEAK, *map(str, receipts)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    peak_mib = float(done.stdout.split()[-1])
    print(f"peak RSS {peak_mib:.0f} MiB")
    assert peak_mib < WORKER_PEAK_RSS_LIMIT_MIB


def test_records_leave_the_window_while_later_documents_are_still_to_come() -> None:
    """A document's record comes out once its lines are read, not at the end of the call:
    the documents held at once stay a few, however long the chunk."""
    engine = OcrEngine(settings_with({"recognition.flush_lines": 1}))
    fetched = 0

    def documents() -> Iterator[DocumentInput]:
        nonlocal fetched
        for number in range(8):
            fetched += 1
            yield DocumentInput(f"{number}.png", encode(printed_text(f"PAGE {number}"), "PNG"))

    held = []
    try:
        for number, result in enumerate(engine.read_stream(documents())):
            assert result.source == f"{number}.png" and result.pages[0].lines
            held.append(fetched - number)
    finally:
        engine.close()
    assert len(held) == 8
    # the page being laid out in each lane, and the one being decoded
    assert max(held) <= engine.lanes.count + 2, held


def test_the_line_queue_is_read_once_its_pixels_reach_the_budget() -> None:
    """``recognition.queue_mib`` bounds the crops waiting, whatever ``flush_lines`` says."""
    engine = OcrEngine(settings_with({"recognition.queue_mib": 1}))
    big_lines = printed_text("A LONG LINE OF PRINTED TEXT " * 3, size=120)  # ~0.8 MiB of crop
    pages = [DocumentInput(f"{n}.png", encode(big_lines, "PNG")) for n in range(4)]
    reads: list[int] = []
    read_lines = engine._read_lines

    def counting(lines: Sequence[Any]) -> None:
        reads.append(len(lines))
        read_lines(lines)

    engine._read_lines = counting  # type: ignore[method-assign]
    try:
        results = engine.read(pages)
    finally:
        engine.close()
    assert all(result.pages[0].lines for result in results)
    assert len([count for count in reads if count]) >= 2, reads
