"""``ocrflow bench``: speed, memory and CER of the engine and of reference engines."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ocrflow.flows.cli_options import (
    DetMaxSideOption,
    LineOrientationOption,
    ModelSetOption,
    PageOrientationOption,
    RuntimeOption,
    engine_settings,
)


def bench(
    pages: Annotated[
        Path | None,
        typer.Option(
            help="Folder of page files (ground truth found beside them as in SROIE, FUNSD or "
            "NAME.txt). Default: SROIE and FUNSD in ../shared/data, else samples/."
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N files of --pages.")] = None,
    sroie: Annotated[int, typer.Option(help="Default set: first N SROIE receipts.")] = 20,
    funsd: Annotated[int, typer.Option(help="Default set: first N FUNSD forms.")] = 10,
    against: Annotated[
        str,
        typer.Option(help="Reference engines, comma-separated (rapidocr, paddleocr); '' none."),
    ] = "rapidocr,paddleocr",
    processes: Annotated[
        str,
        typer.Option(
            help="Worker process counts, comma-separated (1,2,4), or 'auto': 1, 2, 4, … up to "
            "the cores present. One engine per process."
        ),
    ] = "1",
    model_set: ModelSetOption = None,
    runtime: RuntimeOption = None,
    det_max_side: DetMaxSideOption = None,
    line_orientation: LineOrientationOption = None,
    page_orientation: PageOrientationOption = None,
    threads: Annotated[int | None, typer.Option(help="Threads per inference call.")] = None,
    lanes: Annotated[
        int | None, typer.Option(help="ocrflow's inference lanes in one process; 0: one per core.")
    ] = None,
    rounds: Annotated[
        int, typer.Option(min=1, help="Rounds, every engine reading the set once in each.")
    ] = 1,
) -> None:
    """Read a page set with ocrflow, then with each installed reference engine (same pages,
    same order, each engine in its own process after a warm-up), and print pages/s, median
    and p95 seconds per page, peak RSS and CER, with ours/theirs ratios."""
    from ocrflow.bench.pages import default_pages, pages_in
    from ocrflow.bench.suite import BenchPlan, run_benchmark

    settings = engine_settings(
        {
            "models.set": model_set,
            "engine.runtime": runtime,
            "detection.max_side": det_max_side,
            "orientation.line": line_orientation,
            "orientation.page": page_orientation,
            "engine.threads": threads,
            "engine.lanes": lanes,
        }
    )
    page_set = pages_in(pages, limit) if pages is not None else default_pages(sroie, funsd)
    if not page_set:
        raise typer.BadParameter("no page files found", param_hint="--pages")
    plan = BenchPlan(
        pages=page_set,
        settings=settings,
        references=[name.strip() for name in against.split(",") if name.strip()],
        processes=_process_counts(processes),
        rounds=rounds,
    )
    typer.echo(run_benchmark(plan, progress=lambda line: typer.echo(line, err=True)))


def _process_counts(text: str) -> list[int]:
    if text.strip() == "auto":
        cores = os.cpu_count() or 1
        return [2**power for power in range(cores.bit_length()) if 2**power <= cores]
    return [int(count) for count in text.split(",") if count.strip()]
