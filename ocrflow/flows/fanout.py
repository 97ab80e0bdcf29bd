"""Bounded fan-out: chunks sent to workers a few at a time, each with a deadline.

At most ``max_in_flight`` chunks are out at once; the next one is taken from the (lazy)
chunk iterable only as one finishes, so a listing that produces chunks as it pages is read
no faster than the workers read documents. A chunk not finished ``timeout_seconds`` after it
was sent stops the fan-out: what is still out is cancelled and ``ChunkTimeoutError`` names it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

Chunk = TypeVar("Chunk")
Handle = TypeVar("Handle")

# Prefect's final state types, as the API spells them.
FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})


class ChunkTimeoutError(RuntimeError):
    """A chunk sent to the workers did not finish in time."""


@dataclass
class _Sent(Generic[Chunk, Handle]):
    chunk: Chunk
    handle: Handle
    deadline: float
    state: str = "PENDING"


@dataclass(frozen=True)
class Workers(Generic[Chunk, Handle]):
    """How chunks reach the workers: ``send`` one (returns its handle), ``state`` of a handle
    (a Prefect state type), ``cancel`` one, ``describe`` one late in a given state."""

    send: Callable[[Chunk], Handle]
    state: Callable[[Handle], str]
    cancel: Callable[[Handle], None]
    describe_late: Callable[[Handle, str], str]


def fan_out(
    chunks: Iterable[Chunk],
    workers: Workers[Chunk, Handle],
    finished: Callable[[Chunk, Handle, str], None],
    max_in_flight: int,
    timeout_seconds: float,
    poll_seconds: float = 1.0,
) -> None:
    """Send every chunk, at most ``max_in_flight`` out at once; ``finished(chunk, handle,
    state)`` is called once per chunk as it reaches a final state."""
    pending = iter(chunks)
    out: list[_Sent[Chunk, Handle]] = []
    more = True
    while more or out:
        while more and len(out) < max_in_flight:
            chunk = next(pending, None)
            if chunk is None:
                more = False
            else:
                deadline = time.monotonic() + timeout_seconds
                out.append(_Sent(chunk, workers.send(chunk), deadline))
        still_out = _poll(out, workers, finished)
        if len(still_out) == len(out) and out:
            time.sleep(poll_seconds)
        out = still_out


def _poll(
    out: list[_Sent[Chunk, Handle]],
    workers: Workers[Chunk, Handle],
    finished: Callable[[Chunk, Handle, str], None],
) -> list[_Sent[Chunk, Handle]]:
    still_out: list[_Sent[Chunk, Handle]] = []
    for sent in out:
        sent.state = workers.state(sent.handle)
        if sent.state in FINAL_STATES:
            finished(sent.chunk, sent.handle, sent.state)
        elif time.monotonic() >= sent.deadline:
            _give_up(out, workers, sent)
        else:
            still_out.append(sent)
    return still_out


def _give_up(
    out: list[_Sent[Chunk, Handle]], workers: Workers[Chunk, Handle], late: _Sent[Chunk, Handle]
) -> None:
    """Cancel whatever is still out (a run started later would only read for nobody)."""
    for sent in out:
        if sent.state not in FINAL_STATES:
            workers.cancel(sent.handle)
    raise ChunkTimeoutError(workers.describe_late(late.handle, late.state))
