"""Benchmark: SROIE receipts through the engine alone, the plain extract path, and the
ingest-documents flow, in one process with one engine; prints seconds and Prefect's share.

    python -m ocrflow.bench.ingest --receipts 200
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=200)
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("OCRFLOW_SHARED_DATA", SHARED_DATA))
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ocrflow-bench-"))
    # Before prefect is imported: a private home, no analytics, a scratch database.
    os.environ["PREFECT_HOME"] = str(work / "prefect")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["OCRFLOW_DATABASE_URL"] = f"sqlite:///{work / 'flow.db'}"
    os.environ.pop("OCRFLOW_STORAGE__DATABASE_URL", None)  # the nested name would win
    folder = work / "receipts"
    folder.mkdir()
    for path in sorted((args.data / "sroie" / "img").glob("*.jpg"))[: args.receipts]:
        shutil.copy(path, folder / path.name)
    paths = sorted(folder.glob("*.jpg"))
    print(_measure(paths, work, folder))


def _measure(paths: list[Path], work: Path, folder: Path) -> str:
    from ocrflow.flows.ingestion import ingest_documents
    from ocrflow.flows.parameters import IngestParameters
    from ocrflow.ocr_tasks.extract import extract_local_files
    from ocrflow.ocr_tasks.store import DocumentStore, upgrade_database
    from ocrflow.ocr_tasks.tasks import worker_engine
    from ocrflow.schemas.settings import OcrSettings

    engine = worker_engine(OcrSettings())  # the flow's chunks reuse this same engine
    engine.read_paths(paths[:1])  # warm-up
    alone = _timed(lambda: engine.read_paths(paths))
    plain_store = DocumentStore(f"sqlite:///{work / 'plain.db'}")
    plain = _timed(
        lambda: extract_local_files(
            paths, engine.settings, plain_store, "receipt", engine=lambda: engine
        )
    )
    upgrade_database(os.environ["OCRFLOW_DATABASE_URL"])
    parameters = IngestParameters(source=str(folder), document_type="receipt")
    flow = _timed(lambda: ingest_documents(parameters))
    count = len(paths)
    return (
        f"{count} receipts: engine alone {alone:.1f} s ({count / alone:.2f} pages/s); "
        f"engine+filter+fields+SQLite {plain:.1f} s; ingest flow {flow:.1f} s "
        f"({count / flow:.2f} pages/s); Prefect overhead {flow - plain:.1f} s "
        f"({(flow - plain) / flow:.0%} of the flow run)"
    )


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
