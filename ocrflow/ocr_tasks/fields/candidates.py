"""Candidates for a declared field, each described by general features (one numpy row).

Every value of the field's kind on every line of every page is a candidate (an amount field
sees every amount); text fields have the rules' block and, for ``top`` fields, every block of
the first lines. The features say nothing about one data set: how well the field's labels
(in every language the locale tables know) match the text before the value, the line left of
it on its row or the line above; where it sits on the page and in the document; how tall its
text is; its own shape; how often it recurs; whether the hand rules chose it. The scorer
(:mod:`ocrflow.ocr_tasks.fields.scorer`) learns what these are worth per field.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz

from ocrflow.ocr_tasks.fields.items import Item, is_items_sum, line_items
from ocrflow.ocr_tasks.fields.layout import (
    Line,
    find_label,
    fold,
    has_excluded_label,
    on_every_page,
    same_row,
)
from ocrflow.ocr_tasks.fields.locales import (
    is_address_line,
    is_document_title,
)
from ocrflow.ocr_tasks.fields.localise import is_total
from ocrflow.ocr_tasks.fields.rounding import rounding_adjustments, rounding_direction
from ocrflow.ocr_tasks.fields.rules import (
    TOP_LINES,
    is_own_label,
    label_end,
    name_block,
    near_label,
    starts_title,
    without_own_label,
)
from ocrflow.ocr_tasks.fields.shares import printed_rates, rate_share
from ocrflow.ocr_tasks.fields.tender import agrees, read_tender
from ocrflow.ocr_tasks.fields.text import document_letters, tidy_text
from ocrflow.ocr_tasks.fields.values import TIME_OF_DAY, check_value, values_in
from ocrflow.schemas.doctypes import FieldSpec
from ocrflow.schemas.records import FieldResult, FieldValue

FEATURES: tuple[str, ...] = (
    "label_here", "label_left", "label_above", "label_exact", "label_rank", "excluded",
    "left_gap", "y", "x", "page_index", "last_page", "height", "ocr", "has_cents",
    "has_currency", "magnitude", "is_largest", "value_rank", "is_int", "has_time",
    "implausible", "letters", "digits", "pattern", "length", "recurs", "order", "is_first",
    "is_last", "rule_pick", "line_index", "block_lines", "block_start", "stop_inside",
    "skip_inside", "stop_after", "first_after_anchor", "address_first", "address_last",
    "address_share", "priced", "difference_of_two", "sum_of_two", "rounding", "items_sum",
    "upper", "words", "every_page", "tender",
)  # fmt: skip
_EXCLUDED = FEATURES.index("excluded")
_CURRENCY = re.compile(r"RM|MYR|USD|EUR|GBP|SGD|\$|€|£|¥", re.IGNORECASE)
_PRICE = re.compile(r"(?<![\d.,])\d{1,6}[.,]\d\d(?![\d.,])")


@dataclass(frozen=True)
class Candidate:
    """One possible value of a field: the value, the text it was read from, its lines."""

    value: FieldValue
    raw: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class CandidateSet:
    """A field's candidates on one document, with one row of :data:`FEATURES` each."""

    spec: FieldSpec
    candidates: tuple[Candidate, ...]
    features: NDArray[np.float64]


def field_candidates(
    spec: FieldSpec, lines: Sequence[Line], rules: Mapping[str, FieldResult]
) -> CandidateSet:
    """Every candidate of the field in ``lines`` (all pages), described; ``rules``: what the
    hand rules found for each field (the field's own choice, an ``after`` field's anchor)."""
    rule_result = rules.get(spec.name)
    anchor = _anchor_end(spec, lines, rules)
    found = _generate(spec, lines, rule_result, anchor)
    index = {id(line): i for i, line in enumerate(lines)}
    amounts = sorted({c.value for c in found if isinstance(c.value, Decimal)})
    adjustments = rounding_adjustments(lines, spec.locale) if amounts else frozenset()
    items = line_items(spec, lines) if amounts else []
    rates = printed_rates(lines) if amounts and is_total(spec) else frozenset()
    repeated = on_every_page(lines)
    asked = _tender_amounts(spec, lines) if amounts else None
    rows = [
        _features(spec, c, found, lines, rule_result)
        + _block_features(spec, c, lines, index, anchor)
        + _agreement_features(c, amounts, adjustments, _sum_of_items(c, items, index, adjustments))
        + [float(bool(c.lines) and all(line.text.strip() in repeated for line in c.lines))]
        + [_tender_agreement(c.value, asked, adjustments)]
        for c in found
    ]
    features = np.array(rows, dtype=np.float64).reshape(len(found), len(FEATURES))
    # A part of a total is no total, whatever its label says ("Total Incl. GST @6%  15.00").
    shares = np.array([rate_share(c.value, amounts, rates) for c in found], dtype=bool)
    features[shares, _EXCLUDED] = 1.0
    return CandidateSet(spec, tuple(found), features)


