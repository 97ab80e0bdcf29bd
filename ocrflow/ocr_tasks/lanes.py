"""Inference lanes: how many model calls one engine runs at once.

On a CPU, a session that spreads one call over several threads scales poorly (PP-OCRv6 small
on 2 cores: 1.4x the work done per second of one thread), while independent calls on one
thread each scale almost linearly. So an engine with ``lanes`` > 1 runs each call on a
single thread and keeps ``lanes`` calls going at once, over the same loaded sessions (ONNX
Runtime's ``run`` may be called from several threads). Pages are detected side by side,
and recognition batches are spread over the lanes, largest first.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Protocol, TypeVar

from ocrflow.schemas.settings import OcrSettings

T = TypeVar("T")
R = TypeVar("R")


class BatchMap(Protocol):
    """Runs a function over batches, results in order: ``Lanes.map`` or ``serial_map``."""

    def __call__(self, function: Callable[[T], R], items: Sequence[T], /) -> list[R]: ...


def serial_map(function: Callable[[T], R], items: Sequence[T], /) -> list[R]:
    return [function(item) for item in items]


def lane_count(settings: OcrSettings, concurrent_runs: bool) -> int:
    """Lanes to use: ``settings.engine.lanes``, 0 meaning one per core; one for a runtime whose
    sessions cannot run calls concurrently (Paddle predictors, a GPU)."""
    if not concurrent_runs:
        return 1
    return settings.engine.lanes or available_cores()


def available_cores(cgroup_root: Path = Path("/sys/fs/cgroup")) -> int:
    """Cores this process may use: its CPU affinity, capped by a container's CPU quota (a pod
    limited to 2 CPUs on a 64-core node sees 64 cores in its affinity)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    quota = _cgroup_cpu_quota(cgroup_root)
    return max(1, min(cores, math.ceil(quota))) if quota else cores


def _cgroup_cpu_quota(root: Path) -> float | None:
    """CPUs allowed by the cgroup v2 ``cpu.max`` or v1 ``cfs_quota_us``; None: no limit."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        try:
            quota = (root / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (root / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    # "max" (v2) and "-1" (v1) mean no limit
    if not (quota.isdigit() and period.isdigit()) or int(quota) == 0 or int(period) == 0:
        return None
    return int(quota) / int(period)


class Lanes:
    """A thread pool of ``count`` workers; with one lane, calls run inline in the caller."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0

    @property
    def _threads(self) -> ThreadPoolExecutor | None:
        """The pool, started on first use and again in a forked child (which inherits the
        pool's queue but none of its threads: work sent there would wait forever)."""
        if self.count > 1 and (self._pool is None or self._pool_pid != os.getpid()):
            self._pool = ThreadPoolExecutor(self.count, "ocrflow-lane")
            self._pool_pid = os.getpid()
        return self._pool

    def submit(self, function: Callable[..., R], *args: object) -> Future[R]:
        if (pool := self._threads) is not None:
            return pool.submit(function, *args)
        future: Future[R] = Future()
        try:
            future.set_result(function(*args))
        except BaseException as error:  # handed to the caller by future.result()
            future.set_exception(error)
        return future

    def map(self, function: Callable[[T], R], items: Sequence[T], /) -> list[R]:
        """Results in the order of ``items``; the first failure is raised."""
        if (pool := self._threads) is None:
            return serial_map(function, items)
        return list(pool.map(function, items))

    def close(self) -> None:
        if self._pool is not None and self._pool_pid == os.getpid():
            self._pool.shutdown(wait=True)
        self._pool = None
