"""Parts of a total: an amount that is, at a rate the document prints, the tax on or within
another amount or the net of another is never the total, whatever its label says
(``Total Incl. GST @6%  15.00`` beside ``264.98``). The hand rules and the candidates' features
ask the same question here."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from ocrflow.ocr_tasks.fields.checks import TOLERANCE
from ocrflow.ocr_tasks.fields.layout import Line
from ocrflow.schemas.records import FieldValue

_RATE = re.compile(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,2})?)\s?%")
MAX_RATE = Decimal("0.30")  # a tax or service charge rate; a larger percentage is a discount
MIN_SHARE = Decimal("0.10")  # smaller amounts match some rate of some amount by chance


def printed_rates(lines: Iterable[Line]) -> frozenset[Decimal]:
    """The percentages the document prints that can be a tax rate (``GST @6%``, ``19 %``)."""
    found = {Decimal(m.group(1).replace(",", ".")) / 100 for line in lines
             for m in _RATE.finditer(line.text)}  # fmt: skip
    return frozenset(rate for rate in found if 0 < rate <= MAX_RATE)


def rate_share(value: FieldValue, amounts: Sequence[Decimal], rates: frozenset[Decimal]) -> bool:
    """Whether the amount is, at one of ``rates``, the tax on or within another of
    ``amounts``, or the net of another (``4.51`` and ``75.09`` beside ``79.60`` at 6%)."""
    if not isinstance(value, Decimal) or value < MIN_SHARE:
        return False
    for other in amounts:
        # A multiple of five is likely cash handed over: 3.00 is 6% of 50.00 by chance.
        if other <= value or other % 5 == 0:
            continue
        for rate in rates:
            parts = (other * rate / (1 + rate), other * rate, other / (1 + rate))
            if any(abs(part - value) <= TOLERANCE for part in parts):
                return True
    return False
