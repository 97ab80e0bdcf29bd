"""Storage on SQLite and PostgreSQL: idempotent saves, replacement, concurrency, queries."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ocrflow.ocr_tasks import query
from ocrflow.ocr_tasks.confidence import drop_unconfident_lines
from ocrflow.ocr_tasks.store import DocumentStore, database_engine
from ocrflow.schemas.records import (
    DocumentResult,
    FieldResult,
    LineRef,
    LineResult,
    PageResult,
    SourceObject,
)
from ocrflow.schemas.tables import DocumentRow, FieldRow, LineRow, PageRow


def line(order: int, text: str, confidence: float = 0.95) -> LineResult:
    box = [
        (0.0, 20.0 * order),
        (100.0, 20.0 * order),
        (100.0, 20.0 * order + 18),
        (0.0, 20.0 * order + 18),
    ]
    return LineResult(order=order, text=text, confidence=confidence, polygon=box)


def receipt(
    uri: str = "s3://bucket/r1.png", etag: str = "e1", total: str = "9.00"
) -> DocumentResult:
    page = PageResult(
        number=1, width=400, height=800, lines=[line(0, "SHOP SDN BHD"), line(1, f"TOTAL {total}")]
    )
    return DocumentResult(
        source=uri,
        model_set="ppocrv6-small",
        runtime="onnxruntime",
        pages=[page],
        origin=SourceObject(
            uri=uri, bucket="bucket", key=uri.rsplit("/", 1)[-1], etag=etag, size=1234
        ),
        document_type="receipt",
        fields=[
            FieldResult(
                name="total",
                raw_text=total,
                value=Decimal(total),
                confidence=0.95,
                lines=[LineRef(page=1, order=1)],
            ),
            FieldResult(
                name="date",
                raw_text="31/02/2018",
                value=None,
                confidence=0.9,
                status="needs_review",
                reason="not a date",
            ),
        ],
    )


def counts(url: str) -> tuple[int, int, int, int]:
    with database_engine(url).connect() as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (DocumentRow, PageRow, LineRow, FieldRow)
        )


def test_saving_twice_stores_one_copy(database_url: str) -> None:
    store = DocumentStore(database_url, upgrade=False)
    first = store.save(receipt())
    second = store.save(receipt())
    assert first == second
    assert counts(database_url) == (1, 1, 2, 2)


def test_a_changed_object_replaces_the_old_rows(database_url: str) -> None:
    store = DocumentStore(database_url, upgrade=False)
    store.save(receipt(etag="e1", total="9.00"))
    store.save(receipt(etag="e2", total="12.50"))
    assert counts(database_url) == (1, 1, 2, 2)
    totals = query.fields(database_url, name="total")
    assert totals["value"].tolist() == ["12.50"]
    assert etags_of(store, ["s3://bucket/r1.png", "s3://bucket/other.png"]) == {
        "s3://bucket/r1.png": "e2"
    }


def test_failed_documents_are_stored_with_their_reason(database_url: str) -> None:
    store = DocumentStore(database_url, upgrade=False)
    failed = DocumentResult(
        source="s3://bucket/bad.pdf",
        status="failed",
        error="the PDF is password-protected",
        error_kind="encrypted",
        model_set="ppocrv6-small",
        runtime="onnxruntime",
        origin=SourceObject(uri="s3://bucket/bad.pdf", etag="x"),
    )
    store.save(failed)
    store.save(receipt())
    frame = query.documents(database_url, status="failed")
    assert frame[["source", "status", "error_kind", "reason"]].values.tolist() == [
        ["s3://bucket/bad.pdf", "failed", "encrypted", "the PDF is password-protected"]
    ]
    # a failed document is not counted as stored, so the next run reads it again
    assert store.stored_versions(["s3://bucket/bad.pdf"]) == {}


def test_a_crash_mid_write_leaves_the_old_rows(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DocumentStore(database_url, upgrade=False)
    store.save(receipt(etag="e1", total="9.00"))

    import ocrflow.ocr_tasks.store as store_module

    def crash(*_args: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(store_module, "_insert_children", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        store.save(receipt(etag="e2", total="12.50"))
    assert counts(database_url) == (1, 1, 2, 2)
    assert query.fields(database_url, name="total")["value"].tolist() == ["9.00"]
    assert etags_of(store, ["s3://bucket/r1.png"]) == {"s3://bucket/r1.png": "e1"}


def test_two_writers_of_one_document_end_with_one_copy(database_url: str) -> None:
    stores = [DocumentStore(database_url, upgrade=False) for _ in range(4)]
    errors: list[BaseException] = []

    def write(store: DocumentStore, n: int) -> None:
        try:
            for _ in range(3):
                store.save(receipt(etag=f"e{n}"))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(s, n)) for n, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert counts(database_url) == (1, 1, 2, 2)


def test_query_filters(database_url: str) -> None:
    store = DocumentStore(database_url, upgrade=False)
    store.save(receipt("s3://bucket/a.png", total="9.00"))
    store.save(receipt("s3://bucket/b.png", total="120.00"))
    big = query.fields(
        database_url, document_type="receipt", name="total", min_value=Decimal("100")
    )
    assert big["source"].tolist() == ["s3://bucket/b.png"]
    assert set(big.columns) >= {"source", "name", "raw_text", "value", "confidence", "status"}
    review = query.fields(database_url, status="needs_review")
    assert review["reason"].tolist() == ["not a date", "not a date"]
    assert query.fields(database_url, date_from=datetime.date(2000, 1, 1)).empty
    assert query.lines(database_url, contains="total 120")["text"].tolist() == ["TOTAL 120.00"]
    assert len(query.lines(database_url, min_confidence=0.9)) == 4


@pytest.mark.parametrize(
    "hostile",
    ["'; DROP TABLE lines; --", "%", "_", "\\", "' OR '1'='1", 'x" OR 1=1 --', "/**/"],
)
def test_filters_are_bound_parameters(database_url: str, hostile: str) -> None:
    store = DocumentStore(database_url, upgrade=False)
    store.save(receipt())
    assert query.lines(database_url, contains=hostile).empty
    assert query.fields(database_url, document_type=hostile, name=hostile, status=hostile).empty
    assert query.documents(database_url, status=hostile, document_type=hostile).empty
    assert counts(database_url) == (1, 1, 2, 2)  # nothing dropped


def test_confidence_filter_drops_and_counts() -> None:
    page = PageResult(
        number=1,
        width=10,
        height=10,
        lines=[line(0, "sure", 0.99), line(1, "unsure", 0.3), line(2, "fine", 0.7)],
    )
    document = DocumentResult(source="x", model_set="m", runtime="r", pages=[page])
    filtered = drop_unconfident_lines(document, 0.5)
    [kept_page] = filtered.pages
    assert [(x.order, x.text) for x in kept_page.lines] == [(0, "sure"), (1, "fine")]
    assert kept_page.lines_dropped == 1
    assert filtered.pages[0].lines[1].confidence == 0.7  # stored raw


def test_threshold_precedence_run_then_type_then_setting() -> None:
    from typing import ClassVar

    from ocrflow.ocr_tasks.extract import threshold_for
    from ocrflow.schemas.doctypes import DocumentType, get_document_type

    class Strict(DocumentType):
        type_name: ClassVar[str] = "strict"
        min_confidence: ClassVar[float | None] = 0.9

    receipt_type = get_document_type("receipt")
    assert threshold_for(Strict, 0.2, 0.5) == 0.2
    assert threshold_for(Strict, None, 0.5) == 0.9
    assert threshold_for(receipt_type, None, 0.5) == 0.5
    assert threshold_for(None, None, 0.4) == 0.4


def etags_of(store: DocumentStore, uris: list[str]) -> dict[str, str | None]:
    return {uri: version.etag for uri, version in store.stored_versions(uris).items()}
