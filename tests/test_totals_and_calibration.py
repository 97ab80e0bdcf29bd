"""Totals after a cash rounding, amounts whose decimal mark was read as a space, a receipt total
of nothing, and a calibration whose confidence reads as a probability (issue 13)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from ocrflow.ocr_tasks.fields.candidates import FEATURES, field_candidates
from ocrflow.ocr_tasks.fields.decide import decide, to_result
from ocrflow.ocr_tasks.fields.layout import has_excluded_label, page_lines
from ocrflow.ocr_tasks.fields.locales import implied_locale
from ocrflow.ocr_tasks.fields.rounding import rounding_adjustments
from ocrflow.ocr_tasks.fields.rules import extract_declared
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


def _rule_total(*rows: tuple[str, float, float]) -> object:
    (found,) = extract_declared([TOTAL], page_lines([make_page(*rows)]))
    return found.value


def test_the_hand_rules_take_the_amount_left_after_a_printed_rounding() -> None:
    assert _rule_total(*ROUNDED_RECEIPT) == Decimal("60.30")
    # The rounded amount printed above a tax summary that repeats the exact sum.
    summary = (
        ("TOTAL ROUNDED", 40, 300),
        ("33.90", 400, 300),
        ("ROUNDING ADJUSTMENT", 40, 330),
        ("-0.02", 400, 330),
        ("GST SUMMARY", 40, 360),
        ("TOTAL", 40, 390),
        ("33.92", 400, 390),
    )
    assert _rule_total(*summary) == Decimal("33.90")
    unrounded = (("TOTAL", 40, 300), ("60.31", 400, 300), ("CASH", 40, 330), ("70.00", 400, 330))
    assert _rule_total(*unrounded) == Decimal("60.31")


ITEMISED_RECEIPT = (
    ("KEDAI ABC SDN BHD", 40, 10),
    ("TEH TARIK", 40, 100),
    ("5 x 3.10", 40, 125),
    ("15.50", 400, 125),
    ("ROTI CANAI 1 X 4.20 4.20", 40, 150),
    ("1 X", 40, 175),
    ("3.02", 400, 200),
    ("3.02", 400, 225),
    ("MEE GORENG 12.00", 40, 250),
    ("34.72", 400, 300),
    ("CASH", 40, 330),
    ("50.00", 400, 330),
    ("CHANGE", 40, 360),
    ("15.28", 400, 360),
)


def test_an_amount_the_items_above_it_add_up_to_is_marked() -> None:
    rows = _rows(*ITEMISED_RECEIPT)
    # 15.50 + 4.20 + 3.02 + 12.00: the unit prices and the repeated 3.02 are no items.
    assert rows[Decimal("34.72")]["items_sum"] == 1.0
    assert rows[Decimal("50.00")]["items_sum"] == 0.0
    assert rows[Decimal("15.28")]["items_sum"] == 0.0
    assert rows[Decimal("15.50")]["items_sum"] == 0.0  # one item is no sum


def test_the_items_add_up_to_a_total_give_or_take_a_printed_rounding() -> None:
    rows = _rows(
        ("A4 PAPER 10.41", 40, 100),
        ("TAPE 2.50", 40, 125),
        ("TOTAL 12.90", 40, 200),
        ("ROUNDING ADJ -0.01", 40, 230),
        ("CASH 20.00", 40, 260),
    )
    assert rows[Decimal("12.90")]["items_sum"] == 1.0
    assert rows[Decimal("20.00")]["items_sum"] == 0.0


def _learned_total(*rows: tuple[str, float, float]) -> tuple[object, str, str | None]:
    sure = FieldModel(
        scorer=linear(FEATURES, {"label_left": 8.0}, -4.0),
        calibration=linear(DECISION_FEATURES, {}, 6.0),  # 0.998 whatever the decision
        threshold=0.8,
    )
    found = field_candidates(TOTAL, page_lines([make_page(*rows)]), {})
    result = to_result(decide(found, sure))
    assert result is not None
    return result.value, result.status, result.reason


def test_a_total_nothing_adds_up_to_goes_to_review_however_sure_the_model() -> None:
    items = (("PEN BLUE", 40, 100), ("17.94", 400, 100), ("NASI LEMAK", 40, 125),
             ("24.74", 400, 125))  # fmt: skip
    # The OCR read "(Inclusive of GST) 113.98" as "L3.)98": the items give no 98.00.
    value, status, reason = _learned_total(*items, ("TOTAL", 40, 200), ("98.00", 400, 200))
    assert (value, status) == (Decimal("98.00"), "needs_review")
    assert reason is not None and "nothing on the document adds up to total 98.00" in reason
    value, status, reason = _learned_total(*items, ("TOTAL", 40, 200), ("42.68", 400, 200))
    assert (value, status, reason) == (Decimal("42.68"), "ok", None)
