"""The review-fields flow against a real Prefect API (``prefect server start``), on SQLite and
PostgreSQL: the flow pauses for each field, the test answers as the UI does (the resume
endpoint with the typed input, ``prefect.flow_runs.resume_flow_run``), and the answers are
stored as reviews."""

from __future__ import annotations

import contextvars
import shutil
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect.client.schemas.objects import FlowRun
from prefect.events.worker import EventsWorker
from prefect.flow_runs import resume_flow_run
from prefect.input.run_input import keyset_from_paused_state
from prefect.logging.handlers import APILogWorker
from prefect.settings import PREFECT_API_URL, temporary_settings

from ocrflow.flows.review_flow import (
    FieldAnswer,
    ReviewParameters,
    ReviewSummary,
    review_fields,
    summary_markdown,
)
from ocrflow.ocr_tasks import query
from ocrflow.ocr_tasks.annotate import markdown_escape
from ocrflow.ocr_tasks.store import DocumentStore
from ocrflow.schemas.records import DocumentResult
from tests.test_store import receipt

WAIT_SECONDS = 90


@pytest.fixture(autouse=True)
def prefect_api(prefect_api_url: str) -> Iterator[str]:
    """The session's ``prefect server start`` as this test's API (the thread running the flow
    gets a copy of these settings)."""
    with temporary_settings({PREFECT_API_URL: prefect_api_url}):
        yield prefect_api_url


@pytest.fixture(scope="module", autouse=True)
def drained_at_the_end(prefect_api_url: str) -> Iterator[None]:
    """Send what the flows run here logged and emitted while the server still listens (the
    session's server stops at the end; the workers would retry against it at exit)."""
    yield
    APILogWorker.drain_all(timeout=30)
    EventsWorker.drain_all(timeout=30)


@pytest.fixture
def results_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OCRFLOW_STORAGE__DATABASE_URL", database_url)
    return database_url


class ReviewRun:
    """A review-fields run in a thread of this process, answered from the test."""

    def __init__(self, future: Future[ReviewSummary], name: str) -> None:
        self.future = future
        self.name = name
        self._id: uuid.UUID | None = None

    @property
    def id(self) -> uuid.UUID:
        if self._id is None:
            self._id = _wait(lambda: _run_named(self.name), f"no flow run {self.name}").id
        return self._id

    def next_form(self) -> tuple[str, dict[str, Any]]:
        """Wait until the run is paused with a form; its description and JSON schema."""

        def paused_form() -> tuple[str, dict[str, Any]] | None:
            with get_client(sync_client=True) as client:
                state = client.read_flow_run(self.id).state
                if state is None or not state.is_paused() or self.future.done():
                    return None
                keys = keyset_from_paused_state(state)
                inputs = {
                    i.key: i.decoded_value
                    for i in client.filter_flow_run_input(
                        self.id, keys["schema"].removesuffix("-schema"), 10, set()
                    )
                }
            if keys["description"] not in inputs:  # saved just after the pause
                return None
            return inputs[keys["description"]], inputs[keys["schema"]]

        if self.future.done():
            self.future.result()  # raises what the flow raised
        return _wait(paused_form, f"run {self.name} never paused for input")

    def answer(self, **answer: Any) -> None:
        resume_flow_run(self.id, run_input=answer)
        # The next form (or the end) comes once the run has seen the resume.
        _wait(lambda: self._left_pause(), f"run {self.name} did not resume")

    def _left_pause(self) -> bool:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(self.id).state
        return state is not None and not state.is_paused()

    def summary(self) -> ReviewSummary:
        return self.future.result(timeout=WAIT_SECONDS)

    def state_type(self) -> str:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(self.id).state
        assert state is not None
        return state.type.value

    def artifacts(self) -> dict[str, str]:
        with get_client(sync_client=True) as client:
            found = client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[self.id]))
            )
        return {a.key: str(a.data) for a in found if a.key}


def _run_named(name: str) -> FlowRun | None:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name]))
        )
    return runs[0] if runs else None


def _wait(found: Any, message: str, timeout: float = WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := found()):
        assert time.monotonic() < deadline, message
        time.sleep(0.3)
    return value


