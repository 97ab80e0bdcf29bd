"""Cross-field checks on small values."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from ocrflow.ocr_tasks.fields.checks import CheckResult, cross_field_checks, repeated_values_agree

D = Decimal


def only(values: dict[str, object], name: str) -> CheckResult:
    (result,) = [r for r in cross_field_checks(values) if r.name == name]
    return result


# --- net + tax = total --------------------------------------------------------------------


def test_net_plus_tax_is_the_total() -> None:
    result = only({"net": D("100.00"), "tax": D("19.00"), "total": D("119.00")}, "net_tax_total")
    assert result.passed is True and result.fields == ("net", "tax", "total")


def test_net_plus_tax_is_not_the_total() -> None:
    result = only({"net": D("100.00"), "tax": D("19.00"), "total": D("129.00")}, "net_tax_total")
    assert result.passed is False
    assert result.reason == "net 100.00 + tax 19.00 = 119.00, but total is 129.00"


def test_a_cent_of_rounding_passes() -> None:
    assert only({"net": D("10.00"), "tax": D("1.91"), "total": D("11.90")}, "net_tax_total").passed


def test_three_decimal_amounts() -> None:
    result = only({"net": D("10.000"), "tax": D("0.500"), "total": D("10.500")}, "net_tax_total")
    assert result.passed is True


def test_other_numbers_are_read_as_amounts() -> None:
    assert only({"net": 100, "tax": "19.00", "total": 119.0}, "net_tax_total").passed is True


def test_a_missing_amount_cannot_be_checked() -> None:
    result = only({"total": D("5.00"), "net": D("4.20")}, "net_tax_total")
    assert result.passed is None and result.reason == "cannot check: tax missing"


def test_no_amounts_no_check() -> None:
    assert cross_field_checks({}) == []


# --- line sums ----------------------------------------------------------------------------


def test_lines_add_up_to_the_net() -> None:
    values = {"lines": [D("60.00"), D("40.00")], "net": D("100.00"), "total": D("119.00")}
    result = only(values, "line_sum")
    assert result.passed is True and result.reason == "lines add up to the net 100.00"


def test_gross_lines_add_up_to_the_total() -> None:
    assert only({"lines": [D("9.90"), D("5.10")], "total": D("15.00")}, "line_sum").passed


def test_lines_that_do_not_add_up() -> None:
    result = only({"lines": [D("9.90"), D("5.10")], "total": D("16.00")}, "line_sum")
    assert result.passed is False
    assert result.reason == "2 lines add up to 15.00, but total is 16.00"


def test_lines_without_a_sum_to_compare() -> None:
    assert only({"lines": [D("1.00")]}, "line_sum").passed is None


# --- dates --------------------------------------------------------------------------------


def test_due_on_or_after_issue() -> None:
    issue, due = datetime.date(2024, 3, 1), datetime.date(2024, 3, 31)
    assert only({"issue_date": issue, "due_date": due}, "due_after_issue").passed is True
    assert only({"issue_date": issue, "due_date": issue}, "due_after_issue").passed is True


def test_due_before_issue() -> None:
    values = {"issue_date": datetime.date(2024, 3, 15), "due_date": datetime.date(2024, 3, 1)}
    result = only(values, "due_after_issue")
    assert result.passed is False
    assert result.reason == "due date 2024-03-01 is before issue date 2024-03-15"


def test_due_date_alone() -> None:
    assert only({"due_date": datetime.date(2024, 3, 1)}, "due_after_issue").passed is None


# --- IBAN and VAT ID ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iban", "passed"),
    [
        ("DE89 3704 0044 0532 0130 00", True),
        ("GB82 WEST 1234 5698 7654 32", True),
        ("NL91ABNA0417164300", True),
        ("FR14 2004 1010 0505 0001 3M02 606", True),
        ("DE89 3704 0044 0532 0130 01", False),  # one digit misread
        ("DE8937040044053201300", False),  # one digit lost
        ("XX89370400440532013000", False),  # no such country
    ],
)
def test_iban(iban: str, passed: bool) -> None:
    assert only({"iban": iban}, "iban").passed is passed


def test_iban_reason_names_the_fault() -> None:
    assert "checksum" in only({"iban": "DE89 3704 0044 0532 0130 01"}, "iban").reason


@pytest.mark.parametrize(
    ("vat_id", "passed"),
    [
        ("DE136695976", True),
        ("DE 136 695 976", True),
        ("ATU13585627", True),
        ("FR40303265045", True),
        ("IT00743110157", True),
        ("ESB58378431", True),
        ("NL004495445B01", True),
        ("PT501964843", True),
        ("BE0203201340", True),
        ("CHE-116.281.710 MWST", True),
        ("GB980780684", True),
        ("DE136695977", False),
        ("FR40303265046", False),
        ("XX123456", None),
    ],
)
def test_vat_id(vat_id: str, passed: bool | None) -> None:
    assert only({"vat_id": vat_id}, "vat_id").passed is passed


def test_vat_id_without_prefix_uses_the_country() -> None:
    assert only({"vat_id": "136695976", "country": "DE"}, "vat_id").passed is True
    assert only({"vat_id": "136695976"}, "vat_id").passed is None


# --- a value printed twice ----------------------------------------------------------------


def test_two_totals_disagree() -> None:
    result = repeated_values_agree("total", [(D("24.99"), 1), (D("29.99"), 2)])
    assert result == CheckResult(
        "total_repeated", ("total",), False, "two totals disagree: 24.99 on page 1, 29.99 on page 2"
    )


def test_totals_agree() -> None:
    result = repeated_values_agree("total", [(D("24.99"), 1), (D("24.990"), 2), (D("24.99"), 3)])
    assert (
        result.passed is True and result.reason == "three totals agree: 24.99 on pages 1, 2 and 3"
    )


def test_texts_and_dates_agree_loosely() -> None:
    ibans = [("DE89 3704 0044 0532 0130 00", 1), ("de89370400440532013000", 2)]
    assert repeated_values_agree("iban", ibans).passed is True
    day = datetime.date(2024, 3, 1)
    assert repeated_values_agree("due_date", [(day, 1), (day, 1)]).reason == (
        "two due dates agree: 2024-03-01 on page 1"
    )


def test_printed_once() -> None:
    result = repeated_values_agree("total", [(D("5.00"), 1)])
    assert result.passed is None and result.reason == "the total is printed once"
