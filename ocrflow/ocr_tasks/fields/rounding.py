"""Cash rounding: the amount a receipt asks for after ``Rounding Adj``.

Where coins below 5 cents are out of use (Malaysia, the Netherlands, Switzerland…), a till
prints the exact total, the rounding and then the rounded amount, which is what is paid and
what a total means (``TOTAL AMT 60.31`` / ``ROUNDING ADJ -0.01`` / ``RM 60.30``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ocrflow.ocr_tasks.fields.layout import Line, find_label, right_of
from ocrflow.ocr_tasks.fields.locales import get_locale, label_words, parse_amounts
from ocrflow.ocr_tasks.fields.values import Found, values_in
from ocrflow.schemas.doctypes import FieldSpec

MAX_ROUNDING = Decimal("0.50")  # cash rounding goes to 0.05, 0.10 or a whole unit at most
_ROUNDING_UNITS = tuple(Decimal(u) for u in ("1", "0.50", "0.10", "0.05"))


def rounding_adjustments(lines: Sequence[Line], locale: str) -> frozenset[Decimal]:
    """The sizes of the cash roundings the document prints (``Rounding Adj -0.01``), read on
    the label's line or the line right of it."""
    words = label_words("rounding")
    parsing = get_locale(locale)
    found: set[Decimal] = set()
    for line in lines:
        if not any(find_label(line.text, word) for word in words):
            continue
        for text in (line.text, *(other.text for other in right_of(line, lines)[:1])):
            found |= {abs(a.value) for a in parse_amounts(text, parsing)}
    return frozenset(a for a in found if 0 < a <= MAX_ROUNDING)


def roundness(value: Decimal) -> int:
    """How coarse a unit the amount is a multiple of: 4 for whole units, 0 for none of them."""
    units = len(_ROUNDING_UNITS)
    return next((units - i for i, unit in enumerate(_ROUNDING_UNITS) if value % unit == 0), 0)


def rounding_direction(
    value: Decimal, others: Sequence[Decimal], adjustments: frozenset[Decimal]
) -> float:
    """+1 when a printed rounding makes another amount this rounder one (the amount to pay
    after ``Rounding Adj``), −1 when it makes this one a rounder other (the sum before it)."""
    for other in others:
        if abs(other - value) in adjustments:
            ours, theirs = roundness(value), roundness(other)
            if ours != theirs:
                return 1.0 if ours > theirs else -1.0
    return 0.0


def after_rounding(
    spec: FieldSpec, value: Decimal, line: Line, lines: Sequence[Line]
) -> tuple[Line, Found] | None:
    """The rounder amount that a printed rounding of ``value`` gives, with its line: the first
    printed after ``line``, else one before it (a tax summary under the total repeats the
    exact sum); None when the document prints no such rounding."""
    adjustments = rounding_adjustments(lines, spec.locale)
    if not adjustments:
        return None
    start = next((i for i, other in enumerate(lines) if other is line), len(lines))
    for later in (*lines[start + 1 :], *reversed(lines[:start])):
        for found in values_in(spec, later.text):
            amount = found.value
            if (
                isinstance(amount, Decimal)
                and abs(amount - value) in adjustments
                and roundness(amount) > roundness(value)
            ):
                return later, found
    return None
