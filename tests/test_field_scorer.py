"""Fields as candidates then a decision: candidates on every page, a learned scorer fitted by
``ocrflow fields fit``, calibrated confidence, review reasons, and weak lines as evidence."""

from __future__ import annotations

import datetime
import json
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ocrflow.flows.cli import app
from ocrflow.ocr_tasks.extract import finish_document
from ocrflow.ocr_tasks.fields import extract_fields
from ocrflow.ocr_tasks.fields.candidates import FEATURES, field_candidates
from ocrflow.ocr_tasks.fields.decide import model_path
from ocrflow.ocr_tasks.fields.layout import page_lines
from ocrflow.ocr_tasks.fields.scorer import (
    DECISION_FEATURES,
    FieldModel,
    Linear,
    TypeModel,
    choose_threshold,
    load_model,
)
from ocrflow.schemas.doctypes import Receipt
from ocrflow.schemas.records import DocumentResult, FieldResult, PageResult
from tests.test_fields import RECEIPT, by_name, make_page

runner = CliRunner()


def numbered(page: PageResult, number: int) -> PageResult:
    return page.model_copy(update={"number": number})


def linear(names: tuple[str, ...], weights: dict[str, float], intercept: float) -> Linear:
    return Linear(features=list(names), mean=[0.0] * len(names), scale=[1.0] * len(names),
                  coef=[weights.get(n, 0.0) for n in names], intercept=intercept)  # fmt: skip


# A hand-set model: a value beside a total label scores high; a decision is sure when its
# margin over the runner-up is large.
LABELLED = TypeModel(
    document_type="receipt",
    fields={
        "total": FieldModel(
            scorer=linear(FEATURES, {"label_left": 8.0, "label_here": 8.0}, -4.0),
            calibration=linear(DECISION_FEATURES, {"margin": 12.0}, -4.0),
            threshold=0.9,
        )
    },
)


# --- candidates ---------------------------------------------------------------------------


def test_candidates_come_from_every_page_with_one_feature_row_each() -> None:
    first = make_page(("SHOP SDN BHD", 10, 10), ("ITEM", 20, 100), ("3.00", 400, 100))
    second = numbered(make_page(("TOTAL", 20, 100), ("24.99", 400, 100)), 2)
    spec = next(s for s in Receipt.field_specs() if s.name == "total")
    found = field_candidates(spec, page_lines([first, second]), {})
    assert sorted(c.value for c in found.candidates) == [Decimal("3.00"), Decimal("24.99")]
    assert found.features.shape == (2, len(FEATURES))
    at = [c.value for c in found.candidates].index(Decimal("24.99"))
    row = dict(zip(FEATURES, found.features[at], strict=True))
    assert row["label_left"] > 0.9 and row["page_index"] == 1 and row["last_page"] == 1


# --- the decision -------------------------------------------------------------------------


def test_two_totals_that_disagree_go_to_review_with_both_values() -> None:
    first = make_page(("SHOP SDN BHD", 10, 10), ("TOTAL", 20, 300), ("24.99", 400, 300))
    second = numbered(make_page(("TOTAL", 20, 300), ("29.99", 400, 300)), 2)
    total = by_name(extract_fields(Receipt, [first, second], model=LABELLED))["total"]
    assert total.status == "needs_review"
    assert total.value in (Decimal("24.99"), Decimal("29.99")) and total.raw_text
    assert total.reason is not None
    assert "24.99 on page 1" in total.reason and "29.99 on page 2" in total.reason
    assert 0 <= total.confidence < 0.9


def test_one_clear_total_is_ok_with_a_probability() -> None:
    page = make_page(("SHOP SDN BHD", 10, 10), ("ITEM", 20, 200), ("3.00", 400, 200),
                     ("ITEM", 20, 230), ("21.99", 400, 230),
                     ("TOTAL", 20, 300), ("24.99", 400, 300))  # fmt: skip
    total = by_name(extract_fields(Receipt, [page], model=LABELLED))["total"]
    assert (total.value, total.status) == (Decimal("24.99"), "ok")
    assert 0.9 <= total.confidence <= 1


def test_threshold_keeps_ok_errors_under_the_target_and_never_splits_ties() -> None:
    confidence = np.array([0.99, 0.97, 0.93, 0.93, 0.85, 0.81])
    right = np.array([True, True, True, False, True, False])
    assert choose_threshold(confidence, right, target=0.0) == 0.97  # 0.93 holds a wrong one
    assert choose_threshold(confidence, right, target=0.25) == 0.85
    assert choose_threshold(np.array([0.8]), np.array([False]), target=0.03) > 1


# --- every line is evidence ---------------------------------------------------------------


def weak_receipt(confidence: float) -> PageResult:
    lines = list(RECEIPT.lines)
    lines[14] = lines[14].model_copy(update={"confidence": confidence})  # "RM 1,009.00"
    return RECEIPT.model_copy(update={"lines": lines})


@pytest.mark.parametrize("scorer", ["auto", "rules"])
def test_a_field_from_a_weak_line_needs_review_with_its_raw_text(scorer: str) -> None:
    fields = by_name(
        extract_fields("receipt", [weak_receipt(0.3)], min_confidence=0.5, scorer=scorer)  # type: ignore[arg-type]
    )
    total = fields["total"]
    assert total.status == "needs_review"
    assert total.raw_text == "RM 1,009.00"
    assert "0.30" in (total.reason or "") and "RM 1,009.00" in (total.reason or "")


