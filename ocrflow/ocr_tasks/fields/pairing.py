"""Learned ``label → value`` pairs for form-like pages: candidates, then a decision.

Every line is a possible key (a line with a label before its colon offers that part). Its
possible values are the text after its colon, the lines right of it on its row and the lines
under it, each alone or with the lines that continue it underneath. Each (key, value) is
described by general features (:data:`PAIR_FEATURES`: the key's and the value's shape, where
they sit relative to each other, what lies between them, who else claims the value) and
scored by a fitted model (:class:`PairModel`, weights in JSON: predicting needs numpy only).

The decision: candidates are taken by score, best first; a key gets one value and a line is
used by one pair at most (a key's line is nobody's value). A chosen pair whose score is
under the fitted ``floor`` is dropped (no pair there: the floor with the best F1 on the
training forms, cross-validated). The others come with their calibrated probability of
being right (score, margin over the key's next value, the strongest rival key of the value,
the OCR of its lines and its least sure character, a colon after the key): ``ok`` at or
above the fitted ``threshold``, else ``needs_review`` with a reason. The OCR counts in the
confidence only: a pair on weak lines goes to review, it is not lost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from ocrflow.ocr_tasks.fields.decide import model_path
from ocrflow.ocr_tasks.fields.layout import Line
from ocrflow.ocr_tasks.fields.pairs import pair_result, rule_pairs, split_label
from ocrflow.ocr_tasks.fields.scorer import TARGET_ERROR, Boosted, Linear, logit
from ocrflow.ocr_tasks.fields.values import find_amount, find_date, find_phone
from ocrflow.schemas.doctypes import DocumentType
from ocrflow.schemas.records import FieldResult

PAIR_LOGIT_CLIP = 1e-4

PAIR_FEATURES: tuple[str, ...] = (
    # the key
    "k_colon", "k_inline", "k_words", "k_chars", "k_letters", "k_upper", "k_digits",
    "k_question", "k_height", "k_y", "k_x",
    # the value
    "v_words", "v_chars", "v_letters", "v_upper", "v_digits", "v_date", "v_amount",
    "v_phone", "v_colon_end", "v_keylike", "v_lines", "v_more", "v_height",
    # where the value is
    "how_inline", "how_right", "how_below", "how_near", "dx", "dy", "x_align", "h_overlap",
    "v_overlap", "rank", "n_right", "n_below", "between", "claims", "closest_key",
    "rule_pick", "v_row_next", "k_left_key",
)  # fmt: skip
DECISION_FEATURES = ("score", "margin", "rival", "ocr", "char_min", "key_colon")
MAX_RIGHT = 2  # lines right of a key offered as its value: a row rarely holds more
MAX_BELOW = 3  # lines under a key offered (a value under a key in a column of them)
BELOW_GAP = 3.0  # line heights between a key and a value under it, at most
MAX_NEAR = 3  # other lines close by, any side (a signature under and right of its label)
NEAR_GAP = 2.0  # line heights between a key's box and a close line's box, at most
MAX_VALUE_LINES = 8  # a paragraph answer: the value's first line and its continuation
CONTINUE_GAP = 0.8  # line heights between a value's line and the next one it continues on
CONTINUE_ALIGN = 2.0  # line heights a continuation's left edge may stray from the value's
_AMOUNT = re.compile(r"\d[.,]\d\d(?!\d)")


@dataclass(frozen=True)
class Span:
    """Characters ``start:end`` of a line: all of it, or the part before or after a colon.
    Its box is the line's, cut in proportion to the characters (no character boxes)."""

    line: Line
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.line.text[self.start : self.end].strip()

    @property
    def x0(self) -> float:
        return self.line.x0 + self.line.width * self.start / max(len(self.line.text), 1)

    @property
    def x1(self) -> float:
        return self.line.x0 + self.line.width * self.end / max(len(self.line.text), 1)