# --- generation --------------------------------------------------------------------------


def _generate(
    spec: FieldSpec, lines: Sequence[Line], rule_result: FieldResult | None, anchor: int | None
) -> list[Candidate]:
    if spec.kind == "str" and (spec.rule.pattern is None or spec.rule.position in TEXT_BLOCKS):
        return _text_candidates(spec, lines, rule_result, anchor)
    found: list[Candidate] = []
    for line in lines:
        found += [Candidate(v.value, v.raw, (line,)) for v in values_in(spec, line.text)]
    return found


def _text_candidates(
    spec: FieldSpec, lines: Sequence[Line], rule_result: FieldResult | None, anchor: int | None
) -> list[Candidate]:
    found: list[Candidate] = []
    if rule_result is not None and rule_result.raw_text:
        wanted = {(ref.page, ref.order) for ref in rule_result.lines}
        source = tuple(line for line in lines if (line.page, line.line.order) in wanted)
        found.append(
            Candidate(rule_result.value or rule_result.raw_text, rule_result.raw_text, source)
        )
    if spec.rule.position == "top" and lines:
        found += _top_blocks(spec, lines)
    if spec.rule.position == "after" and lines:
        found += _after_blocks(spec, lines, anchor)
    if spec.rule.labels:
        found += _labelled_blocks(spec, lines)
    letters = document_letters(lines, spec.locale)
    seen: set[str] = set()
    unique = []
    for candidate in found:
        value = tidy_text(str(candidate.value), letters)
        key = _norm(value)
        initials = sum(char.isalpha() for char in value) < MIN_NAME_LETTERS
        label = is_own_label(str(candidate.value))
        if key and key not in seen and not (initials or label or _title(candidate, value, lines)):
            seen.add(key)
            unique.append(replace(candidate, value=value))
    return unique


def _title(candidate: Candidate, value: str, lines: Sequence[Line]) -> bool:
    if is_document_title(value):
        return True
    return len(candidate.lines) == 1 and starts_title(lines, candidate.lines[0])


MIN_NAME_LETTERS = 3  # fewer: a logo's initials (``JP``), not a name
TEXT_BLOCKS = ("top", "after")  # text fields found as blocks of lines, not pattern matches


def _labelled_blocks(spec: FieldSpec, lines: Sequence[Line]) -> list[Candidate]:
    """The text after each of the field's labels on its line, the line right of it and the
    lines under it (a seller's name under ``Verkäufer:``)."""
    found = []
    for line in lines:
        end = label_end(spec, line.text)
        if end is None:
            continue
        rest = line.text[end[0] :].strip(" :;.-=|#")
        if sum(char.isalpha() for char in rest) >= 3:
            found.append(Candidate(rest, rest, (line,)))
        for other in near_label(line, lines):
            text = without_own_label(other.text).strip()
            found.append(Candidate(text, text, (other,)))
    return found


def _top_blocks(spec: FieldSpec, lines: Sequence[Line]) -> list[Candidate]:
    first_page = [line for line in lines if line.page == lines[0].page]
    pattern = re.compile(spec.rule.pattern, re.IGNORECASE) if spec.rule.pattern else None
    found = []
    for start in range(min(TOP_LINES, len(first_page))):
        block = name_block(first_page, start, pattern)
        text = " ".join(line.text.strip() for line in block)
        if spec.rule.remove:
            text = re.sub(spec.rule.remove, "", text, flags=re.IGNORECASE).strip()
        if text:
            found.append(Candidate(text, text, tuple(block)))
    return found + _sender_names(spec, first_page, pattern)


_SENDER_SEPARATORS = re.compile(r"\s*[·•|]\s*|\s+[–-]\s+")


def _sender_names(
    spec: FieldSpec, page: Sequence[Line], pattern: re.Pattern[str] | None
) -> list[Candidate]:
    """The name that opens a one-line sender address (``Muster GmbH · Hauptstr. 5 · 10115
    Berlin`` above a letter's address window), when it carries the name's legal form."""
    found = []
    for line in page:
        parts = _SENDER_SEPARATORS.split(line.text.strip())
        if len(parts) >= 3 and pattern is not None and pattern.search(parts[0]):
            found.append(Candidate(parts[0], parts[0], (line,)))
    return found


