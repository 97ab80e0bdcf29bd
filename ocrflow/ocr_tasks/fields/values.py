"""Typed values from recognised text: amounts, dates, integers, phone numbers.

Amounts and dates are read by the locale (:mod:`ocrflow.ocr_tasks.fields.locales`): its
decimal mark and thousands separators, its date order and month names. Each ``find_*`` looks
for the value inside a longer text and returns it with the span it was read from, or None;
``check_value`` says why a parsed value is not plausible (or None).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from ocrflow.ocr_tasks.fields.locales import Locale, get_locale, parse_amounts, parse_dates
from ocrflow.schemas.doctypes import FieldRule, FieldSpec
from ocrflow.schemas.records import FieldValue


@dataclass(frozen=True)
class Found:
    """A value found in a text, and the part of the text it was read from; a numeric date
    that reads two ways keeps the other readings in ``alternatives``."""

    value: FieldValue
    raw: str
    alternatives: tuple[datetime.date, ...] = ()


# --- amounts ----------------------------------------------------------------------------

_CENTS = Decimal("0.01")


# A line that is only a number whose decimal mark the recogniser read as a space (``190 00``,
# ``170. 00``): one amount, not a whole number and a stray ``00``.
_SPACED_CENTS = re.compile(r"(?P<whole>\d{1,7})[.,]? (?P<cents>\d\d)")


def amounts_in(text: str, locale: str | Locale = "auto") -> list[Found]:
    """Every amount in the text, left to right (whole numbers too: ``TOTAL 9``)."""
    spaced = _SPACED_CENTS.fullmatch(text.strip())
    if spaced is not None:
        return [Found(Decimal(f"{spaced['whole']}.{spaced['cents']}"), spaced.group())]
    return [
        Found(_with_cents(a.value), a.raw)
        for a in parse_amounts(text, _locale(locale), integers=True)
    ]


def find_amount(text: str, locale: str | Locale = "auto") -> Found | None:
    """The last amount in the text (``RM 1,234.50``, ``9.00``, ``1.234,50``, ``(5.00)``).

    Amounts with decimals win over bare integers (a quantity beside the total).
    """
    found = amounts_in(text, locale)
    with_decimals = [f for f in found if re.search(r"\d[.,]\d{1,3}\D*$", f.raw)]
    chosen = with_decimals or found
    return chosen[-1] if chosen else None


def parse_amount(text: str, locale: str | Locale = "auto") -> Decimal | None:
    found = find_amount(text, locale)
    return found.value if found is not None and isinstance(found.value, Decimal) else None


def _with_cents(value: Decimal) -> Decimal:
    """Two decimal places at least (``RM 12`` is 12.00); three-decimal currencies keep three."""
    exponent = value.as_tuple().exponent
    return value.quantize(_CENTS) if isinstance(exponent, int) and exponent > -2 else value


# --- dates ------------------------------------------------------------------------------


def dates_in(
    text: str, locale: str | Locale = "auto", day_first: bool | None = None
) -> list[Found]:
    """Every calendar date in the text, left to right, read as the locale says (or day or
    month first when ``day_first`` is given); an ambiguous one keeps its other readings."""
    reading = _locale(locale)
    if day_first is not None:
        reading = get_locale(reading.name, date_order="DMY" if day_first else "MDY",
                             dotted_order=None, permissive=False)  # fmt: skip
    return [Found(d.value, d.raw, d.alternatives) for d in parse_dates(text, reading)]


def find_date(
    text: str, day_first: bool | None = None, locale: str | Locale = "auto"
) -> Found | None:
    """The first calendar date in the text, in any of the usual printed formats.

    A first number above 12 makes a numeric date day first, a second above 12 month first;
    otherwise the locale's order decides (``auto``: day first, the other reading kept).
    """
    found = dates_in(text, locale, day_first)
    return found[0] if found else None


def parse_date(
    text: str, day_first: bool | None = None, locale: str | Locale = "auto"
) -> datetime.date | None:
    found = find_date(text, day_first, locale)
    return found.value if found is not None and isinstance(found.value, datetime.date) else None


def _locale(locale: str | Locale) -> Locale:
    return get_locale(locale) if isinstance(locale, str) else locale


# --- integers and phones -----------------------------------------------------------------

# A time of day on a line (``21:49``, glued on too: ``21:280001``): a sale's timestamp.
TIME_OF_DAY = re.compile(r"\d{1,2}:\d\d")
_INT = re.compile(r"(?<![\d.,])-?\d{1,3}(?:,\d{3})+(?![\d.,]\d)|(?<![\d.,])-?\d+(?![.,]\d)")
_PHONE = re.compile(r"(?<![\w+])(\+?\(?\d[\d\s().\-/]{5,}\d)(?!\w)")


def _digits_in_context(text: str) -> str:
    """Letters OCR reads for digits (``9.0O``, ``l2.50``), turned back where digits surround."""
    return re.sub(r"(?<=[\d.,])[Oo]|[Oo](?=[\d.,]\d)", "0", text)


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


def find_value(spec: FieldSpec, text: str) -> Found | None:
    """The first value of the field's kind in the text, read in the field's locale
    (``pattern`` first, for text fields)."""
    if spec.kind == "amount":
        return find_amount(text, spec.locale)
    if spec.kind == "date":
        return find_date(text, spec.rule.day_first, spec.locale)
    if spec.kind == "int":
        return find_int(text)
    if spec.kind == "phone":
        return find_phone(text)
    return find_text(text, spec.rule)


MAX_PER_LINE = 4  # values read from one line (a row of prices holds a few)


def values_in(spec: FieldSpec, text: str) -> list[Found]:
    """Every value of the field's kind in the text, left to right (at most a few)."""
    if spec.kind == "amount":
        return amounts_in(text, spec.locale)[-MAX_PER_LINE:]
    if spec.kind == "date":
        return dates_in(text, spec.locale, spec.rule.day_first)[:MAX_PER_LINE]
    values: list[Found] = []
    rest = text
    while len(values) < MAX_PER_LINE and (found := find_value(spec, rest)):
        values.append(found)
        at = rest.find(found.raw)
        if at < 0 or not found.raw:
            break
        rest = rest[:at] + " " * len(found.raw) + rest[at + len(found.raw) :]
    return values


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
