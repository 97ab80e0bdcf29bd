"""Ingestion at bucket scale, the parts that need no Prefect API: bounded fan-out, chunks sent
as the listing fills them, the exit-status contract, the summary artifact's data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ocrflow.flows.cli_options import ExitStatus, exit_status
from ocrflow.flows.fanout import ChunkTimeoutError, Workers, fan_out
from ocrflow.flows.ingestion import (
    IngestSummary,
    chunks_to_read,
    summary_markdown,
    summary_of_markdown,
)
from ocrflow.flows.parameters import IngestParameters
from ocrflow.schemas.records import SourceObject


class Pool:
    """Workers that finish a chunk after it has been polled ``polls`` times, or never."""

    def __init__(self, polls: int | None) -> None:
        self.polls = polls
        self.seen: dict[int, int] = {}
        self.out: set[int] = set()
        self.most_out = 0
        self.cancelled: list[int] = []

    def send(self, chunk: int) -> int:
        self.out.add(chunk)
        self.most_out = max(self.most_out, len(self.out))
        return chunk

    def state(self, handle: int) -> str:
        self.seen[handle] = self.seen.get(handle, 0) + 1
        if self.polls is not None and self.seen[handle] >= self.polls:
            self.out.discard(handle)
            return "COMPLETED"
        return "SCHEDULED"

    def workers(self) -> Workers[int, int]:
        return Workers(
            self.send, self.state, self.cancelled.append, lambda h, s: f"chunk {h} still {s}"
        )


def test_fan_out_keeps_at_most_max_in_flight_out() -> None:
    pool = Pool(polls=2)
    finished: list[int] = []
    fan_out(range(10), pool.workers(), lambda c, h, s: finished.append(c), 3, 60, poll_seconds=0)
    assert sorted(finished) == list(range(10))
    assert pool.most_out == 3


def test_fan_out_takes_chunks_only_as_slots_free() -> None:
    taken: list[int] = []

    def chunks() -> Iterator[int]:
        for number in range(6):
            taken.append(number)
            yield number

    pool = Pool(polls=1)
    taken_when_finished: list[int] = []

    def finished(chunk: int, handle: int, state: str) -> None:
        taken_when_finished.append(len(taken))

    fan_out(chunks(), pool.workers(), finished, 2, 60, poll_seconds=0)
    # When the first chunk finished, only the two sent had been taken from the listing.
    assert taken_when_finished[0] == 2


def test_a_chunk_past_its_deadline_fails_and_the_rest_are_cancelled() -> None:
    pool = Pool(polls=None)  # no worker ever takes them
    with pytest.raises(ChunkTimeoutError, match="chunk 0 still SCHEDULED"):
        fan_out(range(5), pool.workers(), lambda c, h, s: None, 2, 0.05, poll_seconds=0.01)
    assert sorted(pool.cancelled) == [0, 1]


def _objects(start: int, count: int) -> list[SourceObject]:
    return [SourceObject(uri=f"s3://b/{n}.png", etag="e") for n in range(start, start + count)]


def test_chunks_are_sent_as_they_fill_not_after_the_listing() -> None:
    listed: list[int] = []

    def pages() -> Iterator[list[SourceObject]]:
        for number in range(3):
            listed.append(number)
            yield _objects(number * 10, 10)

    summary = IngestSummary()
    chunks = chunks_to_read(pages(), lambda page: page[:7], 4, summary)
    first = next(chunks)
    assert len(first) == 4 and listed == [0]  # sent before the second page was listed
    rest = list(chunks)
    assert [len(c) for c in rest] == [4, 4, 4, 4, 1]
    assert (summary.listed, summary.skipped, summary.to_read) == (30, 9, 21)


def test_one_exit_status_for_every_command() -> None:
    assert exit_status(0) is ExitStatus.OK
    assert exit_status(3) is ExitStatus.DOCUMENTS_FAILED
    assert exit_status(0, run_failed=True) is ExitStatus.RUN_FAILED
    assert (int(ExitStatus.DOCUMENTS_FAILED), int(ExitStatus.RUN_FAILED)) == (2, 1)
    assert exit_status(3, run_failed=True) is ExitStatus.RUN_FAILED


def test_the_summary_artifact_carries_the_summary() -> None:
    summary = IngestSummary(
        listed=3, skipped=1, done=1, failed=[("s3://b/a|b.png", "bad --> <x> | y\nz")], pages=2
    )
    text = summary_markdown(IngestParameters(source="s3://b/"), summary)
    assert "| failed | 1 |" in text and "a\\|b.png" in text
    data = text.split("<!-- ocrflow-summary", 1)[1]
    assert data.count("-->") == 1  # a reason cannot close the data comment early
    assert summary_of_markdown(text) == summary
    assert summary_of_markdown("# something else") is None


@pytest.mark.parametrize(
    ("sqlstate", "transient"),
    [("57P01", True), ("08006", True), ("40001", True), ("23505", False), ("22001", False)],
)
def test_a_server_shutdown_or_lost_connection_is_worth_retrying(
    sqlstate: str, transient: bool
) -> None:
    from sqlalchemy.exc import OperationalError

    from ocrflow.ocr_tasks.errors import is_transient

    class DriverError(Exception):
        pass

    orig = DriverError("terminating connection due to administrator command")
    orig.sqlstate = sqlstate  # type: ignore[attr-defined]
    assert is_transient(OperationalError("INSERT ...", {}, orig)) is transient