BLOCK_STARTS = (-1, 7)  # ``after`` blocks start this many lines before .. after the anchor


def _anchor_end(
    spec: FieldSpec, lines: Sequence[Line], rules: Mapping[str, FieldResult]
) -> int | None:
    """The index of the last line of the field's ``after`` anchor, as the rules found it."""
    anchor = rules.get(spec.rule.after or "") if spec.rule.position == "after" else None
    if anchor is None or not anchor.lines:
        return None
    wanted = {(ref.page, ref.order) for ref in anchor.lines}
    found = [i for i, line in enumerate(lines) if (line.page, line.line.order) in wanted]
    return max(found) if found else None


def _after_blocks(spec: FieldSpec, lines: Sequence[Line], anchor: int | None) -> list[Candidate]:
    """Runs of one to ``max_lines`` lines near the anchor (lines matching ``skip`` are
    left out of the text): the rules' block may start or end a line off."""
    first_page = [line for line in lines if line.page == lines[0].page]
    base = (anchor if anchor is not None else -1) + 1
    found = []
    for start in range(
        max(base + BLOCK_STARTS[0], 0), min(base + BLOCK_STARTS[1], len(first_page))
    ):
        for length in range(1, spec.rule.max_lines + 1):
            block = first_page[start : start + length]
            if len(block) < length:
                break
            kept = [line for line in block if not _matches(spec.rule.skip, line.text)]
            text = " ".join(line.text.strip() for line in kept)
            if kept and text:
                found.append(Candidate(text, text, tuple(kept)))
    return found


def _matches(pattern: str | None, text: str) -> bool:
    return pattern is not None and re.search(pattern, text) is not None


def _block_features(
    spec: FieldSpec, candidate: Candidate, lines: Sequence[Line], index: Mapping[int, int],
    anchor: int | None,
) -> list[float]:  # fmt: skip
    """For multi-line text: how many lines, where it starts against the anchor, whether a
    ``stop`` line is inside or right after it, a ``skip`` line inside it; its address lines."""
    if spec.kind != "str" or not candidate.lines:
        return [0.0] * 10
    positions = [index.get(id(line), 0) for line in candidate.lines]
    first, last = min(positions), max(positions)
    inside = lines[first : last + 1]
    after = lines[last + 1].text if last + 1 < len(lines) else ""
    start = first - (anchor + 1) if anchor is not None else first
    return [
        float(len(candidate.lines)), float(start),
        float(any(_matches(spec.rule.stop, line.text) for line in inside)),
        float(any(_matches(spec.rule.skip, line.text) for line in inside)),
        float(not after or _matches(spec.rule.stop, after)), float(start == 0),
        *_address_features(candidate.lines),
    ]  # fmt: skip


def _address_features(block: Sequence[Line]) -> list[float]:
    """Whether the block's first and last lines read as a postal address's, how many of its
    lines do and whether one holds a price (an address block starts and ends on its street
    and town, not on the shop's name or a slogan under it, and lists no item)."""
    postal = [is_address_line(line.text) for line in block]
    priced = any(_PRICE.search(line.text) for line in block)  # an item line, not an address
    return [float(postal[0]), float(postal[-1]), sum(postal) / len(postal), float(priced)]


def _norm(text: str) -> str:
    return "".join(text.casefold().split())


# --- features ----------------------------------------------------------------------------


def _features(
    spec: FieldSpec,
    candidate: Candidate,
    found: Sequence[Candidate],
    lines: Sequence[Line],
    rule_result: FieldResult | None,
) -> list[float]:
    line = candidate.lines[0] if candidate.lines else None
    label = _label_features(spec, candidate, line, lines)
    where = _position_features(line, lines)
    shape = _shape_features(spec, candidate, found)
    index = found.index(candidate)
    same = sum(1 for other in found if other.value == candidate.value)
    order = [
        math.log1p(same - 1), index / max(len(found) - 1, 1), float(index == 0),
        float(index == len(found) - 1), float(_same_value(candidate, rule_result)),
    ]  # fmt: skip
    line_index = lines.index(line) / max(len(lines), 1) if line is not None else 0.0
    return [*label, *where, *shape, *order, line_index]