@pytest.fixture
def start_review() -> Iterator[Any]:
    """Start review-fields runs in threads; each is waited for at teardown."""
    pool = ThreadPoolExecutor(max_workers=2)
    runs: list[ReviewRun] = []

    def start(**parameters: Any) -> ReviewRun:
        name = f"review-{uuid.uuid4().hex[:10]}"
        run = review_fields.with_options(flow_run_name=name)
        context = contextvars.copy_context()  # the Prefect settings of this test
        future = pool.submit(context.run, run, ReviewParameters(**parameters))
        runs.append(ReviewRun(future, name))
        return runs[-1]

    yield start
    for run in runs:
        if not run.future.done():
            with get_client(sync_client=True) as client:
                from prefect.states import Cancelled

                client.set_flow_run_state(run.id, Cancelled(), force=True)
    pool.shutdown(wait=False, cancel_futures=True)


def local_receipt(uri: str, etag: str = "e1") -> DocumentResult:
    """A stored receipt whose file is gone (a local path that does not exist): no picture."""
    document = receipt(uri, etag=etag)
    assert document.origin is not None
    document.origin = document.origin.model_copy(update={"bucket": None, "key": None})
    return document


def _local_receipts(url: str, folder: Path, *names: str) -> list[str]:
    store = DocumentStore(url, upgrade=False)
    uris = [str(folder / name) for name in names]
    for uri in uris:
        store.save(local_receipt(uri))
    return uris


def test_answers_given_through_the_api_are_stored_as_reviews(
    results_db: str, start_review: Any, tmp_path: Path
) -> None:
    first, second = _local_receipts(results_db, tmp_path / "gone", "a.png", "b.png")
    run = start_review(field="date", reviewer="ana", timeout_seconds=WAIT_SECONDS)

    description, schema = run.next_form()
    for shown in (
        markdown_escape(first),
        "date",
        "31/02/2018",
        "not a date",
        "Field 1 of 2",
        "0.90",
    ):
        assert shown in description
    assert "No picture" in description  # the file is gone: said, and the review goes on
    assert schema["properties"]["answer"]["enum"] == ["accept", "correct", "absent"]
    assert schema["properties"]["reviewer"]["default"] == "ana"
    assert schema["properties"]["value"]["default"] == "31/02/2018"  # pre-filled to edit
    run.answer(answer="correct", value=" 2018-02-28 ", note="typo", reviewer="ben")

    description, schema = run.next_form()
    assert markdown_escape(second) in description and "Field 2 of 2" in description
    assert schema["properties"]["reviewer"]["default"] == "ben"  # the last name given
    run.answer(answer="correct", value="", reviewer="ben")
    description, _ = run.next_form()  # asked again, saying why
    assert description.startswith("**a correction needs the right value: please answer again")
    run.answer(answer="absent", reviewer=" ")
    description, _ = run.next_form()
    assert description.startswith("**say who answers: please answer again")
    run.answer(answer="absent", value="ignored", reviewer="ben")

    summary = run.summary()
    assert [(a.source, a.review, a.value) for a in summary.answered] == [
        (first, "corrected", "2018-02-28"),
        (second, "absent", None),
    ]
    assert (summary.skipped, summary.timed_out, summary.not_asked) == ([], None, 0)
    assert run.state_type() == "COMPLETED"
    dates = query.fields(results_db, name="date").set_index("source")
    assert dates["status"].tolist() == ["reviewed", "reviewed"]
    assert dates.loc[first, ["value", "review", "reviewer", "review_note"]].tolist() == [
        "2018-02-28",
        "corrected",
        "ben",
        "typo",
    ]
    assert dates.loc[second, "review"] == "absent"
    assert query.review_queue(results_db, name="date").empty
    artifacts = run.artifacts()
    assert {"review-1", "review-2", "review-summary"} <= set(artifacts)
    assert markdown_escape(first) in artifacts["review-1"] and "not a date" in artifacts["review-1"]
    assert "| answered | 2 |" in artifacts["review-summary"]


def test_a_field_not_answered_in_time_stays_queued_and_the_run_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start_review: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'results.db'}"
    monkeypatch.setenv("OCRFLOW_STORAGE__DATABASE_URL", url)
    DocumentStore(url).save(receipt("s3://bucket/a.png"))
    DocumentStore(url, upgrade=False).save(receipt("s3://bucket/b.png"))
    run = start_review(timeout_seconds=3, source_prefix="s3://bucket/")
    run.next_form()
    summary = run.summary()  # nobody answers
    assert summary.timed_out is not None and summary.timed_out.source == "s3://bucket/a.png"
    assert "no answer within 3 s" in summary.timed_out.reason
    assert (summary.answered, summary.not_asked) == ([], 1)
    assert run.state_type() == "COMPLETED"
    assert len(query.review_queue(url)) == 2  # both still wait for an answer
    assert "| not answered in time | 1 |" in run.artifacts()["review-summary"]