def test_stored_documents_keep_fields_read_from_dropped_lines() -> None:
    document = DocumentResult(source="r.png", pages=[weak_receipt(0.3)], model_set="m", runtime="r")
    stored = finish_document(document, document.origin or _origin(), Receipt, 0.5)
    # Every line is stored; the weak one is not kept.
    assert len(stored.pages[0].lines) == len(RECEIPT.lines)
    assert sum(line.kept for line in stored.pages[0].lines) == len(RECEIPT.lines) - 1
    total = by_name(stored.fields)["total"]
    assert total.raw_text == "RM 1,009.00" and total.status == "needs_review"
    stored_lines = stored.pages[0].lines
    # It points at the stored weak line, in the order it was read.
    assert [stored_lines[ref.order].kept for ref in total.lines] == [False]
    company = by_name(stored.fields)["company"]
    assert all(stored_lines[ref.order].text in company.raw_text for ref in company.lines)


def _origin():  # type: ignore[no-untyped-def]
    from ocrflow.schemas.records import SourceObject

    return SourceObject(uri="/tmp/r.png")


# --- fitting from examples ------------------------------------------------------------------

SLIP_MODULE = """
from decimal import Decimal
from typing import Annotated, ClassVar

from ocrflow.schemas.doctypes import DocumentType, FieldRule


class Slip(DocumentType):
    type_name: ClassVar[str] = "slip"
    total: Annotated[Decimal | None, FieldRule(labels=("total",), position="right")] = None
"""


def slip(number: int) -> tuple[PageResult, Decimal]:
    """A slip whose ``TOTAL`` line is a sub-total: what was paid is the last amount, at the
    bottom (the rules, by label, take the wrong one)."""
    subtotal = Decimal(f"{10 + number}.50")
    paid = subtotal + Decimal("1.25")
    bottom = 400.0 + 10 * number
    rows = [("SLIP SHOP", 10.0, 10.0), ("ITEM A", 20.0, 100.0), (f"{number + 2}.00", 400.0, 100.0),
            ("TOTAL", 20.0, 200.0), (str(subtotal), 400.0, 200.0), ("SERVICE", 20.0, 240.0),
            ("1.25", 400.0, 240.0), ("PAID", 20.0, bottom), (str(paid), 400.0, bottom)]  # fmt: skip
    return make_page(*rows), paid


def test_fields_fit_writes_a_model_beside_the_type_that_changes_extraction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "slips.py").write_text(SLIP_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    examples = tmp_path / "examples"
    examples.mkdir()
    for number in range(12):
        page, paid = slip(number)
        (examples / f"{number:03d}.pages.json").write_text(
            json.dumps([page.model_dump(mode="json")])
        )
        (examples / f"{number:03d}.json").write_text(json.dumps({"total": str(paid)}))
    page, paid = slip(20)
    before = by_name(extract_fields("slips:Slip", [page]))["total"]
    assert before.value != paid  # the rules take the amount beside TOTAL

    result = runner.invoke(
        app, ["fields", "fit", "--type", "slips:Slip", "--examples", str(examples)]
    )
    assert result.exit_code == 0, result.output
    assert (
        "accuracy" in result.output and "share ok" in result.output and "ok wrong" in result.output
    )
    written = tmp_path / "slip.fields.json"
    from slips import Slip  # type: ignore[import-not-found]

    assert model_path(Slip) == written and written.exists()
    model = load_model(written)
    members = json.loads(written.read_text())["fields"]["total"]["scorer"]["members"]
    # Each member reads the features that vary among the examples' candidates, in order.
    assert all(set(member["features"]) < set(FEATURES) for member in members)
    assert all(member["features"] == sorted(member["features"], key=FEATURES.index)
               for member in members)  # fmt: skip
    assert model.figures["total"]["accuracy"] >= 0.9

    after = by_name(extract_fields("slips:Slip", [page]))["total"]
    assert after.value == paid
    assert 0 <= after.confidence <= 1
    sys.modules.pop("slips", None)


# --- the built-in receipt model -------------------------------------------------------------


def test_the_receipt_type_ships_a_fitted_model() -> None:
    path = model_path(Receipt)
    assert path.exists() and path.suffix == ".json"
    model = load_model(path)
    assert set(model.fields) == {"company", "address", "date", "total"}
    assert "000-139" in model.fitted_on
    fields: list[FieldResult] = extract_fields("receipt", [RECEIPT])
    assert all(0 <= field.confidence <= 1 for field in fields)
    assert by_name(fields)["date"].value == datetime.date(2018, 12, 25)


def test_a_type_can_keep_the_rules_whatever_model_there_is() -> None:
    class RulesReceipt(Receipt):
        field_scorer = "rules"

    learned = by_name(extract_fields(Receipt, [RECEIPT]))
    by_rules = by_name(extract_fields(RulesReceipt, [RECEIPT]))
    assert by_rules["total"].confidence == pytest.approx(RECEIPT.lines[14].confidence)
    assert learned["total"].confidence != by_rules["total"].confidence
