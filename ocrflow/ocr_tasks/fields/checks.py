"""Cross-field checks: what the fields of one document say about each other.

A passed check raises the confidence of its fields, a failed one lowers it (or sends the
document to review); ``passed=None`` means the check could not be made (a field is missing).
IBANs are checked with schwifty (it tells a wrong check digit from a wrong length or country,
and is faster per call than stdnum.iban), VAT IDs with python-stdnum (EU, Swiss and British).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ocrflow.ocr_tasks.fields.tender import agrees

TOLERANCE = Decimal("0.01")


@dataclass(frozen=True)
class CheckResult:
    """One check over some fields: passed (True/False), or None when it could not be made."""

    name: str
    fields: tuple[str, ...]
    passed: bool | None
    reason: str


Check = Callable[[Mapping[str, object]], "CheckResult | None"]


def cross_field_checks(values: Mapping[str, object]) -> list[CheckResult]:
    """The checks the values allow.

    Keys: ``net``, ``tax``, ``total`` (amounts), ``lines`` (the line amounts, where line items
    are read), ``asked`` (what cash paid less change may be), ``roundings`` (the
    cash roundings printed), ``issue_date``, ``due_date`` (dates), ``iban``, ``vat_id`` (text;
    ``country`` names the country of a VAT ID printed without its prefix). A check none of
    whose fields is present is left out.
    """
    results = (check(values) for check in _CHECKS)
    return [r for r in results if r is not None]


# --- amounts ------------------------------------------------------------------------------


def _amount(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _money(value: Decimal) -> str:
    return f"{value:.2f}" if value == value.quantize(TOLERANCE) else str(value)


def _missing(name: str, fields: tuple[str, ...], present: Mapping[str, object]) -> CheckResult:
    absent = [f for f in fields if present.get(f) is None]
    return CheckResult(name, fields, None, f"cannot check: {' and '.join(absent)} missing")


def _sum_check(values: Mapping[str, object]) -> CheckResult | None:
    fields = ("net", "tax", "total")
    net, tax, total = (_amount(values.get(f)) for f in fields)
    known = {f: v for f, v in zip(fields, (net, tax, total), strict=True) if v is not None}
    if not known:
        return None
    if net is None or tax is None or total is None:
        return _missing("net_tax_total", fields, known)
    expected = net + tax
    sums = f"net {_money(net)} + tax {_money(tax)} = {_money(expected)}"
    if abs(expected - total) <= TOLERANCE:
        return CheckResult("net_tax_total", fields, True, f"{sums}, the total")
    return CheckResult("net_tax_total", fields, False, f"{sums}, but total is {_money(total)}")


def _line_sum_check(values: Mapping[str, object]) -> CheckResult | None:
    """Line amounts add up to the net (tax added on top) or to the total (gross lines)."""
    lines = values.get("lines")
    if not isinstance(lines, Sequence) or isinstance(lines, str) or not lines:
        return None
    amounts = [_amount(v) for v in lines]
    targets = {f: _amount(values.get(f)) for f in ("net", "total")}
    fields = ("lines", *(f for f, v in targets.items() if v is not None))
    if any(a is None for a in amounts):
        return CheckResult("line_sum", fields, None, "cannot check: a line amount is unreadable")
    line_sum = sum((a for a in amounts if a is not None), Decimal(0))
    if len(fields) == 1:
        return _missing("line_sum", ("lines", "net", "total"), {"lines": lines})
    for name, target in targets.items():
        if target is not None and abs(line_sum - target) <= TOLERANCE:
            return CheckResult(
                "line_sum", fields, True, f"lines add up to the {name} {_money(target)}"
            )
    printed = ", ".join(f"{n} is {_money(v)}" for n, v in targets.items() if v is not None)
    reason = f"{len(amounts)} lines add up to {_money(line_sum)}, but {printed}"
    return CheckResult("line_sum", fields, False, reason)


def _tender_check(values: Mapping[str, object]) -> CheckResult | None:
    """Cash paid less change is the total to the cent, or to a printed cash rounding (a till
    asks for the rounded sum). ``asked``: every amount paid less change may be (more than one
    where a label's amount is unclear); left out unless the document prints both."""
    asked, total = values.get("asked"), _amount(values.get("total"))
    if not isinstance(asked, frozenset) or not asked or total is None:
        return None
    roundings = values.get("roundings")
    said = " or ".join(_money(a) for a in sorted(asked))
    if agrees(asked, total, roundings if isinstance(roundings, frozenset) else frozenset()):
        return CheckResult("paid_less_change", ("total",), True, f"paid less change is {said}")
    reason = f"paid less change is {said}, but the total is {_money(total)}"
    return CheckResult("paid_less_change", ("total",), False, reason)


# --- dates --------------------------------------------------------------------------------


def _date_order_check(values: Mapping[str, object]) -> CheckResult | None:
    fields = ("issue_date", "due_date")
    issue, due = (values.get(f) for f in fields)
    if issue is None and due is None:
        return None
    if not isinstance(issue, datetime.date) or not isinstance(due, datetime.date):
        return _missing("due_after_issue", fields, {k: v for k, v in values.items() if k in fields})
    if due >= issue:
        return CheckResult("due_after_issue", fields, True, f"due {due} on or after issue {issue}")
    reason = f"due date {due} is before issue date {issue}"
    return CheckResult("due_after_issue", fields, False, reason)


# --- identifiers --------------------------------------------------------------------------


def iban_error(iban: str) -> str | None:
    """Why the text is no IBAN (a wrong check digit, length or country), or None."""
    # schwifty reads its bank registry on import (~0.2 s): only documents with an IBAN pay it.
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        IBAN(iban)
    except SchwiftyException as error:
        return str(error)
    return None


def _iban_check(values: Mapping[str, object]) -> CheckResult | None:
    iban = values.get("iban")
    if not isinstance(iban, str) or not iban.strip():
        return None
    error = iban_error(iban)
    if error is not None:
        return CheckResult("iban", ("iban",), False, f"IBAN {iban.strip()}: {error}")
    return CheckResult("iban", ("iban",), True, "IBAN check digits and length are right")


def _vat_check(values: Mapping[str, object]) -> CheckResult | None:
    vat_id = values.get("vat_id")
    if not isinstance(vat_id, str) or not vat_id.strip():
        return None
    import stdnum
    from stdnum.exceptions import ValidationError

    number = vat_id.strip()
    country = _vat_country(number, values.get("country"))
    module = stdnum.get_cc_module(country, "vat") if country else None
    if country is None or module is None:
        reason = f"cannot check: no VAT ID rules for {country or 'a number without country'}"
        return CheckResult("vat_id", ("vat_id",), None, reason)
    candidate = number if number[:2].isalpha() or country == "ch" else f"{country}{number}"
    try:
        module.validate(candidate)
    except ValidationError as error:
        return CheckResult("vat_id", ("vat_id",), False, f"VAT ID {number}: {error}")
    return CheckResult(
        "vat_id", ("vat_id",), True, f"VAT ID {number} is valid for {country.upper()}"
    )


def _vat_country(number: str, hint: object) -> str | None:
    """The country of a VAT ID: its prefix (EL is Greece, CHE Switzerland), else the hint."""
    prefix = number[:2].upper()
    if prefix.isalpha():
        return {"EL": "gr", "CH": "ch", "XI": "gb"}.get(prefix, prefix.lower())
    return hint.lower() if isinstance(hint, str) and hint else None


_CHECKS: tuple[Check, ...] = (
    _sum_check,
    _line_sum_check,
    _tender_check,
    _date_order_check,
    _iban_check,
    _vat_check,
)


# --- one value printed several times ------------------------------------------------------

_COUNTS = {2: "two", 3: "three", 4: "four", 5: "five"}


def repeated_values_agree(field: str, occurrences: Sequence[tuple[object, int]]) -> CheckResult:
    """Whether every printing of a field's value (value, page) says the same.

    The reason reads ``two totals disagree: 24.99 on page 1, 29.99 on page 2``.
    """
    name = f"{field}_repeated"
    if len(occurrences) < 2:
        reason = f"the {field} is printed {'once' if occurrences else 'nowhere'}"
        return CheckResult(name, (field,), None, reason)
    pages: dict[object, list[int]] = {}
    shown: dict[object, str] = {}
    for value, page in occurrences:
        key = _comparable(value)
        shown.setdefault(key, _shown(value))
        if page not in pages.setdefault(key, []):
            pages[key].append(page)
    count = _COUNTS.get(len(occurrences), str(len(occurrences)))
    plural = field.replace("_", " ") + "s"
    where = ", ".join(f"{shown[k]} on {_pages(p)}" for k, p in pages.items())
    agree = len(pages) == 1
    verb = "agree" if agree else "disagree"
    return CheckResult(name, (field,), agree, f"{count} {plural} {verb}: {where}")


def _comparable(value: object) -> object:
    """Equal printings compare equal: 24.99 and 24.990, ' de89 3704 ' and 'DE893704'."""
    if isinstance(value, str):
        return "".join(value.split()).casefold()
    amount = _amount(value) if isinstance(value, (int, float, Decimal)) else None
    return amount.normalize() if amount is not None else value


def _shown(value: object) -> str:
    if isinstance(value, Decimal):
        return _money(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _pages(pages: list[int]) -> str:
    if len(pages) == 1:
        return f"page {pages[0]}"
    listed = ", ".join(str(p) for p in pages[:-1])
    return f"pages {listed} and {pages[-1]}"