def _label_features(
    spec: FieldSpec, candidate: Candidate, line: Line | None, lines: Sequence[Line]
) -> list[float]:
    """Label match before the value on its line, on the line left of it, on the line above;
    an exact (one edit) label match; how early in the rule's ranked labels; an excluded
    label; the gap to a left label line (page widths)."""
    if line is None:
        return [0.0] * 7
    at = line.text.find(candidate.raw)
    here = line.text[: at if at > 0 else 0] if spec.kind != "str" else ""
    left = _left_line(line, lines)
    above = _above_line(line, lines)
    texts = [here, left.text if left else "", above.text if above else ""]
    labels = field_labels(spec)
    scores = [_label_score(text, labels) for text in texts]
    near = " ".join(texts[:2])
    rank = _rank(near, spec.rule.labels)
    # The label's own line decides an exclusion: the value's line and the one left of it, or
    # the line above when the label stands there alone ("(Total Included GST @ 6%" over "1.42)").
    labelled = near if any(scores[:2]) or not scores[2] else texts[2]
    # A sentence may name what its value is after it ("bis zum 18.05.2024 ... 3 % Skonto").
    after = line.text[at + len(candidate.raw) :] if at >= 0 and spec.kind != "str" else ""
    excluded = has_excluded_label(f"{labelled} {after}", spec.rule.exclude)
    exact = any(find_label(near, word) for word in labels)
    gap = (line.x0 - left.x1) / max(_page_width(lines, line), 1.0) if left else 1.0
    return [*scores, float(exact), rank, float(excluded), gap]