@dataclass(frozen=True)
class PairCandidate:
    """A possible key and value: ``how`` the value was found (inline, right, below)."""

    key: Span
    value: tuple[Span, ...]
    how: str
    rank: int  # the value's first line among the key's lines of the same ``how``
    more: bool  # a further line would continue the value

    @property
    def key_text(self) -> str:
        return self.key.text.rstrip(" :")

    @property
    def value_text(self) -> str:
        return " ".join(span.text for span in self.value)

    @property
    def lines(self) -> tuple[Line, ...]:
        unique = {id(span.line): span.line for span in self.value}  # Line is not hashable
        return tuple(unique.values())


def whole(line: Line) -> Span:
    return Span(line, 0, len(line.text))


def key_span(line: Line) -> tuple[Span, Span | None]:
    """The line's key part and, for ``Key: value``, the value part after the colon."""
    split = split_label(line.text)
    if split is None:
        return whole(line), None
    colon = line.text.index(":")
    rest = Span(line, colon + 1, len(line.text))
    return Span(line, 0, colon + 1), (rest if split[1] else None)


# --- where lines are, as arrays -------------------------------------------------------------


class Geometry:
    """One page's lines as arrays, with :func:`~.layout.right_of`, :func:`~.layout.below`
    and :func:`~.layout.same_row`'s rules computed for every pair of lines at once."""

    def __init__(self, lines: Sequence[Line]) -> None:
        self.lines = list(lines)
        self.index = {id(line): i for i, line in enumerate(self.lines)}
        box = np.array([(ln.x0, ln.y0, ln.x1, ln.y1) for ln in lines], dtype=np.float64)
        box = box.reshape(len(self.lines), 4)
        self.x0, self.y0, self.x1, self.y1 = box.T
        self.h = np.maximum(self.y1 - self.y0, 1.0)
        v_over = np.minimum.outer(self.y1, self.y1) - np.maximum.outer(self.y0, self.y0)
        self.h_over = np.minimum.outer(self.x1, self.x1) - np.maximum.outer(self.x0, self.x0)
        not_self = ~np.eye(len(self.lines), dtype=bool)
        self.same_row = not_self & (v_over >= 0.5 * np.minimum.outer(self.h, self.h))
        middle = (self.x0 + self.x1) / 2
        self.right = self.same_row & (self.x0[None, :] > middle[:, None])
        self.gap = (self.y0[None, :] - self.y1[:, None]) / self.h[:, None]  # in i's heights
        self.under = not_self & ~self.same_row & (self.h_over > 0) & (self.gap >= -0.5)

    def right_of(self, i: int) -> list[int]:
        found = np.flatnonzero(self.right[i])
        return [int(j) for j in found[np.argsort(self.x0[found], kind="stable")]]

    def near(self, i: int, max_gap: float, taken: set[int]) -> list[int]:
        """Other lines within ``max_gap`` of line i's heights (box to box), nearest first."""
        dx = np.maximum(np.maximum(self.x0 - self.x1[i], self.x0[i] - self.x1), 0.0)
        dy = np.maximum(np.maximum(self.y0 - self.y1[i], self.y0[i] - self.y1), 0.0)
        gap = np.hypot(dx, dy) / self.h[i]
        found = [int(j) for j in np.argsort(gap, kind="stable") if gap[j] <= max_gap]
        return [j for j in found if j != i and j not in taken]

    def below(self, i: int, max_gap: float) -> list[int]:
        found = np.flatnonzero(self.under[i] & (self.gap[i] <= max_gap))
        order = np.lexsort((self.x0[found], self.y0[found]))
        return [int(j) for j in found[order]]


# --- candidates --------------------------------------------------------------------------


def pair_candidates(lines: Sequence[Line]) -> list[PairCandidate]:
    """Every (key, value) candidate of the lines (all pages)."""
    return [c for page in _pages(lines) for c in _page_candidates(Geometry(page))]


