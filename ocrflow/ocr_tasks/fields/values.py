"""Typed values from recognised text: amounts, dates, integers, phone numbers.

Each ``find_*`` looks for the value inside a longer text and returns it with the span it was
read from, or None; ``check_*`` says why a parsed value is not plausible (or None).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ocrflow.schemas.doctypes import FieldRule, ValueKind
from ocrflow.schemas.records import FieldValue


@dataclass(frozen=True)
class Found:
    """A value found in a text, and the part of the text it was read from."""

    value: FieldValue
    raw: str


# --- amounts ----------------------------------------------------------------------------

_CURRENCY = r"(?:RM|MYR|USD|EUR|GBP|SGD|S\$|US\$|\$|€|£|¥)"
_AMOUNT = re.compile(
    rf"(?P<neg>[-(])?\s*{_CURRENCY}?\s*(?P<neg2>-)?\s*"
    r"(?P<num>\d{1,3}(?:[,.' ]\d{3})+(?:[.,]\d{1,2})?|\d+\.\s\d\d|\d+(?:[.,]\d{1,2})?)(?!\d)"
    r"(?:\s*(?P<close>\)))?",
    re.IGNORECASE,
)


def find_amount(text: str) -> Found | None:
    """The last amount in the text (``RM 1,234.50``, ``9.00``, ``1.234,50``, ``(5.00)``).

    Amounts with decimals win over bare integers (a quantity beside the total).
    """
    matches = [m for m in _AMOUNT.finditer(_digits_in_context(text)) if m.group("num")]
    if not matches:
        return None
    decimal = [m for m in matches if re.search(r"[.,]\d{1,2}$", m.group("num"))]
    match = (decimal or matches)[-1]
    value = _amount_value(match.group("num"))
    if value is None:
        return None
    negative = match.group("neg2") or (match.group("neg") == "-")
    negative = negative or (match.group("neg") == "(" and match.group("close"))
    return Found(-value if negative else value, text[match.start() : match.end()].strip())


def parse_amount(text: str) -> Decimal | None:
    found = find_amount(text)
    return found.value if found is not None and isinstance(found.value, Decimal) else None


def _amount_value(number: str) -> Decimal | None:
    number = number.replace("'", "").replace(" ", "")
    last_sep = max(number.rfind(","), number.rfind("."))
    if last_sep >= 0 and len(number) - last_sep - 1 in (1, 2):
        whole, fraction = number[:last_sep], number[last_sep + 1 :]
    else:
        whole, fraction = number, ""
    whole = whole.replace(",", "").replace(".", "")
    try:
        return Decimal(f"{whole or '0'}.{fraction or '0'}").quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _digits_in_context(text: str) -> str:
    """Letters OCR reads for digits (``9.0O``, ``l2.50``), turned back where digits surround."""
    return re.sub(r"(?<=[\d.,])[Oo]|[Oo](?=[\d.,]\d)", "0", text)


# --- dates ------------------------------------------------------------------------------

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?"
_SEP = r"\s*(?P<s>[/\-.])\s*"
_SEP2 = r"\s*(?P=s)\s*"
# A year of four or two digits, also when the time is glued on (``2018/02/2213:34``).
_YEAR = r"(?P<y>(?:19|20)\d\d(?=\d\d?:|(?!\d))|\d\d(?=\d\d?:|(?!\d)))"
_NUMERIC_YEAR_FIRST = re.compile(
    rf"(?<![\w.])(?P<y>(?:19|20)\d\d){_SEP}(?P<a>\d{{1,2}}){_SEP2}"
    r"(?P<b>\d{1,2}(?=\d\d?:|(?!\d)))"
    r"|(?<!\d)(?P<y2>20\d\d)(?P<a2>[01]\d)(?P<b2>[0-3]\d)(?!\d)"
)
_NUMERIC = re.compile(rf"(?<![\w.])(?P<a>\d{{1,2}}){_SEP}(?P<b>\d{{1,2}}){_SEP2}" + _YEAR)
_DAY_MONTH = re.compile(
    rf"(?<![\da-z])(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s\-/.,]*{_MONTH}[\s\-/.,']*" + _YEAR,
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    rf"(?<![a-z]){_MONTH}[\s\-/.]*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s,.]+" + _YEAR,
    re.IGNORECASE,
)


def find_date(text: str, day_first: bool = True) -> Found | None:
    """The first calendar date in the text, in any of the usual printed formats.

    Numeric dates are read day first unless ``day_first`` is False; a first number above 12
    makes it day first, a second above 12 makes it month first, whatever the default.
    """
    cleaned = _digits_in_context(text)
    best: tuple[int, Found] | None = None
    for pattern in (_NUMERIC_YEAR_FIRST, _NUMERIC, _DAY_MONTH, _MONTH_DAY):
        for match in pattern.finditer(cleaned):
            value = _date_value(match, pattern is _NUMERIC_YEAR_FIRST, day_first)
            if value is not None:
                if best is None or match.start() < best[0]:
                    best = (match.start(), Found(value, text[match.start() : match.end()].strip()))
                break
    return best[1] if best else None


def parse_date(text: str, day_first: bool = True) -> datetime.date | None:
    found = find_date(text, day_first)
    return found.value if found is not None and isinstance(found.value, datetime.date) else None


def _date_value(match: re.Match[str], year_first: bool, day_first: bool) -> datetime.date | None:
    groups = {k: v for k, v in match.groupdict().items() if v is not None}
    year = _full_year(groups.get("y") or groups.get("y2", "0"))
    if "mon" in groups:
        month, day = _MONTHS[groups["mon"].lower()], int(groups["d"])
    else:
        first = int(groups.get("a") or groups.get("a2", "0"))
        second = int(groups.get("b") or groups.get("b2", "0"))
        if year_first or first > 12 or (day_first and second <= 12):
            day, month = (second, first) if year_first else (first, second)
        else:
            month, day = first, second
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _full_year(text: str) -> int:
    year = int(text or 0)
    if len(text) == 2:
        return 2000 + year if year < 70 else 1900 + year
    return year


# --- integers and phones -----------------------------------------------------------------

_INT = re.compile(r"(?<![\d.,])-?\d{1,3}(?:,\d{3})+(?![\d.,]\d)|(?<![\d.,])-?\d+(?![.,]\d)")
_PHONE = re.compile(r"(?<![\w+])(\+?\(?\d[\d\s().\-/]{5,}\d)(?!\w)")


def find_int(text: str) -> Found | None:
    match = _INT.search(_digits_in_context(text))
    if match is None:
        return None
    return Found(int(match.group().replace(",", "")), text[match.start() : match.end()])


def find_phone(text: str) -> Found | None:
    """A phone number with 7–15 digits, kept as its digits and a leading ``+``."""
    for match in _PHONE.finditer(text):
        raw = match.group(1)
        digits = re.sub(r"\D", "", raw)
        if 7 <= len(digits) <= 15:
            return Found(("+" if raw.startswith("+") else "") + digits, raw.strip())
    return None


# --- one entry point --------------------------------------------------------------------


def find_value(kind: ValueKind, text: str, rule: FieldRule) -> Found | None:
    """The first value of the kind in the text (``pattern`` first, for text fields)."""
    if kind == "amount":
        return find_amount(text)
    if kind == "date":
        return find_date(text, rule.day_first)
    if kind == "int":
        return find_int(text)
    if kind == "phone":
        return find_phone(text)
    return find_text(text, rule)


def find_text(text: str, rule: FieldRule) -> Found | None:
    if rule.pattern is None:
        value = text.strip(" :;-=|").strip()
        return Found(rule.aliases.get(value, value), value) if value else None
    match = re.search(rule.pattern, text)
    if match is None:
        return None
    group = "value" if "value" in match.re.groupindex else 0
    raw = (match.group(group) or match.group()).strip()
    return Found(rule.aliases.get(raw, raw), raw) if raw else None


def check_value(value: FieldValue, rule: FieldRule) -> str | None:
    """Why the value is implausible, or None."""
    if isinstance(value, datetime.date) and not rule.min_year <= value.year <= rule.max_year:
        return f"year {value.year} outside {rule.min_year}..{rule.max_year}"
    if isinstance(value, (Decimal, int)) and rule.minimum is not None and value < rule.minimum:
        return f"{value} below the minimum {rule.minimum}"
    return None
