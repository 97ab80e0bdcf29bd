"""Peak memory of one engine on 300 dpi A4 scans: the issue's bound is 1.5 GB of RSS.

Measured in a fresh interpreter, reading the flows' way (one call for the whole chunk, pages
in flight in every lane), so the figure is the engine's alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PEAK_RSS_LIMIT_MIB = 1.5 * 1024

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
