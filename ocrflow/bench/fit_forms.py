"""Fit the built-in ``form`` pairing on FUNSD's first 100 training forms, measure on the rest.

``python -m ocrflow.bench.fit_forms`` reads FUNSD's 149 training forms with our OCR (cached as
JSON under ``--cache``), sorts them by file name, fits the pair model
(:mod:`ocrflow.ocr_tasks.fields.pairing`) on the first 100 only and prints, on the 49 others:
precision, recall, the share of pairs marked ``ok`` and the share of ``ok`` pairs that are
wrong, for the hand rules (before) and the learned pairing (after), scored as
:func:`~ocrflow.bench.field_accuracy.score_funsd_page` scores them. It then writes
``ocrflow/ocr_tasks/fields/models/form.json`` (``--no-write``: only measure). The 49 are
read once, for that final measurement: nothing is chosen on them. FUNSD's test split is not
used.

Labels for fitting: our OCR lines are not FUNSD's entities. Each part of a line (the whole
line, or the text before and after its colon) is the entity most of whose words have their
centre in it (else the entity its box overlaps most). A candidate is right when its key is a
question and its value is exactly the parts that are that question's linked answers, or when
its key and value read as an annotated link (the scoring's own test). Calibration and the
thresholds use the scoring's test alone: ``ok`` means the pair reads right.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ocrflow.bench.field_accuracy import (
    DEFAULT_DATA,
    PairTally,
    cached_pages,
    funsd_annotation,
    funsd_answers,
    funsd_images,
    funsd_links,
    normalise_form,
    score_funsd_page,
)
from ocrflow.bench.fit_builtin import DEFAULT_CACHE
from ocrflow.ocr_tasks.fields.decide import model_path
from ocrflow.ocr_tasks.fields.layout import Line, page_lines
from ocrflow.ocr_tasks.fields.pairing import (
    DECISION_FEATURES,
    PAIR_FEATURES,
    PairCandidate,
    PairModel,
    Span,
    choose_pairs,
    describe,
    extract_learned_pairs,
    key_span,
)
from ocrflow.ocr_tasks.fields.pairs import extract_pairs, normalise_label
from ocrflow.ocr_tasks.fields.scorer import (
    MIN_POSITIVES_FOR_TREES,
    TARGET_ERROR,
    Boosted,
    Linear,
    choose_threshold,
    fit_boosted,
    fit_linear,
)
from ocrflow.schemas.doctypes import Form
from ocrflow.schemas.records import FieldResult, PageResult

TRAIN = 100  # the first forms in file-name order; the rest are held out
FOLDS = 5
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class FormPage:
    """One FUNSD form: its reading, candidates, features and which candidates are right."""

    name: str
    page: PageResult
    links: list[tuple[str, str]]
    candidates: list[PairCandidate]
    features: NDArray[np.float64]
    right: NDArray[np.bool_]  # for the scorer: the parts match, or the texts do
    reads_right: NDArray[np.bool_]  # the scoring's test: the texts match a link


# --- labels ------------------------------------------------------------------------------


def span_box(span: Span) -> Box:
    return (span.x0, span.line.y0, span.x1, span.line.y1)


def entity_of(box: Box, entities: Sequence[dict[str, object]]) -> int | None:
    """The entity most of whose words have their centre in the box; else the entity the box
    overlaps most; None when it overlaps none."""
    votes: dict[int, int] = {}
    for entity in entities:
        for word in entity.get("words", []):  # type: ignore[attr-defined]
            x0, y0, x1, y1 = word["box"]
            if box[0] <= (x0 + x1) / 2 <= box[2] and box[1] <= (y0 + y1) / 2 <= box[3]:
                votes[int(entity["id"])] = votes.get(int(entity["id"]), 0) + 1  # type: ignore[call-overload]
    if votes:
        return max(votes, key=lambda k: votes[k])
    best, best_area = None, 0.0
    for entity in entities:
        x0, y0, x1, y1 = entity["box"]  # type: ignore[misc]
        area = max(min(box[2], x1) - max(box[0], x0), 0) * max(min(box[3], y1) - max(box[1], y0), 0)
        if area > best_area:
            best, best_area = int(entity["id"]), area  # type: ignore[call-overload]
    return best


def atoms(line: Line) -> list[Span]:
    """The parts of a line that can each be one entity: the key part and, for ``Key: value``,
    the value part."""
    key, rest = key_span(line)
    return [key] if rest is None else [key, rest]


def value_atoms(candidate: PairCandidate) -> list[Span]:
    """The parts a value covers: the text after the colon, or each of its lines' parts."""
    if candidate.how == "inline":
        return [candidate.value[0], *(a for s in candidate.value[1:] for a in atoms(s.line))]
    return [a for span in candidate.value for a in atoms(span.line)]