def _pages(lines: Sequence[Line]) -> list[list[Line]]:
    pages: dict[int, list[Line]] = {}
    for line in lines:
        pages.setdefault(line.page, []).append(line)
    return list(pages.values())


def _page_candidates(geo: Geometry) -> list[PairCandidate]:
    found: list[PairCandidate] = []
    for i, line in enumerate(geo.lines):
        key, rest = key_span(line)
        if rest is not None:
            found += _blocks(key, rest, geo, "inline", 0)
        for rank, j in enumerate(geo.right_of(i)[:MAX_RIGHT]):
            found += _blocks(key, whole(geo.lines[j]), geo, "right", rank)
        under = geo.below(i, BELOW_GAP)[:MAX_BELOW]
        for rank, j in enumerate(under):
            found += _blocks(key, whole(geo.lines[j]), geo, "below", rank)
        taken = {*geo.right_of(i)[:MAX_RIGHT], *under}
        for rank, j in enumerate(geo.near(i, NEAR_GAP, taken)[:MAX_NEAR]):
            found += _blocks(key, whole(geo.lines[j]), geo, "near", rank)
    return found


def _blocks(key: Span, first: Span, geo: Geometry, how: str, rank: int) -> list[PairCandidate]:
    """The value alone, then with one more continuation line, two more, ..."""
    chain = continuation(first, geo, exclude=key.line)
    return [
        PairCandidate(key, (first, *chain[:n]), how, rank, n < len(chain))
        for n in range(len(chain) + 1)
    ]


def continuation(first: Span, geo: Geometry, exclude: Line) -> list[Span]:
    """The lines that carry a value on underneath: each close under the last, its left edge
    near the value's or its line's (a wrapped answer starts where the answer or its line
    started)."""
    chain: list[Span] = []
    last = geo.index[id(first.line)]
    skip = geo.index[id(exclude)]
    edges = np.array([first.x0, first.line.x0])
    while len(chain) + 1 < MAX_VALUE_LINES:
        under = [
            j
            for j in geo.below(last, CONTINUE_GAP)
            if j != skip and np.abs(geo.x0[j] - edges).min() <= CONTINUE_ALIGN * geo.h[last]
        ]
        if not under:
            break
        last = under[0]
        chain.append(whole(geo.lines[last]))
    return chain


# --- features ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Page:
    """What every candidate of a page is compared with."""

    geo: Geometry
    median_height: float
    width: float
    height: float
    keylike: NDArray[np.bool_]  # per line: it reads as a key (a label and its colon)
    claims: dict[int, int]  # per value line: how many key-like lines offer it
    closest: dict[int, int]  # per value line: the key line nearest to it
    rules: frozenset[tuple[int, tuple[int, ...]]]  # the hand rules' pairs, as line ids


def describe(lines: Sequence[Line]) -> tuple[list[PairCandidate], NDArray[np.float64]]:
    """Every candidate of the lines and its row of :data:`PAIR_FEATURES`."""
    candidates: list[PairCandidate] = []
    rows: list[NDArray[np.float64]] = []
    for page_lines in _pages(lines):
        geo = Geometry(page_lines)
        found = _page_candidates(geo)
        candidates += found
        rows.append(_features(found, _page_context(found, geo)))
    features = np.vstack(rows) if rows else np.zeros((0, len(PAIR_FEATURES)))
    return candidates, features


def _features(candidates: Sequence[PairCandidate], page: _Page) -> NDArray[np.float64]:
    rows = [
        _key_features(c, page) + _value_features(c, page) + _where_features(c, page)
        for c in candidates
    ]
    return np.array(rows, dtype=np.float64).reshape(len(candidates), len(PAIR_FEATURES))


