"""Declared fields: find each field's value by its rule, parse it, judge it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ocrflow.ocr_tasks.fields.layout import (
    Line,
    below,
    find_label,
    fold,
    has_excluded_label,
    on_every_page,
    right_of,
)
from ocrflow.ocr_tasks.fields.locales import ends_with_country, is_address_line, is_document_title
from ocrflow.ocr_tasks.fields.localise import is_total
from ocrflow.ocr_tasks.fields.rounding import after_rounding
from ocrflow.ocr_tasks.fields.shares import printed_rates, rate_share
from ocrflow.ocr_tasks.fields.text import document_letters, tidy_text
from ocrflow.ocr_tasks.fields.values import (
    TIME_OF_DAY,
    Found,
    check_value,
    find_value,
    values_in,
)
from ocrflow.schemas.doctypes import FieldSpec
from ocrflow.schemas.records import FieldResult, FieldValue, LineRef

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
            results[spec.name] = _to_result(spec, candidate, lines)
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


def _to_result(spec: FieldSpec, candidate: Candidate, lines: Sequence[Line]) -> FieldResult:
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
    value = candidate.found.value
    if spec.kind == "str" and isinstance(value, str):
        value = tidy_text(value, document_letters(lines, spec.locale))
    return FieldResult(raw_text=candidate.found.raw, value=value, **common)


# --- labelled fields --------------------------------------------------------------------


def _labelled(spec: FieldSpec, lines: Sequence[Line]) -> Candidate | None:
    """The value beside each label line; ``ranked`` and ``pick`` choose among them."""
    candidates: list[tuple[int, Candidate]] = []
    for line in lines:
        label = label_end(spec, line.text)
        if label is not None and (found := _beside(spec, line, label[0], lines)) is not None:
            candidates.append((label[1] if spec.rule.ranked else 0, found))
    if candidates and is_total(spec):
        parts = _parts_of_totals(spec, lines)
        candidates = [
            (r, c) for r, c in candidates if c.found is None or c.found.value not in parts
        ]
    parsed = [(rank, c) for rank, c in candidates if c.found is not None]
    if not parsed:
        return candidates[0][1] if candidates else None
    best_rank = min(rank for rank, _ in parsed)
    best = [c for rank, c in parsed if rank == best_rank]
    if spec.rule.pick == "last":
        chosen = best[-1]
    elif spec.rule.pick == "largest" and spec.kind in ("amount", "int"):
        chosen = max(best, key=_numeric)
    else:
        chosen = best[0]
    return _rounded(spec, chosen, lines) if is_total(spec) else chosen


def _rounded(spec: FieldSpec, chosen: Candidate, lines: Sequence[Line]) -> Candidate:
    """The amount to pay when a cash rounding of the chosen total is printed after it."""
    value = chosen.found.value if chosen.found else None
    if not isinstance(value, Decimal) or not chosen.lines:
        return chosen
    rounded = after_rounding(spec, value, chosen.lines[-1], lines)
    if rounded is None:
        return chosen
    line, found = rounded
    return Candidate(line.text, (line,), found)


def _parts_of_totals(spec: FieldSpec, lines: Sequence[Line]) -> set[FieldValue]:
    """The document's amounts that are a tax or net part of another at a printed rate."""
    amounts = sorted({v.value for line in lines for v in values_in(spec, line.text)
                      if isinstance(v.value, Decimal)})  # fmt: skip
    rates = printed_rates(lines)
    return {amount for amount in amounts if rate_share(amount, amounts, rates)}


def _numeric(candidate: Candidate) -> Decimal:
    value = candidate.found.value if candidate.found else 0
    return Decimal(value) if isinstance(value, (int, Decimal)) else Decimal(0)


def label_end(spec: FieldSpec, text: str) -> tuple[int, int] | None:
    """Where the best-fitting label ends in the text and its index in the rule's labels, or
    None (also when the line matches an excluded label)."""
    if has_excluded_label(text, spec.rule.exclude):
        return None
    best: tuple[int, int, int, int] | None = None  # edits, -label length, end, index
    for index, label in enumerate(spec.rule.labels):
        match = find_label(text, label)
        if match is not None:
            key = (match.edits, -len(label), match.end, index)
            best = key if best is None or key < best else best
    return (best[2], best[3]) if best else None


def _beside(spec: FieldSpec, label: Line, end: int, lines: Sequence[Line]) -> Candidate | None:
    """The first text right of (or below) the label that holds a value; for amounts, one
    with decimals first (``Total Incl. 6% GST   RM 15.00``)."""
    rest = label.text[end:].strip(" :;.-=|#")
    options: list[Candidate] = []
    if rest:
        options.append(_candidate(spec, rest, (label,)))
    near: list[Line] = []
    if spec.rule.position in ("right", "right_or_below"):
        near += right_of(label, lines)
    if spec.rule.position in ("below", "right_or_below"):
        near += below(label, lines)[:2]
    # A line that names another thing holds no value of this label's ("Zahlungsziel 14 Tage"
    # over "Bei Zahlung bis zum 18.05.2024 ... Skonto": a discount's date, not the due date).
    near = [line for line in near if not has_excluded_label(line.text, spec.rule.exclude)]
    options += [_candidate(spec, line.text, (line,)) for line in near]
    parsed = [option for option in options if option.found is not None]
    if spec.kind == "amount":
        parsed.sort(key=lambda option: not _has_cents(option))
    chosen = parsed or options
    return chosen[0] if chosen else None


