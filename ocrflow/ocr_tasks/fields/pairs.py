"""Generic ``label → value`` pairs for form-like pages, by hand rules.

A label is a line ending with a colon (``Date:``) or a line whose text before its first colon
reads as a label (``Date: 9/3/92`` holds both). Its value is the text after the colon, else
the nearest line right of it on the same row, else the line just below it, with the lines
that continue it underneath (a line of 30 characters or more, followed by a left-aligned one
less than a line below); a line that is
itself a label is never a value. The pair is named after the label: case folded, spaces
collapsed, the trailing colon dropped.

These rules are what ``form`` extraction uses without a fitted model (``scorer="rules"``);
with one, :mod:`ocrflow.ocr_tasks.fields.pairing` decides, and the rules' choice is one of
its features.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ocrflow.ocr_tasks.fields.layout import Line, below, right_of
from ocrflow.schemas.records import FieldResult, LineRef

_LABEL = re.compile(r"^\s*(?P<label>[^:]*[A-Za-z][^:]{0,60}?)\s*:\s*(?P<rest>.*)$")
MAX_LABEL_WORDS = 8
MAX_VALUE_LINES = 8
MIN_CONTINUED_CHARS = 30  # shorter lines (a name, a date) end their value


@dataclass(frozen=True)
class RulePair:
    """A pair the rules found: the label's line, the label, the value and its lines."""

    key: Line
    label: str
    value: str
    source: tuple[Line, ...]


def extract_pairs(lines: Sequence[Line]) -> list[FieldResult]:
    return [pair_result(p.label, p.value, p.source) for p in rule_pairs(lines)]


def rule_pairs(lines: Sequence[Line]) -> list[RulePair]:
    labels = {id(line): split for line in lines if (split := split_label(line.text))}
    for line in lines:
        if id(line) not in labels and _soft_label(line, lines):
            labels[id(line)] = (line.text.strip(), "")
    pairs: list[RulePair] = []
    for line in lines:
        split = labels.get(id(line))
        if split is None:
            continue
        label, rest = split
        if rest:
            pairs.append(RulePair(line, label, rest, (line,)))
            continue
        value = _value_line(line, lines, labels)
        if value is not None:
            block = _continued(value, lines, labels)
            text = " ".join(part.text.strip() for part in block)
            pairs.append(RulePair(line, label, text, tuple(block)))
    return pairs


def split_label(text: str) -> tuple[str, str] | None:
    """The label and the text after its colon, when the line starts with a label."""
    match = _LABEL.match(text)
    if match is None or len(match.group("label").split()) > MAX_LABEL_WORDS:
        return None
    return match.group("label").strip(), match.group("rest").strip()


def _soft_label(line: Line, lines: Sequence[Line]) -> bool:
    """A short line of words with a line close on its right (``Brand   PHOENIX``)."""
    words = line.text.split()
    letters = sum(char.isalpha() for char in line.text)
    if not 1 <= len(words) <= 3 or letters < 0.8 * len(line.text.replace(" ", "")):
        return False
    right = right_of(line, lines)
    return bool(right) and right[0].x0 - line.x1 <= 6 * line.height


def normalise_label(label: str) -> str:
    return " ".join(label.casefold().split()).rstrip(" :")


def _value_line(label: Line, lines: Sequence[Line], labels: Mapping[int, object]) -> Line | None:
    for line in (*right_of(label, lines)[:1], *below(label, lines, max_gap=1.5)[:1]):
        if id(line) not in labels:
            return line
    return None


def _continued(first: Line, lines: Sequence[Line], labels: Mapping[int, object]) -> list[Line]:
    """The value's line and the lines that carry it on underneath (a paragraph answer)."""
    block = [first]
    while len(block) < MAX_VALUE_LINES and len(block[-1].text) >= MIN_CONTINUED_CHARS:
        under = [
            line
            for line in below(block[-1], lines, max_gap=0.8)
            if id(line) not in labels and abs(line.x0 - block[-1].x0) <= 2 * block[-1].height
        ]
        if not under:
            break
        block.append(under[0])
    return block


def pair_result(
    label: str,
    value: str,
    source: tuple[Line, ...],
    confidence: float | None = None,
    reason: str | None = None,
) -> FieldResult:
    """A pair as a field named after its label; ``confidence`` defaults to the OCR's, and a
    ``reason`` sends it to review."""
    if confidence is None:
        confidence = min(line.line.confidence for line in source)
    return FieldResult(
        name=normalise_label(label),
        raw_text=value,
        value=value,
        confidence=confidence,
        lines=[LineRef(page=line.page, order=line.line.order) for line in source],
        status="ok" if reason is None else "needs_review",
        reason=reason,
    )
