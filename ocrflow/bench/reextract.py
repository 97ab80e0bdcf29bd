"""Benchmark: ``extract`` against ``reextract`` on the same SROIE receipts; prints seconds.

    python -m ocrflow.bench.reextract --receipts 20

The extract is timed with the engine already loaded (as on a warm worker), then the fields of
the same stored documents are found again from their stored lines: with the same type (what a
refitted model costs) and as another type (invoice).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from ocrflow.bench.ingest import SHARED_DATA


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=20)
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("OCRFLOW_SHARED_DATA", SHARED_DATA))
    )
    args = parser.parse_args()
    paths = sorted((args.data / "sroie" / "img").glob("*.jpg"))[: args.receipts]
    print(measure(paths, Path(tempfile.mkdtemp(prefix="ocrflow-bench-"))))


def measure(paths: list[Path], work: Path) -> str:
    from ocrflow.flows.reextraction import ReextractParameters, reextract
    from ocrflow.ocr_tasks.extract import extract_local_files
    from ocrflow.ocr_tasks.pipeline import OcrEngine
    from ocrflow.ocr_tasks.store import DocumentStore
    from ocrflow.schemas.settings import OcrSettings

    settings = OcrSettings()
    url = f"sqlite:///{work / 'bench.db'}"
    store = DocumentStore(url)
    engine = OcrEngine(settings)
    engine.read_paths(paths[:1])  # models loaded and warm before the clock starts
    started = time.perf_counter()
    extract_local_files(paths, settings, store, "receipt", engine=lambda: engine)
    extract_seconds = time.perf_counter() - started
    same = reextract(url, ReextractParameters(document_type="receipt"), settings)
    other = reextract(url, ReextractParameters(document_type="invoice"), settings)
    count = len(paths)
    return (
        f"{count} receipts: extract {extract_seconds:.2f} s ({count / extract_seconds:.2f} "
        f"documents/s); reextract as receipt {same.seconds:.2f} s "
        f"({extract_seconds / same.seconds:.0f}x faster), as invoice {other.seconds:.2f} s "
        f"({extract_seconds / other.seconds:.0f}x faster)"
    )


if __name__ == "__main__":
    main()
