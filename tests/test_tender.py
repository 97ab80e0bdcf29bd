"""Cash paid less change is the total: read from a till roll's tender lines, a feature of each
total candidate and a cross-field check (issue 13)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from ocrflow.ocr_tasks.fields import extract_fields
from ocrflow.ocr_tasks.fields.candidates import FEATURES
from ocrflow.ocr_tasks.fields.checks import cross_field_checks
from ocrflow.ocr_tasks.fields.layout import page_lines
from ocrflow.ocr_tasks.fields.scorer import Example, fit_scorer
from ocrflow.ocr_tasks.fields.tender import read_tender
from ocrflow.schemas.doctypes import Receipt
from tests.test_fields import by_name, make_page
from tests.test_totals_and_calibration import ITEMISED_RECEIPT, _rows

D = Decimal


def _asked(*rows: tuple[str, float, float], locale: str = "auto") -> frozenset[Decimal] | None:
    tender = read_tender(page_lines([make_page(*rows)]), locale)
    return None if tender is None else tender.asked()


@pytest.mark.parametrize(
    ("rows", "locale"),
    [
        ((("CASH 50.00", 40, 300), ("CHANGE 16.10", 40, 330)), "auto"),  # one line each
        ((("CASH", 40, 300), ("RM 50.00", 400, 300), ("CHANGE", 40, 330), ("RM 16.10", 400, 330)),
         "auto"),  # label left, amount right
        ((("TUNAI", 40, 300), ("50.00", 40, 325), ("BAKI", 40, 350), ("16.10", 40, 375)),
         "auto"),  # the amount under its label, Malay
        ((("Gegeben", 40, 300), ("50,00", 400, 300), ("Rückgeld", 40, 330), ("16,10", 400, 330)),
         "de-DE"),
    ],
)  # fmt: skip
def test_paid_less_change_in_layouts_and_languages(
    rows: tuple[tuple[str, float, float], ...], locale: str
) -> None:
    assert _asked(("TOTAL", 40, 270), ("33.90", 400, 270), *rows, locale=locale) == {D("33.90")}


def test_no_tender_without_both_lines() -> None:
    assert _asked(("TOTAL 33.90", 40, 270), ("CASH 50.00", 40, 300)) is None  # no change
    assert _asked(("TOTAL 33.90", 40, 270), ("CHANGE 16.10", 40, 300)) is None  # no paid
    assert _asked(("Cashier: ANN", 40, 100), ("CHANGE 16.10", 40, 300)) is None  # not cash


def test_the_check_passes_to_the_cent_or_a_printed_rounding() -> None:
    def check(total: str, asked: set[str], roundings: set[str] = set()) -> bool | None:  # noqa: B006
        values = {"total": D(total), "asked": frozenset(map(D, asked)),
                  "roundings": frozenset(map(D, roundings))}  # fmt: skip
        (result,) = [r for r in cross_field_checks(values) if r.name == "paid_less_change"]
        return result.passed

    assert check("33.90", {"33.90"}) is True
    assert check("112.46", {"112.45"}) is False  # a cent is a misread, not a rounding
    assert check("27.53", {"27.55"}, {"0.02"}) is True  # the till asked for the rounded sum
    assert check("17.80", {"33.90", "17.80"}) is True  # either reading of a tilted row
    assert not [r for r in cross_field_checks({"total": D("1.00")}) if r.name == "paid_less_change"]


MISREAD_TOTAL = (
    ("KEDAI ABC SDN BHD", 40, 10),
    ("Sub Total (RM) :", 40, 200),
    ("106.10", 400, 200),
    ("Total GST (RM) :", 40, 230),
    ("6.37", 400, 230),
    ("Rounding (RM) :", 40, 260),
    ("-0.02", 400, 260),
    ("Total (RM) :", 40, 290),
    ("112.46", 400, 290),  # printed 112.45, the recogniser read a 6
    ("CASH :", 40, 320),
    ("112.45", 400, 320),
    ("Change (RM) :", 40, 350),
    ("0.00", 400, 350),
)


def test_a_total_that_paid_less_change_contradicts_goes_to_review() -> None:
    total = by_name(extract_fields(Receipt, [make_page(*MISREAD_TOTAL)], scorer="rules"))["total"]
    assert (total.value, total.status) == (D("112.46"), "needs_review")
    assert total.reason == "paid less change is 112.45, but the total is 112.46"
    learned = by_name(extract_fields(Receipt, [make_page(*MISREAD_TOTAL)]))["total"]
    assert learned.status == "needs_review" or learned.value == D("112.45")


def test_each_total_candidate_says_whether_paid_less_change_gives_it() -> None:
    rows = _rows(*ITEMISED_RECEIPT)  # CASH 50.00, CHANGE 15.28
    assert rows[D("34.72")]["tender"] == 1.0
    assert rows[D("50.00")]["tender"] == -1.0
    assert _rows(("TOTAL", 40, 300), ("34.72", 400, 300))[D("34.72")]["tender"] == 0.0


def test_a_scorer_reads_only_the_features_that_vary_in_its_examples() -> None:
    rng = np.random.default_rng(0)
    examples = []
    for _ in range(30):
        features = rng.normal(size=(4, len(FEATURES)))
        features[:, FEATURES.index("tender")] = 0.0  # a name's candidates: never a total
        right = np.array([True, False, False, False])
        features[0, 0] += 3.0
        ones, zeros = np.ones(len(right)), np.zeros(len(right))
        examples.append(Example(features, right, ones, ones, zeros, zeros, np.arange(len(right))))
    scorer = fit_scorer(examples)
    assert "tender" not in scorer.features and FEATURES[0] in scorer.features
    scores = scorer.predict(examples[0].features, FEATURES)
    assert int(np.argmax(scores)) == 0
