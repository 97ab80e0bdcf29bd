"""``ocrflow task-worker``: a long-lived process that serves ``ocr-chunk`` background tasks.

The engine is loaded on the first chunk and stays resident, so a chunk costs no process start
and no model load (a process worker pays both for every chunk run). One chunk at a time: the
ONNX and Paddle predictors are not thread-safe, and a worker per GPU is the concurrency unit.
"""

from __future__ import annotations

from typing import Annotated

import typer


def task_worker(
    limit: Annotated[int, typer.Option(help="Chunks run at once in this process.")] = 1,
    timeout: Annotated[
        float | None, typer.Option(help="Exit after this many seconds (default: never).")
    ] = None,
) -> None:
    """Serve ocr-chunk tasks submitted by ingest-documents runs with task_workers on.

    Refuses to start without a results database in its environment
    (OCRFLOW_STORAGE__DATABASE_URL or OCRFLOW_DATABASE_URL): the default SQLite file would be
    one of its own, which the ingest runs never read.
    """
    from prefect.task_worker import serve

    from ocrflow.flows.chunks import MISSING_DATABASE, database_is_configured, ocr_chunk
    from ocrflow.schemas.settings import OcrSettings

    if not database_is_configured(OcrSettings()):
        typer.echo(f"{MISSING_DATABASE} (the one the ingest runs use)", err=True)
        raise typer.Exit(1)
    serve(ocr_chunk, limit=limit, timeout=timeout)
