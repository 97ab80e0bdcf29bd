"""Where lines sit relative to each other, and where a label is in a line.

Labels are matched on a folded form of the text: letters only and digits, case folded, with
the digits OCR reads for letters (``T0TAL``, ``5UB``, ``l``/``1``/``I``) folded to one letter,
so ``TOTAL:``, ``Total :`` and ``T0TAL`` all match ``total``. Labels of five folded characters
or more also match with one edit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from ocrflow.ocr_tasks.reading_order import row_order
from ocrflow.schemas.records import LineResult, PageResult

_FOLD = str.maketrans({"0": "o", "1": "i", "l": "i", "|": "i", "5": "s", "8": "b", "$": "s"})


@dataclass(frozen=True)
class Line:
    """A recognised line with its page and axis-aligned box."""

    page: int
    line: LineResult
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def text(self) -> str:
        return self.line.text

    @property
    def height(self) -> float:
        return max(self.y1 - self.y0, 1.0)

    @property
    def width(self) -> float:
        return max(self.x1 - self.x0, 1.0)


def page_lines(pages: Iterable[PageResult]) -> list[Line]:
    """Every line of every page, in page order, then top to bottom by rows, then left to right.

    Rows are grouped here (lines may come from elsewhere than the engine), with the engine's
    rule: :func:`ocrflow.ocr_tasks.reading_order.row_order`.
    """
    lines: list[Line] = []
    for page in pages:
        boxed = [_boxed(page.number, line) for line in page.lines]
        lines += _reading_order(boxed)
    return lines


def on_every_page(lines: Sequence[Line]) -> frozenset[str]:
    """Texts printed on every page of a document of several pages (a running header or a
    stylesheet note: never a field's value)."""
    pages: dict[int, set[str]] = {}
    for line in lines:
        pages.setdefault(line.page, set()).add(line.text.strip())
    if len(pages) < 2:
        return frozenset()
    return frozenset(set.intersection(*pages.values()))


def _boxed(page: int, line: LineResult) -> Line:
    xs = [x for x, _ in line.polygon] or [0.0]
    ys = [y for _, y in line.polygon] or [0.0]
    return Line(page, line, min(xs), min(ys), max(xs), max(ys))


def _reading_order(lines: list[Line]) -> list[Line]:
    tops = [line.y0 for line in lines]
    order = row_order(tops, [line.y1 for line in lines], [line.x0 for line in lines])
    return [lines[index] for index in order]


def same_row(a: Line, b: Line) -> bool:
    """Whether the two lines' vertical extents overlap by half the shorter height."""
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return a.page == b.page and overlap >= 0.5 * min(a.height, b.height)


def right_of(label: Line, lines: Sequence[Line]) -> list[Line]:
    """Lines on the label's row that start right of its middle, nearest first."""
    middle = (label.x0 + label.x1) / 2
    found = [
        line for line in lines if line is not label and same_row(label, line) and line.x0 > middle
    ]
    return sorted(found, key=lambda line: line.x0)


def below(label: Line, lines: Sequence[Line], max_gap: float = 2.5) -> list[Line]:
    """Lines under the label that overlap it horizontally, within ``max_gap`` line heights."""
    found = []
    for line in lines:
        gap = line.y0 - label.y1
        if line.page != label.page or line is label or same_row(label, line):
            continue
        overlap = min(label.x1, line.x1) - max(label.x0, line.x0)
        if -0.5 * label.height <= gap <= max_gap * label.height and overlap > 0:
            found.append(line)
    return sorted(found, key=lambda line: (line.y0, line.x0))


@lru_cache(maxsize=8192)  # every label is matched against every line: fold each text once
def fold(text: str) -> tuple[str, tuple[int, ...]]:
    """The folded text and, for each folded character, its index in ``text``."""
    chars: list[str] = []
    index: list[int] = []
    for position, char in enumerate(text):
        folded = char.lower().translate(_FOLD)
        if folded.isalnum():
            chars.append(folded)
            index.append(position)
    return "".join(chars), tuple(index)


@dataclass(frozen=True)
class LabelMatch:
    """A label found in a line: where it ends, and how many edits it took."""

    end: int
    edits: int


@lru_cache(maxsize=65536)  # candidates ask the same line about the same labels many times
def find_label(text: str, label: str, fuzzy: bool = True) -> LabelMatch | None:
    """The label as whole words in the text (folded; one edit allowed for long labels). A
    label ending in ``:`` counts only with its colon (``de:``, ``von:``: short words that are
    also name particles)."""
    target, _ = fold(label)
    folded, index = fold(text)
    if not target:
        return None
    allowed = 1 if fuzzy and len(target) >= 5 else 0
    if allowed and fuzz.partial_ratio(target, folded) < _one_edit_similarity(len(target)):
        return None  # no window of the text is within one edit of the label
    colon = label.rstrip().endswith(":")
    for start in _word_starts(text):
        if allowed == 0:
            edits, length = (0, len(target)) if folded.startswith(target, start) else (1, 0)
        else:
            edits, length = _prefix_distance(folded[start:], target, allowed)
        if edits > allowed:
            continue
        end = index[start + length - 1] + 1
        if _word_ends(text, end) and (not colon or text[end:].lstrip().startswith(":")):
            return LabelMatch(end, edits)
    return None


# An excluded label this long (folded) also excludes without its first letter at the text's
# start: OCR loses a line's first glyph ("otal GST" is no total). Any other edit may be the
# other sense ("Total Includes GST" is the total, "Total Included GST" the tax).
CLIPPED_EXCLUDE_LENGTH = 8


def has_excluded_label(text: str, words: Sequence[str]) -> bool:
    """Whether the text holds one of the excluded labels ``words``."""
    folded = fold(text)[0]
    for word in words:
        if find_label(text, word, fuzzy=False):
            return True
        target = fold(word)[0]
        if len(target) >= CLIPPED_EXCLUDE_LENGTH and folded.startswith(target[1:]):
            return True
    return False


def _word_ends(text: str, end: int) -> bool:
    """A word ends here: no letter follows (a digit may: ``TOTAL9.00``), or a lower-case
    letter is followed by a capital (``TotalAmount``)."""
    if end >= len(text) or not text[end].isalpha():
        return True
    return text[end - 1].islower() and text[end].isupper()


def _one_edit_similarity(length: int) -> float:
    """The lowest partial-ratio score (0-100) of a text holding the label with one edit: a
    substitution keeps ``length - 1`` of ``length`` characters in each string."""
    return 100 * (1 - 1 / length) - 1e-6


@lru_cache(maxsize=8192)
def _word_starts(text: str) -> tuple[int, ...]:
    """The folded positions where a word starts (after a non-alphanumeric character, or at a
    lower-to-upper case change: ``TotalAmount``)."""
    _, index = fold(text)
    return tuple(
        start
        for start, position in enumerate(index)
        if start == 0
        or not text[position - 1].isalnum()
        or (text[position - 1].islower() and text[position].isupper())
    )


def _prefix_distance(text: str, target: str, allowed: int) -> tuple[int, int]:
    """The fewest edits from a prefix of ``text`` to ``target``, and that prefix's length."""
    best = (allowed + 1, 0)
    for length in range(max(len(target) - allowed, 1), min(len(target) + allowed, len(text)) + 1):
        distance = Levenshtein.distance(text[:length], target, score_cutoff=allowed)
        if distance < best[0]:
            best = (distance, length)
    return best
