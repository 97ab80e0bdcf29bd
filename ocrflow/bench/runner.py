"""Run one engine over the page set in child processes, one engine per process.

Each child starts from a fresh interpreter (``spawn``), so its peak RSS is its own engine's
and not polluted by another engine loaded earlier. It loads the engine, reads the first page
once to warm up (not counted), waits for its siblings, then reads its share of the pages one
file at a time, timing each.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from dataclasses import dataclass, field
from multiprocessing.synchronize import Barrier
from typing import Any

from ocrflow.bench.engines import build_engine
from ocrflow.bench.evaluation import ErrorCount, peak_rss_mib
from ocrflow.bench.pages import BenchPage
from ocrflow.schemas.records import PageResult
from ocrflow.schemas.settings import OcrSettings

_CHILD_TIMEOUT_S = 3600


@dataclass
class WorkerResult:
    """What one child measured over its share of the pages."""

    engine: str
    version: str
    pages: int = 0
    failed: int = 0
    page_seconds: list[float] = field(default_factory=list)  # per page (file time / pages)
    started: float = 0.0  # time.monotonic(), system-wide on Linux: comparable across children
    finished: float = 0.0
    cpu_seconds: float = 0.0
    peak_rss_mib: float = 0.0
    errors: ErrorCount | None = None  # summed over the pages that have ground truth
    scored_pages: int = 0
    error: str | None = None  # the engine could not run at all


@dataclass(frozen=True)
class EngineRun:
    """One engine over the whole set with ``processes`` workers, once or in several rounds
    (each round a fresh set of workers, taken in turn with the other engines)."""

    engine: str
    version: str
    processes: int
    rounds: list[list[WorkerResult]]

    @property
    def workers(self) -> list[WorkerResult]:
        return [worker for round_workers in self.rounds for worker in round_workers]

    @property
    def error(self) -> str | None:
        return next((w.error for w in self.workers if w.error), None)

    @property
    def pages(self) -> int:
        return sum(w.pages for w in self.workers)

    @property
    def seconds(self) -> float:
        return sum(_round_seconds(workers) for workers in self.rounds)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0

    def round_pages_per_second(self) -> list[float]:
        return [
            sum(w.pages for w in workers) / seconds if (seconds := _round_seconds(workers)) else 0
            for workers in self.rounds
        ]

    def then(self, other: EngineRun) -> EngineRun:
        """This run with ``other``'s rounds after its own (same engine and processes)."""
        return EngineRun(self.engine, self.version, self.processes, self.rounds + other.rounds)

    @property
    def page_seconds(self) -> list[float]:
        return sorted(s for w in self.workers for s in w.page_seconds)

    @property
    def cpu_seconds_per_page(self) -> float:
        return sum(w.cpu_seconds for w in self.workers) / max(1, self.pages)

    @property
    def peak_rss_mib(self) -> float:
        """The largest worker's peak (each worker holds one engine)."""
        return max(w.peak_rss_mib for w in self.workers)

    @property
    def errors(self) -> ErrorCount | None:
        counts = [w.errors for w in self.workers if w.errors is not None]
        return sum(counts, ErrorCount()) if counts else None


def run_engine(
    name: str, settings: OcrSettings, pages: list[BenchPage], processes: int = 1
) -> EngineRun:
    """Measure ``name`` on ``pages`` with ``processes`` workers (pages dealt round-robin)."""
    context = mp.get_context("spawn")
    barrier = context.Barrier(processes)
    results: mp.Queue[WorkerResult] = context.Queue()
    shares = [pages[i::processes] for i in range(processes)]
    children = [
        context.Process(
            target=_worker,
            args=(name, settings.model_dump(), share, pages[:1], barrier, results),
            daemon=True,
        )
        for share in shares
    ]
    for child in children:
        child.start()
    workers = [results.get(timeout=_CHILD_TIMEOUT_S) for _ in children]
    for child in children:
        child.join()
    version = next((w.version for w in workers if w.version), "")
    return EngineRun(name, version, processes, [workers])


def _round_seconds(workers: list[WorkerResult]) -> float:
    return max(w.finished for w in workers) - min(w.started for w in workers)


def _worker(
    name: str,
    settings: dict[str, Any],
    pages: list[BenchPage],
    warm_up: list[BenchPage],
    barrier: Barrier,
    results: mp.Queue[WorkerResult],
) -> None:
    result = WorkerResult(name, "")
    try:
        engine = build_engine(name, OcrSettings.model_validate(settings))
        result.version = engine.version
        for page in warm_up:  # first calls pay for lazy allocations and kernel choices
            engine.read(page.image)
    except Exception as exc:  # reported in the table; the other engines still run
        result.error = f"{type(exc).__name__}: {exc}"
    barrier.wait()
    if result.error is None:
        _measure(engine, pages, result)
    result.peak_rss_mib = peak_rss_mib()
    results.put(result)


def _measure(engine: Any, pages: list[BenchPage], result: WorkerResult) -> None:
    read_pages: list[tuple[BenchPage, PageResult]] = []
    cpu_started = time.process_time()
    result.started = time.monotonic()
    for page in pages:
        started = time.perf_counter()
        try:
            read = engine.read(page.image)
        except Exception:  # a file the engine cannot read counts as failed, not as a crash
            read = []
        seconds = time.perf_counter() - started
        if not read:
            result.failed += 1
            continue
        result.pages += len(read)
        result.page_seconds.extend([seconds / len(read)] * len(read))
        read_pages.append((page, read[0]))
    result.finished = time.monotonic()
    result.cpu_seconds = time.process_time() - cpu_started
    # Scored after the clock stops: scoring is the benchmark's work, not the engine's.
    for page, first in read_pages:
        errors = page.score(first)
        if errors is not None:
            result.errors = (result.errors or ErrorCount()) + errors
            result.scored_pages += 1
