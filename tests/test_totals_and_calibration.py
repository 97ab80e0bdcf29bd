"""Totals after a cash rounding, amounts whose decimal mark was read as a space, a receipt total
of nothing, and a calibration whose confidence reads as a probability (issue 13)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from ocrflow.ocr_tasks.fields.candidates import FEATURES, field_candidates, rounding_adjustments
from ocrflow.ocr_tasks.fields.decide import decide
from ocrflow.ocr_tasks.fields.layout import has_excluded_label, page_lines
from ocrflow.ocr_tasks.fields.locales import implied_locale
from ocrflow.ocr_tasks.fields.scorer import (
    DECISION_FEATURES,
    FieldModel,
    decision_confidence,
    fit_calibration,
    logit,
)
from ocrflow.ocr_tasks.fields.values import amounts_in, check_value
from ocrflow.schemas.doctypes import Receipt
from tests.test_field_scorer import linear
from tests.test_fields import make_page

TOTAL = next(spec for spec in Receipt.field_specs() if spec.name == "total")


def _rows(*rows: tuple[str, float, float]) -> dict[Decimal, dict[str, float]]:
    found = field_candidates(TOTAL, page_lines([make_page(*rows)]), {})
    return {
        c.value: dict(zip(FEATURES, found.features[i], strict=True))  # type: ignore[misc]
        for i, c in enumerate(found.candidates)
    }


ROUNDED_RECEIPT = (
    ("KEDAI ABC SDN BHD", 40, 10),
    ("TOTAL AMT.RM", 40, 300),
    ("60.31", 400, 300),
    ("ROUNDING ADJ........", 40, 330),
    ("-0.01", 400, 330),
    ("TOTAL", 40, 360),
    ("60.30", 400, 360),
    ("CASH", 40, 390),
    ("70.30", 400, 390),
)


def test_a_printed_rounding_marks_the_amount_to_pay_and_the_sum_before_it() -> None:
    rows = _rows(*ROUNDED_RECEIPT)
    assert rows[Decimal("60.30")]["rounding"] == 1.0
    assert rows[Decimal("60.31")]["rounding"] == -1.0
    assert rows[Decimal("70.30")]["rounding"] == 0.0


def test_rounding_labels_in_other_languages_and_no_rounding_without_a_label() -> None:
    german = page_lines([make_page(("Summe", 40, 10), ("Rundung 0,02", 40, 40))])
    assert rounding_adjustments(german, "de-DE") == frozenset({Decimal("0.02")})
    plain = page_lines([make_page(("TOTAL 60.31", 40, 10), ("-0.01", 40, 40))])
    assert rounding_adjustments(plain, "auto") == frozenset()
    zero = page_lines([make_page(("ROUNDING", 40, 10), ("0.00", 400, 10))])
    assert rounding_adjustments(zero, "auto") == frozenset()


def test_a_decimal_mark_read_as_a_space_is_one_amount() -> None:
    assert [f.value for f in amounts_in("190 00")] == [Decimal("190.00")]
    assert [f.value for f in amounts_in("170. 00")] == [Decimal("170.00")]
    # A quantity and a price on one line stay two numbers.
    assert [f.value for f in amounts_in("2 15.00")] == [Decimal("2.00"), Decimal("15.00")]


def test_a_receipt_total_of_nothing_is_implausible() -> None:
    assert check_value(Decimal("0.00"), TOTAL.rule) is not None
    assert check_value(Decimal("0.05"), TOTAL.rule) is None


def test_the_calibration_keeps_the_share_of_right_decisions() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, len(DECISION_FEATURES)))
    right = rng.random(400) < 1 / (1 + np.exp(-(2.0 + 1.5 * x[:, 1])))
    calibration = fit_calibration(x, right)
    confidence = calibration.predict(x)
    assert abs(confidence.mean() - right.mean()) < 0.02  # a probability, not a balanced score


def test_the_calibration_never_reads_a_better_ocr_line_as_a_worse_decision() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, len(DECISION_FEATURES)))
    ocr = DECISION_FEATURES.index("ocr")
    right = x[:, ocr] < 0.8  # in this sample, the surest OCR lines happen to be the wrong ones
    calibration = fit_calibration(x, right)
    assert calibration.coef[ocr] == 0.0
    assert calibration.features == list(DECISION_FEATURES)


def test_a_model_fitted_with_fewer_decision_features_still_decides() -> None:
    older = ("score", "margin", "ocr", "char_min", "checks_failed")
    model = FieldModel(
        scorer=linear(FEATURES, {"label_left": 8.0}, -4.0),
        calibration=linear(older, {"margin": 12.0}, -4.0),
        threshold=0.9,
    )
    found = field_candidates(TOTAL, page_lines([make_page(*ROUNDED_RECEIPT)]), {})
    decision = decide(found, model)
    assert decision.chosen is not None and 0.0 <= decision.confidence <= 1.0


def test_the_locale_a_document_points_to() -> None:
    def texts(*lines: str) -> tuple[str, ...]:
        return lines

    german = texts("Rechnung", "Rechnungsnummer 12", "Gesamtbetrag 9,00", "Zahlbar bis")
    implied = implied_locale(german)
    assert implied is not None and implied.day_first and "de" in implied.languages
    malaysian = implied_locale(texts("KEDAI ABC SDN BHD", "GST REG NO: 000123456789"))
    assert malaysian is not None and malaysian.name == "en-MY"
    assert implied_locale(texts("Invoice number 12", "Total due", "Payment terms")) is None


def test_an_excluded_label_that_lost_its_first_letter_still_excludes() -> None:
    words = ("total gst", "subtotal")
    assert has_excluded_label("otal GST", words)  # OCR dropped the T at the line's edge
    assert has_excluded_label("ubtotal", words)
    assert not has_excluded_label("Total", words)
    # Another edit may be the other sense: "Total Includes GST" prints the total.
    assert not has_excluded_label("Total Includes GST 6%", ("total included gst",))
    rows = _rows(
        ("ub Total", 40, 300), ("565.50", 400, 300), ("TOTAL", 40, 330), ("599.45", 400, 330)
    )
    assert rows[Decimal("565.50")]["excluded"] == 1.0
    assert rows[Decimal("599.45")]["excluded"] == 0.0


def test_a_short_form_of_amount_due_labels_the_total() -> None:
    rows = _rows(("Sub Total", 40, 300), ("129.30", 400, 300), ("Amt Due", 40, 330),
                 ("129.30", 400, 330), ("GST @6%", 40, 360), ("7.30", 400, 360))  # fmt: skip
    assert rows[Decimal("129.30")]["label_left"] == 1.0


def test_a_value_the_scorer_does_not_believe_is_never_ok() -> None:
    """A calibration that learned nothing from the score (a constant 0.97) does not lift a
    winner the scorer gives 0.0002 to ok; a believed winner keeps the calibrated figure."""
    constant = linear(DECISION_FEATURES, {}, 3.5)
    rows = np.zeros((2, len(DECISION_FEATURES)))
    rows[:, 0] = [logit(0.0002), logit(0.9)]
    confidence = decision_confidence(constant, rows)
    assert confidence[0] < 0.01  # the score, read within the log-odds clip
    assert confidence[1] == pytest.approx(1 / (1 + np.exp(-3.5)))
