"""Parts of a total and money handed over are no total, whatever their label; a brand over the
shop's name is not the name's first half; no decision less likely right than wrong is ok
(issue 13, found on generated receipts of shops SROIE does not have)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from ocrflow.ocr_tasks.fields import extract_fields
from ocrflow.ocr_tasks.fields.candidates import FEATURES, field_candidates
from ocrflow.ocr_tasks.fields.layout import page_lines
from ocrflow.ocr_tasks.fields.localise import localised_specs
from ocrflow.ocr_tasks.fields.scorer import OK_FLOOR, choose_threshold
from ocrflow.ocr_tasks.fields.shares import printed_rates, rate_share
from ocrflow.schemas.doctypes import Receipt
from tests.test_fields import make_page

TOTAL = next(spec for spec in localised_specs(Receipt) if spec.name == "total")

# The tax inside the total is printed with words that read like a total's label.
TAX_INCLUDED = (
    ("GOLDEN KEY TRADING", 40, 10),
    ("NO 12, JALAN MAWAR,", 40, 40),
    ("81100 JOHOR BAHRU", 40, 70),
    ("TEA 2 x 5.00", 40, 200),
    ("10.00", 400, 200),
    ("COFFEE", 40, 230),
    ("254.50", 400, 230),
    ("Total Bill", 40, 300),
    ("264.50", 400, 300),
    ("Total Incl. GST @6%", 40, 330),
    ("14.97", 400, 330),
    ("CASH", 40, 360),
    ("300.00", 400, 360),
    ("CHANGE", 40, 390),
    ("35.50", 400, 390),
)


def test_printed_rates_are_read_and_large_percentages_are_not_rates() -> None:
    lines = page_lines([make_page(("GST @6%", 40, 10), ("MwSt 19 %", 40, 40), ("50% OFF", 40, 70))])
    assert printed_rates(lines) == frozenset({Decimal("0.06"), Decimal("0.19")})


def test_a_tax_within_on_or_the_net_of_another_amount_is_a_share() -> None:
    six = frozenset({Decimal("0.06")})
    gross = [Decimal("79.60")]
    assert rate_share(Decimal("4.51"), gross, six)  # the tax within 79.60
    assert rate_share(Decimal("75.09"), gross, six)  # the net of 79.60
    assert rate_share(Decimal("4.51"), [Decimal("75.09")], six)  # 6% on 75.09
    assert not rate_share(Decimal("79.60"), [*gross, Decimal("75.09")], six)
    # 3.00 is 6% of the 50.00 handed over: money is no base.
    assert not rate_share(Decimal("3.00"), [Decimal("50.00")], six)


def test_the_tax_inside_the_total_is_excluded_and_cash_is_excluded() -> None:
    found = field_candidates(TOTAL, page_lines([make_page(*TAX_INCLUDED)]), {})
    excluded = {
        c.value: bool(found.features[i, FEATURES.index("excluded")])
        for i, c in enumerate(found.candidates)
    }
    assert excluded[Decimal("14.97")]
    assert excluded[Decimal("300.00")] and excluded[Decimal("35.50")]
    assert not excluded[Decimal("264.50")]


def test_the_rules_and_the_model_take_the_total_not_the_tax_inside_it() -> None:
    page = make_page(*TAX_INCLUDED)
    for scorer in ("rules", "auto"):
        found = {f.name: f for f in extract_fields(Receipt, [page], scorer=scorer)}
        assert found["total"].value != Decimal("14.97"), scorer


def test_a_brand_over_the_name_is_not_the_names_first_half() -> None:
    page = make_page(
        ("KEDAI", 200, 10),
        ("KEDAI JAYA TAN PLT", 120, 60),
        ("NO 194, JALAN USJ 10/1,", 100, 90),
        ("47400 PETALING JAYA", 100, 120),
        ("TOTAL", 40, 300),
        ("12.50", 400, 300),
    )
    for scorer in ("rules", "auto"):
        found = {f.name: f for f in extract_fields(Receipt, [page], scorer=scorer)}
        assert found["company"].value in ("KEDAI", "KEDAI JAYA TAN PLT"), scorer


def test_no_threshold_under_the_floor() -> None:
    confidence = np.array([0.05, 0.2, 0.9, 0.95])
    right = np.array([True, True, True, True])
    assert choose_threshold(confidence, right, 0.03) == OK_FLOOR
