"""The ``review-fields`` flow: people answer for the fields that need review, in the Prefect UI.

The flow reads the review queue (``ocrflow review list``), and for each field publishes a
markdown artifact (``review-<n>``: the document, the field, the value and the text it was read
from, the reason, and a picture of the lines it came from) and pauses with a typed form,
:class:`FieldAnswer`, whose description is that same markdown. The person opens the paused run,
clicks Resume, answers (accept, correct with a value, or absent) and submits; the answer is
stored as a review (:func:`ocrflow.ocr_tasks.reviews.set_review`), which outlasts re-runs and
``--force``.

A "correct" without a value is asked again (the form says why), up to :data:`MAX_ASKS` times,
then skipped with that reason. A field nobody answers within ``timeout_seconds`` stays in the
queue and ends the run: nobody is reviewing now, and every further field would wait as long.
The run then finishes Completed, with the ``review-summary`` artifact saying what was answered,
skipped and left.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Literal

import pandas as pd
from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.client.orchestration import get_client
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from prefect.runtime import flow_run
from prefect.states import Running
from pydantic import BaseModel, Field
from sqlalchemy import select

from ocrflow.flows.chunks import configured_database_url
from ocrflow.flows.pictures import document_bytes
from ocrflow.ocr_tasks import query
from ocrflow.ocr_tasks.annotate import field_picture, markdown_escape, markdown_image, upright_pages
from ocrflow.ocr_tasks.decode import DecodeLimits
from ocrflow.ocr_tasks.reviews import ReviewError, ReviewKind, set_review
from ocrflow.ocr_tasks.store import DocumentStore, database_engine
from ocrflow.schemas.records import DocumentResult, FieldResult
from ocrflow.schemas.settings import OcrSettings
from ocrflow.schemas.tables import DocumentRow

SUMMARY_ARTIFACT = "review-summary"
DEFAULT_REVIEWER = "prefect-ui"
# A "correct" without a value is asked again; after this many asks the field is skipped.
MAX_ASKS = 3
# How often a paused run asks the API whether it was resumed: the wait between one submitted
# answer and the next field's form.
POLL_SECONDS = 2
# Pixels of the page shown around the value's lines: enough to see the label beside it.
PICTURE_MARGIN = 200

Answer = Literal["accept", "correct", "absent"]
_KINDS: dict[Answer, ReviewKind] = {
    "accept": "accepted",
    "correct": "corrected",
    "absent": "absent",
}


class ReviewParameters(BaseModel):
    """Which fields to review; the Prefect UI shows these as the run form."""

    document_type: str | None = Field(None, description="Only fields of this document type.")
    field: str | None = Field(None, description="Only fields with this name (e.g. total).")
    source_prefix: str | None = Field(
        None,
        description="Only documents whose URI starts with this (s3://bucket/folder/, /scans/).",
    )
    limit: int = Field(20, gt=0, le=1000, description="Ask about this many fields at most.")
    reviewer: str | None = Field(
        None,
        description=(
            "Pre-filled as who answers (each form can change it; the next form keeps the "
            f"last name given). Empty: {DEFAULT_REVIEWER}."
        ),
    )
    s3_block: str | None = Field(
        None,
        description=(
            "prefect-aws block to fetch S3 documents with, for the pictures (as for "
            "ingest-documents). Empty: the AWS environment of the worker."
        ),
    )
    timeout_seconds: int = Field(
        3600,
        gt=0,
        description=(
            "How long to wait for an answer to each field. A field not answered in time "
            "stays in the queue and ends the run (the fields after it are not asked)."
        ),
    )


class FieldAnswer(RunInput):
    """The form a reviewer fills in for one field (the run's Resume dialog)."""

    answer: Answer = Field(
        description=(
            "accept: the extracted value is right; correct: the value below is right; "
            "absent: the document has no such value."
        )
    )
    # Plain text boxes (a None default would show a str/None switch to click first).
    value: str = Field("", description="The right value, for correct (ignored otherwise).")
    note: str = Field("", description="Why, for whoever reads the review later.")
    reviewer: str = Field(description="Who answers.")


class QueuedField(BaseModel):
    """One row of the review queue."""

    source: str
    document_type: str | None = None
    name: str
    raw_text: str | None = None
    value: str | None = None
    confidence: float | None = None
    reason: str | None = None


class SkippedField(BaseModel):
    source: str
    field: str
    reason: str


class AnsweredField(BaseModel):
    source: str
    field: str
    review: ReviewKind
    value: str | None
    reviewer: str


class ReviewSummary(BaseModel):
    """What a review-fields run did; also its ``review-summary`` artifact."""

    selected: int = 0
    answered: list[AnsweredField] = Field(default_factory=list)
    skipped: list[SkippedField] = Field(default_factory=list)
    timed_out: SkippedField | None = Field(
        None, description="The field nobody answered in time; the run stopped there."
    )

    @property
    def not_asked(self) -> int:
        asked = len(self.answered) + len(self.skipped) + (self.timed_out is not None)
        return self.selected - asked


@flow(name="review-fields")
def review_fields(parameters: ReviewParameters) -> ReviewSummary:
    """Ask about each selected field of the review queue in turn, storing every answer as it
    comes, so that an interrupted run loses nothing answered."""
    database_url = configured_database_url(OcrSettings())
    queue = selected_fields(database_url, parameters)
    summary = ReviewSummary(selected=len(queue))
    reviewer = parameters.reviewer or DEFAULT_REVIEWER
    try:
        for number, item in enumerate(queue, 1):
            reviewer = _review_field(number, item, parameters, database_url, summary, reviewer)
            if summary.timed_out is not None:
                break
    finally:
        create_markdown_artifact(
            key=SUMMARY_ARTIFACT, markdown=summary_markdown(summary), description="Review"
        )
    return summary


def selected_fields(database_url: str, parameters: ReviewParameters) -> list[QueuedField]:
    """The queue (document stored longest ago first), filtered as the parameters say."""
    frame = query.review_queue(
        database_url, document_type=parameters.document_type, name=parameters.field
    )
    if parameters.source_prefix:
        frame = frame[frame["source"].str.startswith(parameters.source_prefix)]
    return [
        QueuedField(**_without_nulls(row))
        for row in frame.head(parameters.limit).to_dict("records")
    ]


def _without_nulls(row: dict[str, Any]) -> dict[str, Any]:
    """A queue row with pandas' NaN/NaT (a NULL column) as None."""
    return {key: (None if pd.isna(value) else value) for key, value in row.items()}


def _review_field(
    number: int,
    item: QueuedField,
    parameters: ReviewParameters,
    database_url: str,
    summary: ReviewSummary,
    reviewer: str,
) -> str:
    """Ask about one field until it has an answer, is skipped, or times out; the outcome goes
    into ``summary``. Returns the reviewer name to pre-fill next: who answered last."""
    logger = get_run_logger()
    document = stored_document(database_url, item.source)
    etag = document.origin.etag if document and document.origin else None
    markdown = field_markdown(number, summary.selected, item, document, parameters.s3_block)
    create_markdown_artifact(
        key=f"review-{number}", markdown=markdown, description=f"{item.name} of {item.source}"
    )
    problem = ""
    for ask in range(1, MAX_ASKS + 1):
        try:
            answer = _ask(
                markdown, problem, item, reviewer, parameters.timeout_seconds, number, ask
            )
        except FlowPauseTimeout:
            logger.info(
                "no answer for %s of %s in time: it stays in the queue", item.name, item.source
            )
            summary.timed_out = _skipped(item, f"no answer within {parameters.timeout_seconds} s")
            _running_again()
            return reviewer
        problem = _answer_problem(answer)
        if not problem:
            reviewer = answer.reviewer.strip()
            _store(database_url, item, etag, answer, reviewer, summary)
            return reviewer
        logger.info("%s of %s: %s; asking again", item.name, item.source, problem)
    summary.skipped.append(_skipped(item, f"{problem} ({MAX_ASKS} times)"))
    return reviewer


def _ask(
    markdown: str,
    problem: str,
    item: QueuedField,
    reviewer: str,
    timeout: int,
    number: int,
    ask: int,
) -> FieldAnswer:
    """Pause the run with the form for one field; returns the submitted answer. The value is
    pre-filled with the extracted one, so a correction is an edit of it."""
    description = f"**{problem}: please answer again.**\n\n{markdown}" if problem else markdown
    form = FieldAnswer.with_initial_data(
        description=description, value=item.value or item.raw_text or "", reviewer=reviewer
    )
    return pause_flow_run(
        wait_for_input=form,
        timeout=timeout,
        poll_interval=POLL_SECONDS,
        key=f"review-{number}-{ask}",
    )


def _answer_problem(answer: FieldAnswer) -> str:
    """Why ``answer`` cannot be stored as it is ("" when it can)."""
    if answer.answer == "correct" and not answer.value.strip():
        return "a correction needs the right value"
    if not answer.reviewer.strip():
        return "say who answers"
    return ""


def _store(
    database_url: str,
    item: QueuedField,
    etag: str | None,
    answer: FieldAnswer,
    reviewer: str,
    summary: ReviewSummary,
) -> None:
    """Store the answer, unless the document changed while the person looked at it: the answer
    would then be for a version they never saw."""
    if _stored_etag(database_url, item.source) != etag:
        summary.skipped.append(_skipped(item, "another version of the document was stored"))
        return
    kind = _KINDS[answer.answer]
    value = answer.value.strip() if kind == "corrected" else None
    note = answer.note.strip() or None
    try:
        review = set_review(database_url, item.source, item.name, kind, reviewer, value, note)
    except ReviewError as error:  # deleted, or re-read without this field, while waiting
        summary.skipped.append(_skipped(item, str(error)))
        return
    summary.answered.append(
        AnsweredField(
            source=review.source,
            field=review.field,
            review=review.kind,
            value=review.value_text,
            reviewer=review.reviewer,
        )
    )


def _skipped(item: QueuedField, reason: str) -> SkippedField:
    return SkippedField(source=item.source, field=item.name, reason=reason)


def _running_again() -> None:
    """After a pause timed out, set the run back to Running so that it can publish its summary
    and finish Completed: the server refuses to resume an expired pause (and its pause
    expiration service marks the run Failed), which is not a failure of this run. A run
    cancelled meanwhile is left cancelled."""
    run_id = flow_run.get_id()
    assert run_id is not None, "called inside the review-fields run"
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(uuid.UUID(run_id)).state
        if state is not None and (state.is_paused() or state.is_failed()):
            client.set_flow_run_state(uuid.UUID(run_id), Running(), force=True)


def stored_document(database_url: str, source: str) -> DocumentResult | None:
    """The stored document (lines and fields), for the picture and the version shown."""
    found = DocumentStore(database_url, upgrade=False).load([source])
    return found[0] if found else None


def _stored_etag(database_url: str, source: str) -> str | None:
    with database_engine(database_url).connect() as connection:
        etag = connection.execute(
            select(DocumentRow.etag).where(DocumentRow.source_uri == source)
        ).scalar_one_or_none()
    return etag


# Markdown ----------------------------------------------------------------------------------


def field_markdown(
    number: int,
    total: int,
    item: QueuedField,
    document: DocumentResult | None,
    s3_block: str | None,
) -> str:
    """What the reviewer sees: the document, the field, what was read, why it is asked, and
    a picture of the lines the value came from (or why there is none)."""
    confidence = f"{item.confidence:.2f}" if item.confidence is not None else "-"
    rows = [
        ("Document", item.source),
        ("Document type", item.document_type),
        ("Field", item.name),
        ("Extracted value", item.value),
        ("Raw text", item.raw_text),
        ("Confidence", confidence),
        ("Reason", item.reason),
    ]
    # The document is the table's header row: an empty header would show as a blank row.
    lines = [f"| {name} | {_cell(value)} |" for name, value in rows]
    table = "\n".join([lines[0], "|---|---|", *lines[1:]])
    return (
        f"### Field {number} of {total}: {_cell(item.name)}\n\n{table}\n\n"
        f"{field_picture_markdown(item, document, s3_block)}\n\n"
        "Answer **accept** (the extracted value is right), **correct** (type the right value) "
        "or **absent** (the document has no such value).\n"
    )


def field_picture_markdown(
    item: QueuedField, document: DocumentResult | None, s3_block: str | None
) -> str:
    """The lines the value came from as an inline image; a sentence instead when no picture
    can be made (the document is gone, unreadable, or the field has no lines): the review
    goes on without it."""
    field = _field_of(document, item.name)
    if document is None or document.origin is None or field is None:
        return "*No picture: the document is no longer stored as it was queued.*"
    if not field.lines:
        return "*No picture: the value was not read from any line (nothing was found).*"
    try:
        return _picture(document, field, s3_block)
    except Exception as error:  # any failure to fetch or decode must not stop the review
        get_run_logger().warning("no picture for %s of %s: %s", item.name, item.source, error)
        return f"*No picture: the document could not be read again ({_cell(error)}).*"


def _field_of(document: DocumentResult | None, name: str) -> FieldResult | None:
    fields = document.fields if document else []
    return next((field for field in fields if field.name == name), None)


def _picture(document: DocumentResult, field: FieldResult, s3_block: str | None) -> str:
    data = document_bytes(document, s3_block)
    wanted = field.lines[0].page
    limits = DecodeLimits.of(OcrSettings().decoding)
    for page, page_bgr in upright_pages(document, data, limits):
        if page.number == wanted:
            image = field_picture(page_bgr, page, field, margin=PICTURE_MARGIN)
            return markdown_image(image, f"the lines {field.name} was read from")
    return f"*No picture: page {wanted} is not in the document any more.*"


def summary_markdown(summary: ReviewSummary) -> str:
    """The ``review-summary`` artifact: counts, then each field answered, skipped or left."""
    counts = [
        ("selected", summary.selected),
        ("answered", len(summary.answered)),
        ("skipped", len(summary.skipped)),
        ("not answered in time", int(summary.timed_out is not None)),
        ("not asked", summary.not_asked),
    ]
    text = "# Review summary\n\n| | |\n|---|---|\n"
    text += "".join(f"| {name} | {value} |\n" for name, value in counts)
    text += _section(
        "Answered",
        ("document", "field", "review", "value", "reviewer"),
        ((a.source, a.field, a.review, a.value, a.reviewer) for a in summary.answered),
    )
    left = [*summary.skipped, *([summary.timed_out] if summary.timed_out else [])]
    text += _section(
        "Skipped (still in the queue)",
        ("document", "field", "reason"),
        ((s.source, s.field, s.reason) for s in left),
    )
    return text


def _section(title: str, header: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> str:
    body = "".join("| " + " | ".join(_cell(v) for v in row) + " |\n" for row in rows)
    if not body:
        return ""
    head = "| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n"
    return f"\n## {title}\n\n{head}{body}"


def _cell(value: object) -> str:
    """``value`` shown literally in one markdown table cell (``-`` for nothing)."""
    if value is None or value == "":
        return "-"
    return markdown_escape(str(value))