@lru_cache(maxsize=256)
def _folded(labels: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(folded for word in labels if (folded := fold(word)[0]))


def field_labels(spec: FieldSpec) -> tuple[str, ...]:
    """The field's labels, folded (a localised spec holds the locale's words too)."""
    return _folded(spec.rule.labels)


def _label_score(text: str, labels: tuple[str, ...]) -> float:
    folded = fold(text)[0]
    if not folded or not labels:
        return 0.0
    # Labels under four letters (``no``) match by chance: they count for less.
    return max(_similarity(label, folded) * min(len(label), 4) / 4 for label in labels) / 100


def _similarity(label: str, text: str) -> float:
    """How well the label appears in the text (0–100): the best window of a longer text, the
    whole of a shorter one (a short word inside a long label is no label)."""
    if len(text) >= len(label):
        return float(fuzz.partial_ratio(label, text))
    return float(fuzz.ratio(label, text))


def _rank(text: str, labels: tuple[str, ...]) -> float:
    for index, label in enumerate(labels):
        if find_label(text, label):
            return 1 - index / len(labels)
    return 0.0


def _left_line(line: Line, lines: Sequence[Line]) -> Line | None:
    left = [o for o in lines if o is not line and same_row(o, line) and o.x1 <= line.x0 + 5]
    return max(left, key=lambda o: o.x1, default=None)


def _above_line(line: Line, lines: Sequence[Line]) -> Line | None:
    above = [
        o
        for o in lines
        if o.page == line.page
        and o.y1 <= line.y0 + 0.3 * line.height
        and line.y0 - o.y1 < 2.5 * line.height
        and min(o.x1, line.x1) - max(o.x0, line.x0) > 0
    ]
    return max(above, key=lambda o: o.y1, default=None)


def _page_width(lines: Sequence[Line], line: Line) -> float:
    return max((o.x1 for o in lines if o.page == line.page), default=1.0)


def _position_features(line: Line | None, lines: Sequence[Line]) -> list[float]:
    """Top and centre of the line against the page's text, the page's index, whether it is
    the last page, the text's height against the page's median, the OCR confidence."""
    if line is None:
        return [0.0] * 6
    page = [o for o in lines if o.page == line.page]
    top = min(o.y0 for o in page)
    bottom = max(o.y1 for o in page)
    width = max(o.x1 for o in page)
    pages = sorted({o.page for o in lines})
    median = float(np.median([o.height for o in page]))
    return [
        (line.y0 - top) / max(bottom - top, 1.0),
        (line.x0 + line.x1) / 2 / max(width, 1.0),
        float(pages.index(line.page)),
        float(line.page == pages[-1]),
        line.height / max(median, 1.0),
        line.line.confidence,
    ]


def _shape_features(
    spec: FieldSpec, candidate: Candidate, found: Sequence[Candidate]
) -> list[float]:
    value, raw = candidate.value, candidate.raw
    numbers = sorted({v for c in found if isinstance(v := c.value, (Decimal, int))}, reverse=True)
    is_number = isinstance(value, (Decimal, int))
    # Amounts rank by size, dates by time (a due date is the latest, an issue date earlier).
    ranked: list[FieldValue] = list(numbers)
    if isinstance(value, datetime.date):
        ranked = sorted({v for c in found if isinstance(v := c.value, datetime.date)}, reverse=True)
    rank = ranked.index(value) / max(len(ranked) - 1, 1) if value in ranked else 0.0
    line_text = candidate.lines[0].text if candidate.lines else raw
    letters = sum(c.isalpha() for c in raw)
    digits = sum(c.isdigit() for c in raw)
    pattern = spec.rule.pattern is not None and re.search(spec.rule.pattern, raw, re.I) is not None
    year_ok = not isinstance(value, datetime.date) or check_value(value, spec.rule) is None
    return [
        float(re.search(r"[.,]\d\d$", raw) is not None),
        float(_CURRENCY.search(line_text) is not None),
        math.log10(abs(float(value)) + 1) if is_number else 0.0,  # type: ignore[arg-type]
        float(bool(ranked) and value == ranked[0]),
        rank,
        float(isinstance(value, int) or (is_number and "." not in raw and "," not in raw)),
        float(TIME_OF_DAY.search(line_text) is not None),
        float(not year_ok or check_value(value, spec.rule) is not None),
        letters / max(len(raw), 1),
        digits / max(len(raw), 1),
        float(pattern),
        math.log1p(len(raw)),
    ]


def _sum_of_items(
    candidate: Candidate, items: Sequence[Item], index: Mapping[int, int],
    adjustments: frozenset[Decimal],
) -> bool:  # fmt: skip
    value = candidate.value
    if not isinstance(value, Decimal) or not candidate.lines or value <= 0:
        return False
    return is_items_sum(value, index[id(candidate.lines[0])], items, adjustments)


def _agreement_features(
    candidate: Candidate,
    amounts: Sequence[Decimal],
    adjustments: frozenset[Decimal],
    items_sum: bool,
) -> list[float]:
    """Whether two other amounts on the document differ by this one (cash − change = total)
    or add up to it (net + tax = total); whether a printed cash rounding turns another amount
    into this one (+1) or this one into another (−1); whether the items above it add up to it;
    how much of its text is upper case; its words."""
    value, raw = candidate.value, candidate.raw
    difference = total = False
    rounding = 0.0
    if isinstance(value, Decimal) and value > 0:
        present = set(amounts)
        others = [a for a in amounts if a != value and a > 0]
        difference = any(a - value in present and a - value != value for a in others if a > value)
        total = any(value - a in present and value - a != a for a in others if a < value)
        rounding = rounding_direction(value, others, adjustments)
    letters = [c for c in raw if c.isalpha()]
    upper = sum(c.isupper() for c in letters) / max(len(letters), 1)
    words = math.log1p(len(raw.split()))
    return [float(difference), float(total), rounding, float(items_sum), upper, words]


_SUPPORT = [FEATURES.index(name) for name in ("difference_of_two", "sum_of_two", "items_sum",
                                              "rounding")]  # fmt: skip


def adds_up(row: NDArray[np.float64]) -> bool:
    """Whether the document's other amounts give this one (a candidate's :data:`FEATURES`):
    two add up to it or differ by it (net + tax, cash − change), the items above it add up
    to it, or a printed rounding turns another amount into it."""
    return bool((row[_SUPPORT] > 0).any())


def _tender_amounts(spec: FieldSpec, lines: Sequence[Line]) -> frozenset[Decimal] | None:
    """For a total: what cash paid less change may be (None where the document prints no
    paid and change lines)."""
    tender = read_tender(lines, spec.locale) if is_total(spec) else None
    return None if tender is None else tender.asked()


def _tender_agreement(
    value: FieldValue, asked: frozenset[Decimal] | None, adjustments: frozenset[Decimal]
) -> float:
    """+1 when paid less change is this amount (give or take a printed rounding), -1 when it
    is another, 0 when not printed."""
    if asked is None or not isinstance(value, Decimal):
        return 0.0
    return 1.0 if agrees(asked, value, adjustments) else -1.0


def _same_value(candidate: Candidate, rule_result: FieldResult | None) -> bool:
    if rule_result is None:
        return False
    if rule_result.value is not None and not isinstance(rule_result.value, str):
        return bool(candidate.value == rule_result.value)
    return _norm(str(candidate.value)) == _norm(str(rule_result.value or rule_result.raw_text))
