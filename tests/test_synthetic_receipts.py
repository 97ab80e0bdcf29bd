"""The generated till receipts (tests/synthetic/receipts.py): seeded, self-consistent, and read
by the shipped ``receipt`` model, which was fitted on SROIE receipts only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ocrflow.ocr_tasks.fields import extract_fields
from ocrflow.ocr_tasks.pipeline import DocumentInput, OcrEngine
from ocrflow.schemas.doctypes import Receipt
from tests.synthetic.receipts import (
    KNOWN_TOTALS,
    UNKNOWN_TOTALS,
    make_receipt,
    make_receipts,
)


def test_same_seed_same_receipt() -> None:
    first, again = make_receipt(5), make_receipt(5)
    assert first.truth == again.truth
    assert first.choices == again.choices
    assert first.encode() == again.encode()


def test_a_choice_is_kept_and_an_unknown_one_refused() -> None:
    assert make_receipt(5, arrangement="below").choices["arrangement"] == "below"
    with pytest.raises(TypeError, match="colour"):
        make_receipt(5, colour="red")


def test_seeds_cover_the_choices() -> None:
    choices = [r.choices for r in make_receipts(60, seed=9)]
    assert {c["region"] for c in choices} == {"my", "eu"}
    assert {c["arrangement"] for c in choices} == {"row", "column", "below"}
    labels = {c["total_label"] for c in choices}
    assert labels & set(UNKNOWN_TOTALS["my"] + UNKNOWN_TOTALS["eu"])
    assert labels & set(KNOWN_TOTALS["my"] + KNOWN_TOTALS["eu"])


def test_a_rounded_total_is_a_multiple_of_five_cents() -> None:
    for receipt in make_receipts(20, seed=4, region="my", rounding=True):
        assert receipt.truth.total % Decimal("0.05") == 0


def test_the_key_has_the_receipt_fields() -> None:
    key = make_receipt(3).truth.key()
    assert set(key) == {"company", "address", "date", "total"}
    assert Decimal(key["total"]) > 0


@pytest.mark.slow
def test_the_shipped_model_reads_generated_receipts(engine: OcrEngine) -> None:
    """Receipts of shops SROIE does not have, in three total layouts: the total and the date
    are found (the total under a label the extractor knows)."""
    receipts = [
        make_receipt(31, region="my", total_label="GRAND TOTAL", arrangement="row", noise=0.0),
        make_receipt(32, region="my", total_label="TOTAL", arrangement="column", noise=0.0),
        make_receipt(33, region="eu", total_label="SUMME", arrangement="row", noise=0.0),
    ]
    inputs = [DocumentInput(f"{r.seed}.png", r.encode()[0]) for r in receipts]
    for receipt, result in zip(receipts, engine.read(inputs), strict=True):
        found = {f.name: f for f in extract_fields(Receipt, result.pages)}
        assert found["total"].value == receipt.truth.total, receipt.choices
        assert found["date"].value == receipt.truth.date, receipt.choices
