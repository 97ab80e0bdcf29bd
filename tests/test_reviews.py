"""Reviews on SQLite and PostgreSQL: answers outlast re-stores, a new version sets them aside,
queries show them, and ``ocrflow review`` lists the queue and records answers."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pandas as pd
import pytest
from typer.testing import CliRunner

from ocrflow import query
from ocrflow.flows.cli import app
from ocrflow.ocr_tasks.reviews import ReviewError, set_review
from ocrflow.ocr_tasks.store import DocumentStore
from ocrflow.schemas.records import DocumentResult
from tests.test_store import receipt

runner = CliRunner()
URI = "s3://bucket/r1.png"


def as_invoice(document: DocumentResult) -> DocumentResult:
    return document.model_copy(update={"document_type": "invoice"})


def test_a_correction_is_shown_typed_with_status_reviewed(database_url: str) -> None:
    DocumentStore(database_url, upgrade=False).save(receipt())
    review = set_review(database_url, URI, "date", "corrected", "ana", "2018-02-28", "typo")
    assert review.value == datetime.date(2018, 2, 28)
    assert review.reviewed_at.tzinfo is not None
    [date] = query.fields(database_url, name="date").to_dict("records")
    assert (date["value"], date["status"], date["review"]) == (
        "2018-02-28",
        "reviewed",
        "corrected",
    )
    assert date["value_date"] == datetime.date(2018, 2, 28)
    assert (date["reviewer"], date["review_note"], date["raw_text"]) == (
        "ana",
        "typo",
        "31/02/2018",
    )
    assert query.fields(database_url, status="needs_review").empty
    assert query.fields(database_url, status="reviewed")["name"].tolist() == ["date"]


def test_accept_freezes_the_extracted_value_and_absent_clears_it(database_url: str) -> None:
    store = DocumentStore(database_url, upgrade=False)
    store.save(receipt(total="9.00"))
    set_review(database_url, URI, "total", "accepted", "ana")
    set_review(database_url, URI, "date", "absent", "ben")
    store.save(receipt(total="7.00"))  # a re-extraction of the same version reads otherwise
    shown = query.fields(database_url).set_index("name")
    assert shown.loc["total", ["value", "extracted_value", "review"]].tolist() == [
        "9.00",
        "7.00",
        "accepted",
    ]
    assert Decimal(shown.loc["total", "value_number"]) == Decimal("9.00")
    assert pd.isna(shown.loc["date", "value"]) and shown.loc["date", "review"] == "absent"
    assert len(query.fields(database_url, min_value=Decimal("8"))) == 1


def test_a_review_survives_a_forced_re_store_and_a_type_change(database_url: str) -> None:
    store = DocumentStore(database_url, upgrade=False)
    store.save(receipt())
    set_review(database_url, URI, "total", "corrected", "ana", "19.00")
    store.save(receipt())  # the same ETag stored again (--force)
    assert query.fields(database_url, name="total")["value"].tolist() == ["19.00"]
    store.save(as_invoice(receipt()))
    [total] = query.fields(database_url, name="total").to_dict("records")
    assert (total["document_type"], total["value"], total["status"]) == (
        "invoice",
        "19.00",
        "reviewed",
    )


def test_a_new_version_sets_the_review_aside_and_keeps_it(database_url: str) -> None:
    store = DocumentStore(database_url, upgrade=False)
    store.save(receipt(etag="e1"))
    set_review(database_url, URI, "total", "corrected", "ana", "19.00")
    store.save(receipt(etag="e2", total="12.50"))
    [total] = query.fields(database_url, name="total").to_dict("records")
    assert (total["value"], total["status"], total["review"]) == ("12.50", "ok", None)
    [kept] = query.reviews(database_url).to_dict("records")
    assert (kept["etag"], kept["value"], bool(kept["applied"])) == ("e1", "19.00", False)
    store.save(receipt(etag="e1"))  # the old version back: the answer was for it
    assert query.fields(database_url, name="total")["status"].tolist() == ["reviewed"]


def test_answering_again_replaces_the_answer(database_url: str) -> None:
    DocumentStore(database_url, upgrade=False).save(receipt())
    set_review(database_url, URI, "total", "corrected", "ana", "19.00")
    set_review(database_url, URI, "total", "corrected", "ben", "RM 1.234,50")
    [review] = query.reviews(database_url).to_dict("records")
    assert (review["reviewer"], Decimal(review["value_number"])) == ("ben", Decimal("1234.50"))


def test_unknown_documents_and_fields_are_refused(database_url: str) -> None:
    DocumentStore(database_url, upgrade=False).save(receipt())
    with pytest.raises(ReviewError, match="no stored document"):
        set_review(database_url, "s3://bucket/nope.png", "total", "absent", "ana")
    with pytest.raises(ReviewError, match=r"no stored field 'tip' \(its fields: date, total\)"):
        set_review(database_url, URI, "tip", "absent", "ana")


def review_cli(database_url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["review", *args, "--db", database_url])
    return result.exit_code, result.stdout, result.stderr


def test_review_list_is_the_queue_oldest_first(database_url: str) -> None:
    store = DocumentStore(database_url, upgrade=False)
    store.save(receipt("s3://bucket/b.png"))  # stored first: waited longest
    store.save(receipt("s3://bucket/a.png"))
    code, out, _ = review_cli(database_url, "list", "--format", "json")
    assert code == 0
    queue = json.loads(out)
    assert [(r["source"], r["name"]) for r in queue] == [
        ("s3://bucket/b.png", "date"),
        ("s3://bucket/a.png", "date"),
    ]
    assert queue[0]["reason"] == "not a date"
    code, out, err = review_cli(database_url, "set", "s3://bucket/b.png", "date", "2018-02-28")
    assert code == 0, err
    assert "corrected" in out
    code, out, _ = review_cli(database_url, "list", "--format", "csv", "--field", "date")
    assert out.splitlines()[1:] and all("a.png" in row for row in out.splitlines()[1:])
    _, out, _ = review_cli(database_url, "list", "--type", "invoice")
    assert out.strip() == "(no rows)"


def test_review_set_accept_absent_and_refusals(database_url: str) -> None:
    DocumentStore(database_url, upgrade=False).save(receipt())
    code, _, err = review_cli(database_url, "set", URI, "total", "--accept", "--reviewer", "ana")
    assert code == 0, err
    code, _, err = review_cli(database_url, "set", URI, "date", "--absent", "--note", "torn")
    assert code == 0, err
    assert query.reviews(database_url)["review"].tolist() == ["absent", "accepted"]
    code, _, err = review_cli(database_url, "set", "s3://bucket/nope.png", "total", "1")
    assert code == 1 and "no stored document 's3://bucket/nope.png'" in err
    code, _, err = review_cli(database_url, "set", URI, "tip", "1")
    assert code == 1 and "no stored field 'tip'" in err
    code, _, err = review_cli(database_url, "set", URI, "total", "1", "--accept")
    assert code == 2 and "exactly one of VALUE, --accept or --absent" in err
