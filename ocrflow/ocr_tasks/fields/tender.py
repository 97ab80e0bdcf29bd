"""What was handed over and what was given back: ``CASH 50.00`` / ``CHANGE 16.10``.

Paid less change is the amount the till asked for, read from other lines than the total's:
where the two disagree one of them is misread (``Total (RM): 112.46`` over ``CASH: 112.45`` /
``Change (RM): 0.00``), and a person should look (:func:`.checks.cross_field_checks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ocrflow.ocr_tasks.fields.layout import Line, find_label, right_of
from ocrflow.ocr_tasks.fields.locales import Locale, get_locale, label_words, parse_amounts

# The amount handed over is printed just above the change: its label and amount may be two
# lines in reading order, and a card's name or a tendered currency one more.
PAID_LINES_ABOVE = 3


@dataclass(frozen=True)
class Tender:
    """The amounts the paid and the change lines may mean: a tilted photo or a column of
    amounts leaves more than one beside a label."""

    paid: frozenset[Decimal]
    change: frozenset[Decimal]

    def asked(self) -> frozenset[Decimal]:
        """Every amount that paid less change may be."""
        return frozenset(p - c for p in self.paid for c in self.change if p >= c)


def agrees(asked: frozenset[Decimal], total: Decimal, roundings: frozenset[Decimal]) -> bool:
    """Whether paid less change is the total to the cent, or to a printed cash rounding (a
    till asks for the rounded sum)."""
    return any(abs(amount - total) in {Decimal(0), *roundings} for amount in asked)


def read_tender(lines: Sequence[Line], locale: str) -> Tender | None:
    """The amounts paid and given back, when the document prints both (the first change
    line with an amount, and the paid line just above it)."""
    change_words, paid_words = label_words("change"), label_words("tender")
    parsing = get_locale(locale)
    for index, line in enumerate(lines):
        if not _labelled(line.text, change_words):
            continue
        change = _amounts_beside(index, lines, parsing)
        if not change:
            continue
        for above in range(index - 1, max(index - PAID_LINES_ABOVE, 0) - 1, -1):
            text = lines[above].text
            if _labelled(text, paid_words) and not _labelled(text, change_words):
                paid = _amounts_beside(above, lines, parsing)
                return Tender(paid, change) if paid else None
        return None
    return None


def _labelled(text: str, words: Sequence[str]) -> bool:
    return any(find_label(text, word) is not None for word in words)


def _amounts_beside(index: int, lines: Sequence[Line], parsing: Locale) -> frozenset[Decimal]:
    """The amount on the label's line; else those on its row, and the next line's when that
    is an amount alone (a label and its amount recognised as two lines)."""
    line = lines[index]
    own = parse_amounts(line.text, parsing)
    if own:
        return frozenset({abs(own[-1].value)})
    beside = [*right_of(line, lines)[:ROW_AMOUNTS], *lines[index + 1 : index + 2]]
    found = set()
    for other in beside:
        amounts = parse_amounts(other.text, parsing)
        alone = len(other.text.strip()) - CURRENCY_ROOM
        if len(amounts) == 1 and amounts[0].end - amounts[0].start >= alone:
            found.add(abs(amounts[0].value))
    return frozenset(found)


# A tilted photo puts the next row's amount on the label's row too: both are read.
ROW_AMOUNTS = 2
# A line is an amount alone when little else is printed on it: a currency (``RM 16.10``).
CURRENCY_ROOM = 3
