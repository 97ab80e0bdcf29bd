"""The whole benchmark: ocrflow, then each reference, on the same pages in the same order,
at each process count; returns the printed report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata

from ocrflow.bench.engines import OCRFLOW, resolve_reference, unavailable_reason
from ocrflow.bench.pages import BenchPage
from ocrflow.bench.runner import EngineRun, run_engine
from ocrflow.bench.table import machine_line, render
from ocrflow.schemas.settings import OcrSettings


@dataclass(frozen=True)
class BenchPlan:
    pages: list[BenchPage]
    settings: OcrSettings
    references: Sequence[str]
    processes: Sequence[int] = (1,)
    rounds: int = 1


def run_benchmark(plan: BenchPlan, progress: Callable[[str], None] = print) -> str:
    """Each process count in turn; within it, ``rounds`` rounds in which every engine reads
    the set once, so that a machine growing slower or faster (a shared host) weighs on every
    engine alike rather than on whichever ran last."""
    engines, skipped = _engines(plan)
    runs: list[EngineRun] = []
    for processes in plan.processes:
        settings = _per_process(plan.settings, processes)
        by_engine: dict[str, EngineRun] = {}
        for round_number in range(1, plan.rounds + 1):
            for name in engines:
                progress(
                    f"bench: {name}, {processes} process(es), {len(plan.pages)} files, "
                    f"round {round_number}/{plan.rounds}…"
                )
                run = run_engine(name, settings, plan.pages, processes)
                by_engine[name] = by_engine[name].then(run) if name in by_engine else run
        runs += by_engine.values()
    return "\n".join([_title(plan), "", render(runs, skipped)])


def _engines(plan: BenchPlan) -> tuple[list[str], list[tuple[str, str]]]:
    engines, skipped = [OCRFLOW], []
    for reference in plan.references:
        name = resolve_reference(reference, plan.settings.models.set)
        reason = unavailable_reason(name)
        if reason is None and name not in engines:
            engines.append(name)
        elif reason is not None:
            skipped.append((name, reason))
    return engines, skipped


def _per_process(settings: OcrSettings, processes: int) -> OcrSettings:
    """With several workers, each gets its share of the cores unless threads were set."""
    if processes == 1 or settings.engine.threads:
        return settings
    import os

    threads = max(1, (os.cpu_count() or 1) // processes)
    return settings.with_overrides({"engine.threads": threads, "engine.lanes": 1})


def _title(plan: BenchPlan) -> str:
    truth = sum(page.truth is not None for page in plan.pages)
    s = plan.settings
    return (
        f"ocrflow bench: {machine_line()}; onnxruntime {_version('onnxruntime')}, "
        f"numpy {_version('numpy')}, opencv {_version('opencv-python-headless')}\n"
        f"model set {s.models.set}, runtime {s.engine.runtime}, det side {s.detection.max_side}, "
        f"line orientation {s.orientation.line}, page orientation "
        f"{'on' if s.orientation.page else 'off'}; {len(plan.pages)} files "
        f"({truth} with ground truth), read one file per call after a one-file warm-up, "
        f"each engine in its own process(es), one after the other, {plan.rounds} round(s); "
        f"ocrflow in one process: {s.engine.lanes or 'one per core'} lane(s) of "
        f"{s.engine.threads or 1} thread(s), with more processes: 1 lane each"
    )


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "-"