def _page_context(candidates: Sequence[PairCandidate], geo: Geometry) -> _Page:
    keylike = np.array([_reads_as_key(line.text) for line in geo.lines], dtype=bool)
    claims: dict[int, int] = {}
    closest: dict[int, tuple[float, int]] = {}
    for c in candidates:
        if c.how == "inline" or len(c.value) > 1:
            continue
        target = id(c.value[0].line)
        claims[target] = claims.get(target, 0) + int(keylike[geo.index[id(c.key.line)]])
        distance = _gap(c.key.line, c.value[0].line)
        if target not in closest or distance < closest[target][0]:
            closest[target] = (distance, id(c.key.line))
    # The rules' pick is evidence, as the declared fields' rule_pick is.
    found = rule_pairs(geo.lines)
    rules = frozenset((id(p.key), tuple(id(line) for line in p.source)) for p in found)
    return _Page(
        geo, float(np.median(geo.h)) if len(geo.h) else 1.0,
        max(float(geo.x1.max(initial=1.0)), 1.0), max(float(geo.y1.max(initial=1.0)), 1.0),
        keylike, claims, {k: v[1] for k, v in closest.items()}, rules,
    )  # fmt: skip


def _reads_as_key(text: str) -> bool:
    return text.rstrip().endswith(":") or split_label(text) is not None


def _gap(a: Line, b: Line) -> float:
    """How far apart two boxes are, in ``a``'s line heights (0 when they touch)."""
    dx = max(b.x0 - a.x1, a.x0 - b.x1, 0.0)
    dy = max(b.y0 - a.y1, a.y0 - b.y1, 0.0)
    return float(np.hypot(dx, dy)) / a.height


@lru_cache(maxsize=16384)  # a value's text is shared by many candidates
def _shape(text: str) -> tuple[float, ...]:
    """Words, characters, letters share, upper share, digits share of a text."""
    chars = text.replace(" ", "")
    n = max(len(chars), 1)
    letters = sum(char.isalpha() for char in chars)
    upper = sum(char.isupper() for char in chars)
    digits = sum(char.isdigit() for char in chars)
    return (float(len(text.split())), float(len(chars)), letters / n,
            upper / max(letters, 1), digits / n)  # fmt: skip


@lru_cache(maxsize=16384)
def _kinds(text: str) -> tuple[float, float, float]:
    """Whether the text holds a date, an amount with cents, a phone number."""
    amount = find_amount(text) is not None and _AMOUNT.search(text) is not None
    return (float(find_date(text) is not None), float(amount), float(find_phone(text) is not None))


def _key_features(c: PairCandidate, page: _Page) -> list[float]:
    text = c.key.text
    words, chars, letters, upper, digits = _shape(text)
    line = c.key.line
    return [
        float(text.endswith(":")), float(key_span(line)[1] is not None), words, chars,
        letters, upper, digits, float(text.rstrip(" :").endswith("?")),
        line.height / page.median_height, line.y0 / page.height, line.x0 / page.width,
    ]  # fmt: skip


def _value_features(c: PairCandidate, page: _Page) -> list[float]:
    text = c.value_text
    first = c.value[0]
    height = sum(span.line.height for span in c.value) / len(c.value)
    keylike = first.start == 0 and bool(page.keylike[page.geo.index[id(first.line)]])
    return [
        *_shape(text), *_kinds(text), float(text.endswith(":")), float(keylike),
        float(len(c.value)), float(c.more), height / c.key.line.height,
    ]  # fmt: skip


