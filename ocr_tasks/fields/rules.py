"""Declared fields: find each field's value by its rule, parse it, judge it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ocr_tasks.fields.layout import Line, below, find_label, right_of
from ocr_tasks.fields.values import Found, check_value, find_value
from schemas.doctypes import FieldSpec
from schemas.records import FieldResult, LineRef

TOP_LINES = 8  # a ``top`` field is looked for among the page's first lines


@dataclass(frozen=True)
class Candidate:
    """Text that may hold a field's value: the value when it parsed, and its lines."""

    text: str
    lines: tuple[Line, ...]
    found: Found | None


def extract_declared(specs: Sequence[FieldSpec], lines: Sequence[Line]) -> list[FieldResult]:
    """One result per declared field (optional fields that are not found are left out)."""
    results: dict[str, FieldResult] = {}
    used: dict[str, tuple[Line, ...]] = {}
    for spec in specs:
        candidate = _find(spec, lines, used)
        if candidate is not None:
            used[spec.name] = candidate.lines
            results[spec.name] = _to_result(spec, candidate)
        elif spec.rule.required:
            results[spec.name] = FieldResult(
                name=spec.name, raw_text="", confidence=0.0, status="needs_review",
                reason="not found",
            )  # fmt: skip
    return [results[spec.name] for spec in specs if spec.name in results]


def _find(
    spec: FieldSpec, lines: Sequence[Line], used: dict[str, tuple[Line, ...]]
) -> Candidate | None:
    rule = spec.rule
    if rule.position == "top":
        return _top(spec, lines)
    if rule.position == "after":
        return _after(spec, lines, used.get(rule.after or "", ()))
    if rule.position == "anywhere":
        return _anywhere(spec, lines)
    found = _labelled(spec, lines)
    if found is None and rule.fallback_anywhere:
        return _anywhere(spec, lines)
    return found


def _to_result(spec: FieldSpec, candidate: Candidate) -> FieldResult:
    refs = [LineRef(page=line.page, order=line.line.order) for line in candidate.lines]
    confidence = min((line.line.confidence for line in candidate.lines), default=0.0)
    common = {"name": spec.name, "confidence": confidence, "lines": refs}
    if candidate.found is None:
        reason = f"no {spec.kind} value in {candidate.text!r}"
        return FieldResult(raw_text=candidate.text, status="needs_review", reason=reason, **common)
    problem = check_value(candidate.found.value, spec.rule)
    if problem is not None:
        return FieldResult(
            raw_text=candidate.found.raw, status="needs_review", reason=problem, **common
        )
    return FieldResult(raw_text=candidate.found.raw, value=candidate.found.value, **common)


# --- labelled fields --------------------------------------------------------------------


def _labelled(spec: FieldSpec, lines: Sequence[Line]) -> Candidate | None:
    """The value beside each label line; the rule's ``pick`` chooses among them."""
    candidates = [
        candidate
        for line in lines
        if (end := _label_end(spec, line.text)) is not None
        and (candidate := _beside(spec, line, end, lines)) is not None
    ]
    parsed = [c for c in candidates if c.found is not None]
    if not parsed:
        return candidates[0] if candidates else None
    if spec.rule.pick == "last":
        return parsed[-1]
    if spec.rule.pick == "largest" and spec.kind in ("amount", "int"):
        return max(parsed, key=_numeric)
    return parsed[0]


def _numeric(candidate: Candidate) -> Decimal:
    value = candidate.found.value if candidate.found else 0
    return Decimal(value) if isinstance(value, (int, Decimal)) else Decimal(0)


def _label_end(spec: FieldSpec, text: str) -> int | None:
    """Where the best-fitting label ends in the text, or None (also when excluded)."""
    if any(find_label(text, word) for word in spec.rule.exclude):
        return None
    best: tuple[int, int, int] | None = None  # edits, -label length, end
    for label in spec.rule.labels:
        match = find_label(text, label)
        if match is not None:
            key = (match.edits, -len(label), match.end)
            best = key if best is None or key < best else best
    return best[2] if best else None


def _beside(spec: FieldSpec, label: Line, end: int, lines: Sequence[Line]) -> Candidate | None:
    """The first text right of (or below) the label that holds a value."""
    rest = label.text[end:].strip(" :;.-=|#")
    options: list[Candidate] = []
    if rest:
        options.append(_candidate(spec, rest, (label,)))
    if spec.rule.position in ("right", "right_or_below"):
        options += [_candidate(spec, line.text, (line,)) for line in right_of(label, lines)]
    if spec.rule.position in ("below", "right_or_below"):
        options += [_candidate(spec, line.text, (line,)) for line in below(label, lines)[:2]]
    parsed = [option for option in options if option.found is not None]
    return (parsed or options or [None])[0]


def _candidate(spec: FieldSpec, text: str, lines: tuple[Line, ...]) -> Candidate:
    return Candidate(text, lines, find_value(spec.kind, text, spec.rule))


# --- position rules ---------------------------------------------------------------------


def _anywhere(spec: FieldSpec, lines: Sequence[Line]) -> Candidate | None:
    for line in lines:
        candidate = _candidate(spec, line.text, (line,))
        if candidate.found is not None:
            return candidate
    return None


def _top(spec: FieldSpec, lines: Sequence[Line]) -> Candidate | None:
    """The first top line matching the pattern, else the first with enough letters."""
    first_page = [line for line in lines if line.page == lines[0].page] if lines else []
    top = first_page[:TOP_LINES]
    if spec.rule.pattern:
        for line in top:
            if re.search(spec.rule.pattern, line.text, re.IGNORECASE):
                return Candidate(line.text.strip(), (line,), Found(line.text.strip(), line.text))
    for line in top:
        letters = sum(char.isalpha() for char in line.text)
        if letters >= 3 and letters >= 0.5 * len(line.text.replace(" ", "")):
            return Candidate(line.text.strip(), (line,), Found(line.text.strip(), line.text))
    return None


def _after(spec: FieldSpec, lines: Sequence[Line], anchor: tuple[Line, ...]) -> Candidate | None:
    """The block of lines after the anchor field's lines, up to a stop line."""
    if not anchor:
        return None
    rule = spec.rule
    start = max(lines.index(line) for line in anchor) + 1
    block: list[Line] = []
    for line in lines[start:]:
        if len(block) >= rule.max_lines or (rule.stop and re.search(rule.stop, line.text)):
            break
        if rule.skip and re.search(rule.skip, line.text):
            continue
        block.append(line)
    if not block:
        return None
    text = " ".join(line.text.strip() for line in block)
    return Candidate(text, tuple(block), Found(text, text))