def _has_cents(candidate: Candidate) -> bool:
    return candidate.found is not None and re.search(r"[.,]\d\d?$", candidate.found.raw) is not None


def _candidate(spec: FieldSpec, text: str, lines: tuple[Line, ...]) -> Candidate:
    return Candidate(text, lines, find_value(spec, text))


# --- position rules ---------------------------------------------------------------------


def _anywhere(spec: FieldSpec, lines: Sequence[Line]) -> Candidate | None:
    """The first value in reading order; for a date, the first printed with a time of day
    when there is one (a sale's timestamp, not a stamp's or a promotion's date)."""
    found = (_candidate(spec, line.text, (line,)) for line in lines)
    values = (candidate for candidate in found if candidate.found is not None)
    if spec.kind != "date":
        return next(values, None)  # no need to parse the lines after the first value
    dates = list(values)
    return next((c for c in dates if TIME_OF_DAY.search(c.text)), dates[0] if dates else None)


def _top(spec: FieldSpec, lines: Sequence[Line]) -> Candidate | None:
    """A name under one of the field's labels (``Verkäufer:``, ``From``), else a name near
    the top: the first line matching the pattern (with the lines it runs over), else the
    first line that reads as a name."""
    labelled = _labelled_name(spec, lines)
    if labelled is not None:
        return labelled
    repeated = on_every_page(lines)
    first_page = [line for line in lines if line.page == lines[0].page] if lines else []
    first_page = [line for line in first_page if line.text.strip() not in repeated]
    top = first_page[:TOP_LINES]
    pattern = re.compile(spec.rule.pattern, re.IGNORECASE) if spec.rule.pattern else None
    start = next(
        (
            i
            for i, line in enumerate(top)
            if pattern and pattern.search(line.text) and _name_like(_removed(spec, line.text))
        ),
        None,
    )
    if start is None:
        start = next(
            (
                i
                for i, line in enumerate(top)
                if _name_like(_removed(spec, line.text)) and not starts_title(top, line)
            ),
            None,
        )
    if start is None:
        return None
    if start + 1 < len(top) and _brand_over(top[start], top[start + 1]):
        start += 1
    block = name_block(first_page, start, pattern)
    text = _removed(spec, " ".join(line.text.strip() for line in block))
    return Candidate(text, tuple(block), Found(text, text))


def starts_title(lines: Sequence[Line], line: Line) -> bool:
    """Whether the line is the first part of a document's title printed over two lines
    (``TAX`` over ``INVOICE``)."""
    at = next((i for i, other in enumerate(lines) if other is line), None)
    if at is None or at + 1 >= len(lines):
        return False
    return is_document_title(f"{line.text} {lines[at + 1].text}")


def _labelled_name(spec: FieldSpec, lines: Sequence[Line]) -> Candidate | None:
    """The first name after a label on its line, or right of or under it."""
    for line in lines:
        end = label_end(spec, line.text)
        if end is None:
            continue
        rest = _removed(spec, line.text[end[0] :].strip(" :;.-=|#"))
        if _name_like(rest):
            return Candidate(rest, (line,), Found(rest, rest))
        for other in near_label(line, lines):
            text = _removed(spec, without_own_label(other.text))
            if _name_like(text):
                return Candidate(text, (other,), Found(text, text))
    return None


_OWN_LABEL = re.compile(r"^\s*[^\W\d_][\w.\- ]{0,24}:\s*")  # ``Firmenname:``, ``Name: ``


def near_label(label: Line, lines: Sequence[Line]) -> list[Line]:
    """The line right of a block's label and the two under it (a seller's name under
    ``Verkäufer``); a line that is a label of its own (``Firmenname:``) stands for the line
    right of it."""
    near: list[Line] = []
    for other in [*right_of(label, lines)[:1], *below(label, lines)[:2]]:
        near += right_of(other, lines)[:1] if is_own_label(other.text) else [other]
    return near


def is_own_label(text: str) -> bool:
    """Whether the text is a label and nothing else (``Firmenname:``): no name."""
    own = _OWN_LABEL.match(text)
    return own is not None and own.end() >= len(text.rstrip())


def without_own_label(text: str) -> str:
    """The text after a label of its own at its start (``Name: Lieferant GmbH``)."""
    own = _OWN_LABEL.match(text)
    return text[own.end() :] if own is not None and own.end() < len(text.rstrip()) else text


def _removed(spec: FieldSpec, text: str) -> str:
    """The text without what the rule's ``remove`` pattern matches."""
    if spec.rule.remove:
        text = re.sub(spec.rule.remove, "", text, flags=re.IGNORECASE)
    return text.strip()