def _where_features(c: PairCandidate, page: _Page) -> list[float]:
    key, first = c.key.line, c.value[0]
    geo = page.geo
    i, j = geo.index[id(key)], geo.index[id(first.line)]
    h = key.height
    ids = (id(key), tuple(id(line) for line in c.lines))
    target = id(first.line)
    return [
        float(c.how == "inline"), float(c.how == "right"), float(c.how == "below"),
        float(c.how == "near"),
        (first.x0 - c.key.x1) / h, (first.line.y0 - key.y1) / h, (first.x0 - key.x0) / h,
        geo.h_over[i, j] / min(key.width, first.line.width),
        (min(key.y1, first.line.y1) - max(key.y0, first.line.y0)) / min(h, first.line.height),
        float(c.rank), float(geo.right[i].sum()),
        float((geo.under[i] & (geo.gap[i] <= BELOW_GAP)).sum()), float(_key_between(c, page)),
        float(page.claims.get(target, 0)), float(page.closest.get(target) == id(key)),
        float(ids in page.rules),
        # The value has a line on its right (it may be that line's key); the key has a
        # key-like line on its left (it may be that one's value).
        float(geo.right[j].any()), float((geo.right[:, i] & page.keylike).any()),
    ]  # fmt: skip


def _key_between(c: PairCandidate, page: _Page) -> bool:
    """Another key-like line between the key and its value (the value is that one's)."""
    if c.how == "inline":
        return False
    geo = page.geo
    i, j = geo.index[id(c.key.line)], geo.index[id(c.value[0].line)]
    others = page.keylike.copy()
    others[[i, j]] = False
    if c.how == "right":
        between = geo.same_row[i] & (geo.x0 >= geo.x1[i]) & (geo.x0 < geo.x0[j])
    else:
        between = (geo.h_over[i] > 0) & (geo.y0 >= geo.y1[i]) & (geo.y1 <= geo.y0[j] + 1)
    return bool((others & between).any())


# --- the model ---------------------------------------------------------------------------


class PairModel(BaseModel):
    """A form's pair scorer, its calibration, the floor under which a chosen pair is dropped
    and the threshold at or above which it is ``ok``; with the figures it was fitted with."""

    document_type: str = "form"
    scorer: Boosted | Linear
    calibration: Linear
    floor: float = Field(description="Score under which a chosen pair is dropped (no pair).")
    threshold: float = Field(description="Calibrated confidence at or above which it is ok.")
    target_error: float = TARGET_ERROR
    fitted_on: str = ""
    figures: dict[str, dict[str, float]] = Field(default_factory=dict)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json() + "\n", encoding="utf-8")


def pair_model(kind: type[DocumentType]) -> PairModel | None:
    """A ``generic_pairs`` type's fitted pairing, where :func:`~.decide.model_path` puts it
    (``models/form.json`` for the built-in ``form``); None when it has none."""
    return load_pair_model(model_path(kind))


