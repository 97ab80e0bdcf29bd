"""The benchmark's printed results: a markdown table (it pastes into the README as is)."""

from __future__ import annotations

import datetime
import os
import platform
import shutil
import subprocess
from collections.abc import Sequence

import numpy as np

from ocrflow.bench.engines import OCRFLOW
from ocrflow.bench.runner import EngineRun

HEADER = (
    "engine",
    "version",
    "processes",
    "pages",
    "pages/s",
    "median s/page",
    "p95 s/page",
    "CPU s/page",
    "peak RSS",
    "CER",
    "pages/s ours/theirs",
    "CER ours/theirs",
)


def machine_line() -> str:
    """Date, cores, CPU model and GPU, for the record that goes with a table."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                cpu,
            )
    except OSError:
        pass
    return (
        f"{datetime.date.today().isoformat()}, {os.cpu_count()} cores ({cpu}), "
        f"GPU: {_gpu() or 'none'}, Python {platform.python_version()}"
    )


def _gpu() -> str | None:
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        listed = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return "; ".join(listed.stdout.splitlines()) or None


def render(runs: Sequence[EngineRun], skipped: Sequence[tuple[str, str]]) -> str:
    """One row per engine and process count; references carry ours/theirs ratios against
    ocrflow at the same process count."""
    ours = {run.processes: run for run in runs if run.engine == OCRFLOW and run.error is None}
    rows = [_row(run, ours.get(run.processes)) for run in runs]
    lines = [_markdown(HEADER), _markdown(["---"] * len(HEADER)), *map(_markdown, rows)]
    lines += [f"{name}: skipped ({reason})" for name, reason in skipped]
    lines += _round_ratios(runs, ours)
    return "\n".join(lines)


def _round_ratios(runs: Sequence[EngineRun], ours: dict[int, EngineRun]) -> list[str]:
    """With several rounds, ours/theirs pages/s round by round: the spread shows the noise."""
    lines = []
    for run in runs:
        mine = ours.get(run.processes)
        if run.engine == OCRFLOW or mine is None or run.error is not None or len(run.rounds) < 2:
            continue
        ratios = [
            _ratio(a, b)
            for a, b in zip(
                mine.round_pages_per_second(), run.round_pages_per_second(), strict=True
            )
        ]
        lines.append(
            f"pages/s ours/{run.engine}, {run.processes} process(es), by round: {', '.join(ratios)}"
        )
    return ["", *lines] if lines else []


def _row(run: EngineRun, ours: EngineRun | None) -> list[str]:
    if run.error is not None:
        return [run.engine, run.version, str(run.processes), f"failed: {run.error}"] + [""] * 8
    seconds = np.array(run.page_seconds) if run.page_seconds else np.zeros(1)
    pages_ratio, cer_ratio = "", ""
    if ours is not None and run.engine != OCRFLOW:
        pages_ratio = _ratio(ours.pages_per_second, run.pages_per_second)
        if ours.errors is not None and run.errors is not None:
            cer_ratio = _ratio(ours.errors.rate, run.errors.rate)
    return [
        run.engine,
        run.version,
        str(run.processes),
        str(run.pages),
        f"{run.pages_per_second:.2f}",
        f"{float(np.median(seconds)):.2f}",
        f"{float(np.percentile(seconds, 95)):.2f}",
        f"{run.cpu_seconds_per_page:.2f}",
        f"{run.peak_rss_mib / 1024:.2f} GB",
        f"{100 * run.errors.rate:.2f}%" if run.errors is not None else "–",
        pages_ratio,
        cer_ratio,
    ]


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if theirs > 0 else "–"


def _markdown(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"