def name_block(lines: Sequence[Line], start: int, pattern: re.Pattern[str] | None) -> list[Line]:
    """The line at ``start`` with the lines a name runs over: the line before when this one
    starts with the name's suffix (``ENTERPRISE (SETIA``), the next while the name is left
    open (a trailing ``&``, an unclosed bracket) or the next starts with the suffix."""
    first = last = start
    match = pattern.search(lines[start].text) if pattern else None
    if match and start > 0 and _name_like(lines[start - 1].text):
        opens = match.start() <= 1  # ``ENTERPRISE (SETIA``: the name began on the line above
        joins = opens or _wrapped(lines[start - 1], lines[start], pattern)
        if joins and not _repeated_in(lines[start - 1], lines[start]):
            first = start - 1
    while last + 1 < len(lines) and last - first < 2:
        text, following = lines[last].text.rstrip(), lines[last + 1].text
        joined = " ".join(line.text for line in lines[first : last + 1])
        suffix = pattern.match(following.strip()) if pattern else None
        still_open = text.endswith(("&", "-", ",")) or joined.count("(") > joined.count(")")
        repeats = _repeated_in(lines[last], lines[last + 1])
        if (still_open or suffix) and _name_like(following) and not repeats:
            last += 1
        else:
            break
    return list(lines[first : last + 1])


def _wrapped(above: Line, line: Line, pattern: re.Pattern[str] | None) -> bool:
    """Whether ``above`` is the first half of a name wrapped in a narrow column
    (``Elektrotechnik`` over ``Schwarz GmbH``): no legal form of its own, flush left with the
    line, as tall, and no more than half a line above it."""
    aligned = abs(above.x0 - line.x0) <= 0.5 * line.height
    close = 0 <= line.y0 - above.y1 <= 0.5 * line.height
    same_size = 0.8 <= above.height / line.height <= 1.25
    own_form = pattern is not None and pattern.search(above.text) is not None
    return above.page == line.page and aligned and close and same_size and not own_form


def _brand_over(above: Line, line: Line) -> bool:
    """Whether the line above is a brand that the line opens with and goes on from
    (``Markt`` over ``Markt Hofmann & Co.``): the name is the longer line."""
    head, name = fold(above.text)[0], fold(line.text)[0]
    return len(head) >= 3 and len(name) > len(head) and name.startswith(head)


def _repeated_in(above: Line, line: Line) -> bool:
    """Whether the line above is printed again within the line (a logo's ``KEDAI`` over
    ``KEDAI JAYA TAN PLT``): a brand over the name, not the name's first half."""
    head = fold(above.text)[0]
    return len(head) >= 3 and head in fold(line.text)[0]


def _name_like(text: str) -> bool:
    """Enough letters, few digits (once digits read for letters are letters again: ``B00K``),
    not all lower case (a handwritten note reads lower), not a document's title."""
    text = tidy_text(text, frozenset())
    letters = sum(char.isalpha() for char in text)
    digits = sum(char.isdigit() for char in text)
    enough = letters >= 3 and digits <= 0.2 * letters and not text.islower()
    return enough and not is_document_title(text)


def _after(spec: FieldSpec, lines: Sequence[Line], anchor: tuple[Line, ...]) -> Candidate | None:
    """The block of lines after the anchor field's lines, up to a stop line."""
    if not anchor:
        return None
    rule = spec.rule
    start = max(lines.index(line) for line in anchor) + 1
    block: list[Line] = []
    for line in lines[start:]:
        stop = rule.stop is not None and re.search(rule.stop, line.text) is not None
        # Looking twice as far: a postal block may lose the lines above its street.
        if (stop and block) or len(block) == 2 * rule.max_lines:
            break
        if not (stop or (rule.skip and re.search(rule.skip, line.text))):
            block.append(line)
    block = (postal_part(block) if rule.postal else block)[: rule.max_lines]
    if not block:
        return None
    text = " ".join(line.text.strip() for line in block)
    return Candidate(text, tuple(block), Found(text, text))


def postal_part(block: Sequence[Line]) -> list[Line]:
    """The block from its first line that reads as a postal address (the whole block when
    none does) to the line that ends with a country: a branch name, a site number or a
    former name above the street is no part of the address, nor a mall's name or a bill's
    title under ``…Kuala Lumpur, Malaysia``."""
    first = next((i for i, line in enumerate(block) if is_address_line(line.text)), 0)
    last = next((i for i in range(first, len(block)) if _country_ends(block, i)), len(block))
    return list(block[first : last + 1])


def _country_ends(block: Sequence[Line], index: int) -> bool:
    """Whether the address ends on this line: it ends with a country, printed on or after a
    postcode (``Taman Jordan``, ``Jalan Chad`` are streets)."""
    return ends_with_country(block[index].text) and any(
        _POSTCODE.search(line.text) for line in block[: index + 1]
    )


_POSTCODE = re.compile(r"(?<![\d.,])\d{4,6}(?![\d.,])")
