"""Peak memory and speed of one worker reading one chunk the flows' way, each in a fresh process.

Each scenario runs ``read_chunk`` (fetch → engine → fields) in its own interpreter and reports
its peak RSS from ``VmHWM`` (see :func:`~ocrflow.bench.evaluation.peak_rss_mib`), so the
figure is that worker's alone, models included::

    python -m ocrflow.bench.memory                              # receipts:10,50,200 tiff:30
    python -m ocrflow.bench.memory receipts:50 --rounds 2       # pages/s, alternating rounds

``receipts:N`` is the first N SROIE receipts of the shared data, repeated to reach N;
``tiff:N`` is one N-page TIFF of the two 300 dpi A4 scans (Tesseract's UNLV pages), alternating,
written to a temporary folder (never into the repository).
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_SCENARIOS = ("receipts:10", "receipts:50", "receipts:200", "tiff:30")


@dataclass(frozen=True)
class MemoryRun:
    """One scenario read in one fresh process."""

    scenario: str
    documents: int
    pages: int
    failed: int
    seconds: float  # the chunk only: models are loaded before the clock starts
    cpu_seconds: float  # this process's CPU time over the chunk, all threads
    peak_mib: float

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def scenario_files(scenario: str, data: Path, scratch: Path) -> list[Path]:
    """The files a scenario reads: ``receipts:N`` or ``tiff:N``."""
    kind, _, count_text = scenario.partition(":")
    count = int(count_text)
    if kind == "receipts":
        receipts = sorted((data / "sroie" / "img").glob("*.jpg"))
        if not receipts:
            raise FileNotFoundError(f"no SROIE receipts in {data} (set OCRFLOW_SHARED_DATA)")
        return list(itertools.islice(itertools.cycle(receipts), count))
    if kind == "tiff":
        return [multipage_tiff(sorted((data / "tesseract").glob("*.3B.tif")), count, scratch)]
    raise ValueError(f"unknown scenario {scenario!r}: receipts:N or tiff:N")


def multipage_tiff(scans: list[Path], pages: int, folder: Path) -> Path:
    """One ``pages``-page TIFF of the scans, in turn, at their own resolution (LZW)."""
    from PIL import Image

    path = folder / f"scans-{pages}p.tif"
    frames = [Image.open(scan) for scan in scans]
    chosen = [frames[i % len(frames)] for i in range(pages)]
    chosen[0].save(
        path, format="TIFF", save_all=True, append_images=chosen[1:], compression="tiff_lzw"
    )
    return path


def run_scenario(scenario: str, files: list[Path]) -> MemoryRun:
    """Read ``files`` as one chunk in this process (call it in a fresh one)."""
    from ocrflow.bench.evaluation import peak_rss_mib
    from ocrflow.ocr_tasks.sources import local_source
    from ocrflow.ocr_tasks.tasks import read_chunk, worker_engine
    from ocrflow.schemas.settings import OcrSettings

    settings = OcrSettings()
    worker_engine(settings)  # models loaded before the clock starts, as on a warm worker
    sources = [local_source(path) for path in files]
    started, cpu_started = time.perf_counter(), time.process_time()
    results = read_chunk(settings, sources, "receipt", None)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    return MemoryRun(
        scenario,
        documents=len(results),
        pages=sum(len(result.pages) for result in results),
        failed=sum(result.status == "failed" for result in results),
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        peak_mib=peak_rss_mib(),
    )


def measure(scenario: str, data: Path) -> MemoryRun:
    """Run one scenario in a child interpreter and read back its figures."""
    with tempfile.TemporaryDirectory(prefix="ocrflow-memory-") as scratch:
        files = scenario_files(scenario, data, Path(scratch))
        done = subprocess.run(
            [sys.executable, "-m", "ocrflow.bench.memory", "--child", scenario, *map(str, files)],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"{scenario} failed:\n{done.stderr[-4000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return MemoryRun(**figures)


def _print_row(run: MemoryRun) -> None:
    print(
        f"{run.scenario:>14} {run.documents:>5} docs {run.pages:>5} pages "
        f"{run.failed:>2} failed {run.seconds:8.1f} s {run.pages_per_second:6.2f} pages/s "
        f"{run.cpu_seconds / max(run.pages, 1):5.2f} CPU s/page "
        f"peak RSS {run.peak_mib:7.0f} MiB ({run.peak_mib / 1024:.2f} GiB)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    from ocrflow.bench.evaluation import shared_data_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenarios", nargs="*", help=f"default: {' '.join(DEFAULT_SCENARIOS)}")
    parser.add_argument("--rounds", type=int, default=1, help="each scenario this many times")
    # in a child, the positional arguments are the scenario's files
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run = run_scenario(args.child, [Path(f) for f in args.scenarios])
        print(json.dumps(asdict(run)))
        return
    for _ in range(args.rounds):
        for scenario in args.scenarios or DEFAULT_SCENARIOS:
            _print_row(measure(scenario, shared_data_dir()))


if __name__ == "__main__":
    main()