def test_filters_and_limit_select_from_the_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start_review: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'results.db'}"
    monkeypatch.setenv("OCRFLOW_STORAGE__DATABASE_URL", url)
    store = DocumentStore(url)
    for uri in ("s3://bucket/in/a.png", "s3://bucket/in/b.png", "s3://other/c.png"):
        store.save(receipt(uri))
    run = start_review(source_prefix="s3://bucket/in/", limit=1, document_type="receipt")
    description, _ = run.next_form()
    assert "s3://bucket/in/a.png" in description and "Field 1 of 1" in description
    run.answer(answer="accept", reviewer="ana")
    summary = run.summary()
    assert [(a.source, a.review, a.value) for a in summary.answered] == [
        ("s3://bucket/in/a.png", "accepted", None)  # the extracted value was none
    ]
    assert query.review_queue(url)["source"].tolist() == [
        "s3://bucket/in/b.png",
        "s3://other/c.png",
    ]


def test_a_document_re_read_while_waiting_is_not_answered_for(
    results_db: str, start_review: Any, tmp_path: Path
) -> None:
    [uri] = _local_receipts(results_db, tmp_path / "gone", "a.png")
    run = start_review()
    run.next_form()
    DocumentStore(results_db, upgrade=False).save(
        local_receipt(uri, etag="e2")
    )  # a new version, never shown
    run.answer(answer="correct", value="2018-02-28", reviewer="ana")
    summary = run.summary()
    assert summary.answered == []
    assert [s.reason for s in summary.skipped] == ["another version of the document was stored"]
    assert query.reviews(results_db).empty
    assert "Skipped" in summary_markdown(summary)


def test_the_answer_form_is_typed() -> None:
    form = FieldAnswer.with_initial_data(description="d", value="9.00", reviewer="ana")
    assert form(answer="accept").reviewer == "ana"
    with pytest.raises(ValueError, match="answer"):
        form(answer="maybe")
    with pytest.raises(ValueError, match="limit"):
        ReviewParameters(limit=0)


def test_the_picture_is_inline_when_the_document_can_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_data: Path, start_review: Any
) -> None:
    """A real receipt (SROIE 011, whose name is read ``HARDWAKE`` and doubted), read and
    stored by ingest-documents in-process; the form for a field of it that needs review
    (whichever the fitted model doubts) shows the lines the value came from as an inline
    PNG."""
    from ocrflow.flows.ingest import IngestParameters, ingest_documents
    from ocrflow.ocr_tasks.annotate import markdown_escape

    url = f"sqlite:///{tmp_path / 'results.db'}"
    monkeypatch.setenv("OCRFLOW_STORAGE__DATABASE_URL", url)
    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copy(shared_data / "sroie" / "img" / "011.jpg", folder / "011.jpg")
    ingest_documents(IngestParameters(source=str(folder), document_type="receipt"))
    queue = query.review_queue(url)
    one_line = queue[queue["value"].notna() & ~queue["value"].str.contains("\n", na=False)]
    assert not one_line.empty, "SROIE 011 has no one-line field in review"
    name, value = one_line.iloc[0]["name"], one_line.iloc[0]["value"]
    run = start_review(field=name)
    description, _ = run.next_form()
    assert markdown_escape(value) in description  # the form writes it as Markdown text
    assert f"![the lines {name} was read from](data:image/png;base64," in description
    run.answer(answer="accept", reviewer="ana")
    assert [a.value for a in run.summary().answered] == [value]
    assert query.fields(url, name=name)["status"].tolist() == ["reviewed"]


def test_an_empty_selection_completes_with_nothing_asked(
    results_db: str, start_review: Any
) -> None:
    run = start_review(field="tip")
    summary = run.summary()
    assert (summary.selected, summary.answered, summary.not_asked) == (0, [], 0)
    assert run.state_type() == "COMPLETED"
    assert "| selected | 0 |" in run.artifacts()["review-summary"]
