"""Progress of an in-process ingest, for ``ocrflow ingest``'s bar.

A context variable, not a flow parameter (a callback cannot be serialised), and in a module of
its own: Prefect pickles the flow function with the globals it names, and a context variable
cannot be pickled, while a module can.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

# Documents read so far, documents to read.
ProgressHook = Callable[[int, int], None]

_hook: ContextVar[ProgressHook | None] = ContextVar("ocrflow_progress_hook", default=None)


def report(done: int, total: int) -> None:
    hook = _hook.get()
    if hook is not None:
        hook(done, total)


@contextlib.contextmanager
def reporting_to(hook: ProgressHook) -> Iterator[None]:
    token = _hook.set(hook)
    try:
        yield
    finally:
        _hook.reset(token)
