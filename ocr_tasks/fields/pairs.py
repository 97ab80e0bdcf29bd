"""Generic ``label → value`` pairs for form-like pages.

A label is a line ending with a colon (``Date:``) or a line whose text before its first colon
reads as a label (``Date: 9/3/92`` holds both). Its value is the text after the colon, else
the nearest line right of it on the same row, else the line just below it; a line that is
itself a label is never a value. The pair is named after the label: case folded, spaces
collapsed, the trailing colon dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ocr_tasks.fields.layout import Line, below, right_of
from schemas.records import FieldResult, LineRef

_LABEL = re.compile(r"^\s*(?P<label>[^:]*[A-Za-z][^:]{0,60}?)\s*:\s*(?P<rest>.*)$")
MAX_LABEL_WORDS = 8


def extract_pairs(lines: Sequence[Line]) -> list[FieldResult]:
    labels = {id(line): split for line in lines if (split := split_label(line.text))}
    pairs: list[FieldResult] = []
    for line in lines:
        split = labels.get(id(line))
        if split is None:
            continue
        label, rest = split
        if rest:
            pairs.append(_pair(label, rest, (line,)))
            continue
        value = _value_line(line, lines, labels)
        if value is not None:
            pairs.append(_pair(label, value.text.strip(), (value,)))
    return pairs


def split_label(text: str) -> tuple[str, str] | None:
    """The label and the text after its colon, when the line starts with a label."""
    match = _LABEL.match(text)
    if match is None or len(match.group("label").split()) > MAX_LABEL_WORDS:
        return None
    return match.group("label").strip(), match.group("rest").strip()


def normalise_label(label: str) -> str:
    return " ".join(label.casefold().split()).rstrip(" :")


def _value_line(label: Line, lines: Sequence[Line], labels: dict[int, object]) -> Line | None:
    for line in (*right_of(label, lines)[:1], *below(label, lines, max_gap=1.5)[:1]):
        if id(line) not in labels:
            return line
    return None


def _pair(label: str, value: str, source: tuple[Line, ...]) -> FieldResult:
    return FieldResult(
        name=normalise_label(label),
        raw_text=value,
        value=value,
        confidence=min(line.line.confidence for line in source),
        lines=[LineRef(page=line.page, order=line.line.order) for line in source],
    )