def load_pair_model(path: Path) -> PairModel | None:
    """The model at ``path`` (None when there is none)."""
    if not path.exists():
        return None
    return _load(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _load(path: Path, mtime: int) -> PairModel:  # mtime: a refitted file is read again
    return PairModel.model_validate_json(path.read_text(encoding="utf-8"))


# --- the decision ------------------------------------------------------------------------


@dataclass(frozen=True)
class PairDecision:
    """A chosen pair, the decision's features, and the key's next value (for the reason)."""

    candidate: PairCandidate
    row: tuple[float, ...]  # DECISION_FEATURES
    runner_up: PairCandidate | None

    @property
    def score(self) -> float:
        """The scorer's probability that this is a pair (the floor's measure)."""
        return float(1 / (1 + np.exp(-self.row[0])))


def choose_pairs(
    candidates: Sequence[PairCandidate], scores: NDArray[np.float64]
) -> list[PairDecision]:
    """Best first: one value per key, each line in one pair at most (a key's line is no
    other pair's value: a ``Key: value`` line is both, for its own pair only)."""
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    by_key: dict[int, list[int]] = {}
    for index in order:
        by_key.setdefault(id(candidates[index].key.line), []).append(index)
    rivals = _rivals(candidates, scores)
    used: set[int] = set()
    chosen: list[PairDecision] = []
    for index in order:
        c = candidates[index]
        key = id(c.key.line)
        values = {id(line) for line in c.lines}
        if key in used or (values - {key}) & used:
            continue
        used |= values | {key}
        chosen.append(_decision(candidates, scores, index, by_key[key], rivals))
    return chosen


def _rivals(
    candidates: Sequence[PairCandidate], scores: NDArray[np.float64]
) -> dict[int, dict[int, float]]:
    """Per value line, the best score each key line gives it."""
    out: dict[int, dict[int, float]] = {}
    for c, score in zip(candidates, scores, strict=True):
        for line in c.lines:
            if line is not c.key.line:
                best = out.setdefault(id(line), {})
                best[id(c.key.line)] = max(best.get(id(c.key.line), 0.0), float(score))
    return out


def _decision(
    candidates: Sequence[PairCandidate],
    scores: NDArray[np.float64],
    index: int,
    same_key: list[int],
    rivals: dict[int, dict[int, float]],
) -> PairDecision:
    """The decision's features: the winner's score, its margin over the key's next value,
    over the strongest other key claiming one of its lines, and the weakest OCR line."""
    c = candidates[index]
    key = id(c.key.line)
    top = _pair_logit(float(scores[index]))
    others = [i for i in same_key if i != index]
    second = float(scores[others[0]]) if others else 0.0
    rival = max(
        (s for line in c.lines for k, s in rivals.get(id(line), {}).items() if k != key),
        default=0.0,
    )
    ocr = min(line.line.confidence for line in (c.key.line, *c.lines))
    colon = float(c.key.text.endswith(":"))
    row = (top, top - _pair_logit(second), top - _pair_logit(rival), ocr, _char_min(c), colon)
    return PairDecision(c, row, candidates[others[0]] if others else None)


def _pair_logit(p: float) -> float:
    # The pair model was fitted on log-odds read within 1e-4 of 0 and 1.
    return logit(p, PAIR_LOGIT_CLIP)


def _char_min(c: PairCandidate) -> float:
    """The least sure letter or digit of the key's and the value's text (their lines' OCR
    where characters were not kept): one doubtful letter makes the pair read wrong."""
    weakest = 1.0
    for span in (c.key, *c.value):
        chars = span.line.line.char_confidences
        if len(chars) != len(span.line.text):
            weakest = min(weakest, span.line.line.confidence)
            continue
        sure = [chars[i] for i in range(span.start, span.end) if span.line.text[i].isalnum()]
        weakest = min([weakest, *sure])
    return weakest


def decide_pairs(lines: Sequence[Line], model: PairModel) -> list[PairDecision]:
    """The chosen pairs of the lines whose score reaches the model's floor."""
    candidates, features = describe(lines)
    if not candidates:
        return []
    scores = model.scorer.predict(features, PAIR_FEATURES)
    return [d for d in choose_pairs(candidates, scores) if d.score >= model.floor]


def extract_learned_pairs(lines: Sequence[Line], model: PairModel) -> list[FieldResult]:
    """The form's pairs, in the reading order of their keys: ``ok`` from the model's
    threshold on, ``needs_review`` with a reason under it."""
    decisions = decide_pairs(lines, model)
    rows = np.array([d.row for d in decisions], dtype=np.float64)
    confidence = model.calibration.predict(rows, DECISION_FEATURES)
    position = {id(line): i for i, line in enumerate(lines)}
    kept = [(d, float(p)) for d, p in zip(decisions, confidence, strict=True)]
    kept.sort(key=lambda item: position[id(item[0].candidate.key.line)])
    return [_result(d, p, model.threshold) for d, p in kept]


def _result(decision: PairDecision, confidence: float, threshold: float) -> FieldResult:
    c = decision.candidate
    reason = None
    if confidence < threshold:
        reason = f"confidence {confidence:.2f} is under the form pair threshold {threshold:.2f}"
        if decision.runner_up is not None:
            reason += f"; the next value for {c.key_text!r} is {decision.runner_up.value_text!r}"
    return pair_result(c.key_text, c.value_text, c.lines, round(confidence, 4), reason)