def label_candidates(
    candidates: Sequence[PairCandidate], lines: Sequence[Line], annotation: dict[str, object]
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(right by parts or by text, right by text) for each candidate."""
    entities: list[dict[str, object]] = annotation["form"]  # type: ignore[assignment]
    owner = {
        (id(a.line), a.start): entity_of(span_box(a), entities) for ln in lines for a in atoms(ln)
    }
    answers = {q: {int(e["id"]) for e in found} for q, found in funsd_answers(annotation).items()}  # type: ignore[call-overload]
    needed: dict[int, set[tuple[int, int]]] = {}
    for part, entity in owner.items():
        for question, linked in answers.items():
            if entity in linked:
                needed.setdefault(question, set()).add(part)
    links = set(funsd_links(annotation))
    by_parts, by_text = [], []
    for c in candidates:
        asks = owner.get((id(c.key.line), c.key.start))
        parts = {(id(a.line), a.start) for a in value_atoms(c)}
        by_parts.append(asks in needed and parts == needed[asks])
        pair = (normalise_form(normalise_label(c.key_text)), normalise_form(c.value_text))
        by_text.append(pair in links)
    text = np.array(by_text, dtype=bool)
    return np.array(by_parts, dtype=bool) | text, text


def form_pages(images: Sequence[Path], cache: Path, model_set: str) -> list[FormPage]:
    """The forms read (through the cache), described and labelled."""
    forms = []
    for image, page in zip(images, cached_pages(images, cache, model_set), strict=True):
        annotation = funsd_annotation(image)
        lines = page_lines([page])
        candidates, features = describe(lines)
        right, reads_right = label_candidates(candidates, lines, annotation)
        links = funsd_links(annotation)
        forms.append(FormPage(image.stem, page, links, candidates, features, right, reads_right))
    return forms


# --- fitting -----------------------------------------------------------------------------


def fit_pair_scorer(forms: Sequence[FormPage]) -> Boosted | Linear:
    x = np.vstack([f.features for f in forms])
    y = np.concatenate([f.right for f in forms])
    if y.sum() < MIN_POSITIVES_FOR_TREES:
        return fit_linear(x, y, PAIR_FEATURES)
    return fit_boosted(x, y, PAIR_FEATURES)


@dataclass
class Decisions:
    """Chosen pairs of held-out forms: decision features, whether each reads right, and how
    many links the forms hold."""

    rows: NDArray[np.float64]
    right: NDArray[np.bool_]
    links: int


def decisions(forms: Sequence[FormPage], scorer: Boosted | Linear) -> Decisions:
    rows: list[tuple[float, ...]] = []
    right: list[bool] = []
    for form in forms:
        if not form.candidates:
            continue
        scores = scorer.predict(form.features, PAIR_FEATURES)
        index = {id(c): i for i, c in enumerate(form.candidates)}
        for decision in choose_pairs(form.candidates, scores):
            rows.append(decision.row)
            right.append(bool(form.reads_right[index[id(decision.candidate)]]))
    x = np.array(rows, dtype=np.float64).reshape(len(rows), len(DECISION_FEATURES))
    return Decisions(x, np.array(right, dtype=bool), sum(len(f.links) for f in forms))


def cross_validated(forms: Sequence[FormPage], folds: int = FOLDS) -> Decisions:
    """Each fold's decisions by a scorer fitted on the other folds."""
    parts = []
    for fold in range(folds):
        train = [f for i, f in enumerate(forms) if i % folds != fold]
        parts.append(decisions(forms[fold::folds], fit_pair_scorer(train)))
    return Decisions(
        np.vstack([p.rows for p in parts]),
        np.concatenate([p.right for p in parts]),
        sum(p.links for p in parts),
    )


def choose_floor(score: NDArray[np.float64], right: NDArray[np.bool_], links: int) -> float:
    """The score from which pairs are returned: the one with the best F1 (precision and
    recall against the forms' links). Equal scores go together: a floor cannot split them."""
    if len(score) == 0:
        return 1.0
    order = np.argsort(-score, kind="stable")
    ranked = score[order]
    matched = np.cumsum(right[order])
    kept = np.arange(1, len(score) + 1)
    f1 = 2 * matched / (kept + links)
    last_of_value = np.append(ranked[1:] != ranked[:-1], True)
    best = int(np.flatnonzero(last_of_value)[np.argmax(f1[last_of_value])])
    return float(ranked[best])


def fit_pairs(
    forms: Sequence[FormPage], target: float = TARGET_ERROR, fitted_on: str = ""
) -> PairModel:
    """Scorer on all forms; calibration, floor and threshold on cross-validated decisions."""
    held = cross_validated(forms)
    score = 1 / (1 + np.exp(-held.rows[:, DECISION_FEATURES.index("score")]))
    floor = choose_floor(score, held.right, held.links)
    kept = score >= floor
    # Calibrated on the pairs returned: the others are dropped, their confidence unused.
    calibration = fit_linear(held.rows[kept], held.right[kept], DECISION_FEATURES, balanced=False)
    confidence = calibration.predict(held.rows[kept])
    threshold = choose_threshold(confidence, held.right[kept], target)
    figures = {"cross_validated": _figures(confidence, held.right[kept], held.links, threshold)}
    return PairModel(
        scorer=fit_pair_scorer(forms), calibration=calibration, floor=floor,
        threshold=threshold, target_error=target, fitted_on=fitted_on, figures=figures,
    )  # fmt: skip


def _figures(
    confidence: NDArray[np.float64], right: NDArray[np.bool_], links: int, threshold: float
) -> dict[str, float]:
    """Precision, recall, share ok and ok wrong of the pairs returned."""
    ok = confidence >= threshold
    n = max(len(right), 1)
    return {
        "precision": float(right.sum()) / n,
        "recall": float(right.sum()) / max(links, 1),
        "share_ok": float(ok.sum()) / n,
        "ok_wrong": float((ok & ~right).sum()) / max(int(ok.sum()), 1),
        "pairs": float(len(right)),
    }


# --- measuring ---------------------------------------------------------------------------


def measure(forms: Sequence[FormPage], model: PairModel | None) -> PairTally:
    """The scoring's figures over the forms: the hand rules, or the model."""
    tally = PairTally()
    for form in forms:
        tally.add(score_funsd_page(form.page, form.links, lambda page: _extract(page, model)))
    return tally


def _extract(page: PageResult, model: PairModel | None) -> list[FieldResult]:
    lines = page_lines([page])
    return extract_pairs(lines) if model is None else extract_learned_pairs(lines, model)


def row(title: str, tally: PairTally) -> str:
    return (
        f"  {title:34} {tally.precision:9.1%} {tally.recall:7.1%} {tally.share_ok:9.1%} "
        f"{tally.ok_wrong:9.1%} {tally.predicted:6d} {tally.truth:6d}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--model-set", default="ppocrv6-small")
    parser.add_argument("--no-write", action="store_true", help="measure, do not write")
    args = parser.parse_args(argv)
    forms = form_pages(funsd_images(args.data), args.cache, args.model_set)
    train, held_out = forms[:TRAIN], forms[TRAIN:]
    span = f"FUNSD training forms 1-{TRAIN} by file name ({train[0].name}-{train[-1].name})"
    model = fit_pairs(train, fitted_on=f"{span} (python -m ocrflow.bench.fit_forms)")
    cv = model.figures["cross_validated"]
    print(f"cross-validated on {span}: " + ", ".join(f"{k} {v:.3f}" for k, v in cv.items()))
    print(f"floor (score) {model.floor:.3f}, ok threshold (confidence) {model.threshold:.3f}")
    print(f"held out: FUNSD training forms {TRAIN + 1}-{len(forms)} ({len(held_out)} forms)")
    print(f"  {'':34} {'precision':>9} {'recall':>7} {'share ok':>9} {'ok wrong':>9} "
          f"{'pairs':>6} {'links':>6}")  # fmt: skip
    print(row("before (hand rules)", measure(held_out, None)))
    print(row("after (learned pairing)", measure(held_out, model)))
    if not args.no_write:
        model.save(model_path(Form))
        print(f"wrote {model_path(Form)}")


if __name__ == "__main__":
    main()
