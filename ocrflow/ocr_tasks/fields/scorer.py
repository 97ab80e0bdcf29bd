"""The learned part of the fields stage: per field, a candidate scorer and a calibration.

* The **scorer** is a logistic regression over :data:`~.candidates.FEATURES` (standardised),
  trained on every candidate of labelled documents (right value: 1, others: 0).
* The **calibration** turns a decision (the winner's score, its margin over the runner-up, the
  OCR confidence of its lines, failed checks) into the probability that the decision is
  right; it is fitted on decisions the scorer made on documents it was not trained on
  (cross-validation), so "0.9" means right about 9 times in 10.
* The **threshold** is the lowest calibrated confidence at which, on those held-out
  decisions, at most ``target_error`` of the fields marked ``ok`` were wrong.

A model is a small JSON file (weights, not pickle): :class:`TypeModel`. Predicting needs
numpy only; fitting imports scikit-learn.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from ocrflow.ocr_tasks.fields.candidates import FEATURES

# Scores enter as log-odds (a boosted scorer's probabilities crowd near 0 and 1); the margin
# is over the best candidate with another value; the hand rules' agreement and a value printed
# more than once tell sure decisions apart where the scores of most sit at the clip.
DECISION_FEATURES = (
    "score", "margin", "ocr", "char_min", "checks_failed", "rule_agrees", "recurs", "char_all",
)  # fmt: skip
# The least spread the calibration standardises each decision feature by (log-odds, log-odds,
# confidences, a count, flags). Decisions that were nearly all sure in fitting (generated
# invoices: every score at the clip) would otherwise read a small drop in score as a certain
# error.
DECISION_MIN_SCALE = (1.0, 1.0, 0.05, 0.05, 0.5, 0.5, 0.5, 0.1)
# Which way each decision feature may move the confidence: a higher score, margin, OCR
# confidence, agreement or recurrence never makes a decision less sure, a failed check never
# surer. With a few wrong decisions among a hundred, a free fit reads noise as a rule
# (a better OCR line meaning a worse total).
DECISION_SIGNS = (1, 1, 1, 1, -1, 1, 1, 1)
_RULE_PICK = FEATURES.index("rule_pick")
_RECURS = FEATURES.index("recurs")
# Scores are read as log-odds within ±6 (400 to 1): beyond that a scorer's certainty says
# more about its fitting documents than about a new one.
LOGIT_CLIP = 2.5e-3
TARGET_ERROR = 0.03
# Wrong decisions added to those seen when choosing a threshold. One more (measured over four
# folds of SROIE 000-139) sent nearly every total and company to review: with a few wrong
# decisions among a hundred, the threshold then rests on one or two of them.
SMOOTHING = 0
NEVER = 1.01  # a threshold no confidence reaches: the field always goes to review


class Linear(BaseModel):
    """``sigmoid(((x - mean) / scale) · coef + intercept)``."""

    kind: Literal["linear"] = "linear"
    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float

    def predict(
        self, x: NDArray[np.float64], names: Sequence[str] | None = None
    ) -> NDArray[np.float64]:
        """Probabilities for the rows of ``x``, whose columns are ``names`` (default: this
        model's features); a model fitted on fewer features reads just those."""
        if x.shape[0] == 0:
            return np.zeros(0)
        if names is not None and list(names) != self.features:
            x = x[:, [list(names).index(name) for name in self.features]]
        z = (x - np.array(self.mean)) / np.array(self.scale) @ np.array(self.coef)
        probability: NDArray[np.float64] = 1 / (1 + np.exp(-(z + self.intercept)))
        return probability


class Tree(BaseModel):
    """One regression tree: per node its feature and threshold (go left when ``<=``), its
    children (-1 at a leaf) and its value."""

    feature: list[int]
    threshold: list[float]
    left: list[int]
    right: list[int]
    value: list[float]


class Boosted(BaseModel):
    """Gradient-boosted trees: ``sigmoid(init + rate · Σ tree(x))``. Trees see where a
    feature matters only with another (a label left of it *and* cents), a line cannot."""

    kind: Literal["boosted"] = "boosted"
    features: list[str]
    init: float
    rate: float
    trees: list[Tree]

    def raw(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        total = np.full(x.shape[0], self.init)
        rows = np.arange(x.shape[0])
        for tree in self.trees:
            feature, threshold = np.array(tree.feature), np.array(tree.threshold)
            left, right = np.array(tree.left), np.array(tree.right)
            node = np.zeros(x.shape[0], dtype=np.int64)
            while (inner := left[node] >= 0).any():
                go_left = x[rows, np.maximum(feature[node], 0)] <= threshold[node]
                node = np.where(inner, np.where(go_left, left[node], right[node]), node)
            total += self.rate * np.array(tree.value)[node]
        return total

    def predict(
        self, x: NDArray[np.float64], names: Sequence[str] | None = None
    ) -> NDArray[np.float64]:
        if x.shape[0] == 0:
            return np.zeros(0)
        if names is not None and list(names) != self.features:
            x = x[:, [list(names).index(name) for name in self.features]]
        probability: NDArray[np.float64] = 1 / (1 + np.exp(-self.raw(x)))
        return probability


class Committee(BaseModel):
    """The mean probability of several scorers, each fitted on part of the examples: the
    scorers whose held-out decisions the calibration was fitted on, so that it reads their
    scores as it learned them (a scorer fitted on every example is surer of itself)."""

    kind: Literal["committee"] = "committee"
    members: list[Boosted | Linear]

    def predict(
        self, x: NDArray[np.float64], names: Sequence[str] | None = None
    ) -> NDArray[np.float64]:
        if x.shape[0] == 0:
            return np.zeros(0)
        mean: NDArray[np.float64] = np.mean([m.predict(x, names) for m in self.members], axis=0)
        return mean


class FieldModel(BaseModel):
    """One field's scorer, calibration and ``ok`` threshold."""

    scorer: Committee | Boosted | Linear
    calibration: Linear
    threshold: float = Field(description="Calibrated confidence at or above which it is ok.")


class TypeModel(BaseModel):
    """A document type's fitted fields, and the figures it was fitted with."""

    document_type: str
    target_error: float = TARGET_ERROR
    fields: dict[str, FieldModel]
    fitted_on: str = ""
    figures: dict[str, dict[str, float]] = Field(default_factory=dict)
    # A model fitted on generated documents knows their few layouts only: its confidence
    # says little about real ones, so a value is ok only when the hand rules chose it too.
    needs_rules_agreement: bool = False

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json() + "\n", encoding="utf-8")


def load_model(path: Path) -> TypeModel:
    return TypeModel.model_validate_json(path.read_text(encoding="utf-8"))


# --- fitting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One document's candidates for one field, and which of them are right."""

    features: NDArray[np.float64]
    right: NDArray[np.bool_]
    ocr: NDArray[np.float64]  # the OCR confidence of each candidate's lines (the weakest)
    char_min: NDArray[np.float64]  # the least sure character of the candidate's text
    char_all: NDArray[np.float64]  # log of the chance that all its characters are right
    checks_failed: NDArray[np.float64]
    # The same number for candidates with the same value: a runner-up with the winner's
    # value agrees with it, it does not compete.
    value_ids: NDArray[np.int64]
    # Documents of one group (one shop's receipts, one vendor's invoices) stay in one
    # cross-validation fold: a near-copy in the training folds flatters the held-out fold.
    group: str = ""


def fit_linear(
    x: NDArray[np.float64], y: NDArray[np.bool_], names: Sequence[str], balanced: bool = True,
    min_scale: Sequence[float] | None = None,
) -> Linear:  # fmt: skip
    """A logistic regression; constant data (one class) gives a constant model.
    ``balanced=False`` keeps the classes' shares (a calibration's probabilities must);
    ``min_scale``: the least spread each feature is standardised by."""
    mean = x.mean(axis=0) if len(x) else np.zeros(len(names))
    scale = x.std(axis=0) if len(x) else np.ones(len(names))
    scale = np.where(scale > 1e-9, scale, 1.0)
    if min_scale is not None:
        scale = np.maximum(scale, np.array(min_scale))
    if len(set(y.tolist())) < 2:
        return _constant(names, mean.tolist(), scale.tolist(), y)
    from sklearn.linear_model import LogisticRegression

    # class_weight: one right candidate among dozens; C: features are few and correlated.
    weight = "balanced" if balanced else None
    model = LogisticRegression(C=1.0, class_weight=weight, max_iter=2000)
    model.fit((x - mean) / scale, y)
    return Linear(
        features=list(names), mean=mean.tolist(), scale=scale.tolist(),
        coef=model.coef_[0].tolist(), intercept=float(model.intercept_[0]),
    )  # fmt: skip


def _constant(
    names: Sequence[str], mean: list[float], scale: list[float], y: NDArray[np.bool_]
) -> Linear:
    """A model that says the share of ``y`` that is true, whatever the features."""
    rate = float(y.mean()) if len(y) else 0.0
    intercept = float(np.log((rate + 1e-3) / (1 - rate + 1e-3)))
    return Linear(features=list(names), mean=mean, scale=scale, coef=[0.0] * len(names),
                  intercept=intercept)  # fmt: skip


def fit_scorer(examples: Sequence[Example]) -> Boosted | Linear:
    """A scorer over the features that vary among the examples' candidates: a feature of
    another field only (a total's tender agreement for a name) would still reorder the trees'
    equal splits, and so change a field it says nothing about."""
    x = np.vstack([e.features for e in examples]) if examples else np.zeros((0, len(FEATURES)))
    y = np.concatenate([e.right for e in examples]) if examples else np.zeros(0, dtype=bool)
    varying = [i for i in range(x.shape[1]) if len(x) and np.ptp(x[:, i]) > 0] or [0]
    names = [FEATURES[i] for i in varying]
    if len(set(y.tolist())) < 2 or y.sum() < MIN_POSITIVES_FOR_TREES:
        return fit_linear(x[:, varying], y, names)
    return fit_boosted(x[:, varying], y, names)


MIN_POSITIVES_FOR_TREES = 20  # fewer right candidates: the trees would learn them by heart


def fit_boosted(x: NDArray[np.float64], y: NDArray[np.bool_], names: Sequence[str]) -> Boosted:
    """Small boosted trees (measured on SROIE: better than a line for addresses and totals),
    written out node by node so that predicting needs numpy only."""
    from sklearn.ensemble import GradientBoostingClassifier

    model = GradientBoostingClassifier(
        n_estimators=100, max_depth=3, learning_rate=0.1, subsample=0.8, random_state=0
    )
    model.fit(x, y)
    trees = [_tree(estimator.tree_) for estimator in model.estimators_[:, 0]]
    boosted = Boosted(features=list(names), init=0.0, rate=float(model.learning_rate), trees=trees)
    # The prior's log-odds: what sklearn's decision adds to the trees' sum.
    init = float(model.decision_function(x[:1])[0] - boosted.raw(x[:1])[0])
    return boosted.model_copy(update={"init": init})


def _tree(tree: Any) -> Tree:
    return Tree(
        feature=[int(f) for f in tree.feature],
        threshold=[round(float(t), 6) for t in tree.threshold],
        left=[int(c) for c in tree.children_left], right=[int(c) for c in tree.children_right],
        value=[float(f"{v:.6g}") for v in tree.value[:, 0, 0]],
    )  # fmt: skip


def decision_row(scores: NDArray[np.float64], example: Example) -> tuple[int, list[float]]:
    """The chosen candidate and the decision's features."""
    if len(scores) == 0:
        return -1, [0.0] * len(DECISION_FEATURES)
    order = np.argsort(-scores, kind="stable")
    best = int(order[0])
    others = [i for i in order[1:] if example.value_ids[i] != example.value_ids[best]]
    top = logit(float(scores[best]))
    second = logit(float(scores[others[0]])) if others else logit(0.0)
    row = [top, top - second, float(example.ocr[best]), float(example.char_min[best]),
           float(example.checks_failed[best]), float(example.features[best, _RULE_PICK]),
           float(example.features[best, _RECURS]), float(example.char_all[best])]  # fmt: skip
    return best, row


def logit(p: float, eps: float = LOGIT_CLIP) -> float:
    """Log-odds of ``p``, read within ``eps`` of 0 and 1."""
    p = min(max(p, eps), 1 - eps)
    return float(np.log(p / (1 - p)))


# A winner the scorer gives less than this is one it does not believe: never ok above its
# score.
BELIEVED = 0.5


def decision_confidence(calibration: Linear, rows: NDArray[np.float64]) -> NDArray[np.float64]:
    """The calibrated probability that each decision (a row of :data:`DECISION_FEATURES`) is
    right; for a winner the scorer itself gives less than even odds, never above that. With
    a few wrong decisions among a hundred, the score's weight can come out against its sense
    and be dropped; the calibration alone would then mark ok a value the scorer does not
    believe (a total no label pointed to, scored 0.0002, ok at 0.97)."""
    calibrated = calibration.predict(rows, DECISION_FEATURES)
    score = 1 / (1 + np.exp(-rows[:, 0]))
    doubted = score < BELIEVED
    capped: NDArray[np.float64] = np.where(doubted, np.minimum(calibrated, score), calibrated)
    return capped


# No decision is ok under this calibrated confidence, however well the held-out decisions
# went: 0.5 still let a wild invoice's service date be ok at 0.51; 0.8 left every figure on
# the SROIE dev folds and the generated invoices as it was but one date and one total.
OK_FLOOR = 0.8


def choose_threshold(
    confidence: NDArray[np.float64], right: NDArray[np.bool_], target: float
) -> float:
    """The lowest confidence at which the decisions at or above it are wrong at most
    ``target`` of the time, counting :data:`SMOOTHING` more wrong decisions than were seen
    (never, when no such confidence exists), and never under :data:`OK_FLOOR`: where every
    held-out decision met the target, the lowest seen would mark ok a decision that is more
    likely wrong than right (a total scored 0.005 on a receipt unlike the fitting ones).
    Equal confidences go together: a threshold cannot split them."""
    best = NEVER
    for value in np.unique(confidence)[::-1]:
        ok = confidence >= value
        if (~right[ok]).sum() + SMOOTHING <= target * (ok.sum() + SMOOTHING):
            best = float(value)
    return max(best, OK_FLOOR)


@dataclass
class FieldFit:
    model: FieldModel
    # Held-out (cross-validated) decisions: right or not, confidence.
    right: NDArray[np.bool_]
    confidence: NDArray[np.float64]


def fit_field(
    examples: Sequence[Example], folds: int = 5, target: float = TARGET_ERROR
) -> FieldFit:
    """Calibration and threshold on cross-validated decisions; the scorer is the committee
    of the folds' scorers that made them. Measured on SROIE 140–199, a scorer refitted on
    every example marked more fields ``ok`` than the threshold promised (addresses: 6–22%
    of ``ok`` wrong over three seeds, against 6–12% for the committee)."""
    rows: list[list[float]] = []
    right: list[bool] = []
    fold_of = _folds(examples, folds)
    members = []
    for fold in range(folds):
        train = [e for i, e in enumerate(examples) if fold_of[i] != fold]
        scorer = fit_scorer(train)
        members.append(scorer)
        for example in (e for i, e in enumerate(examples) if fold_of[i] == fold):
            best, row = decision_row(scorer.predict(example.features, FEATURES), example)
            rows.append(row)
            right.append(best >= 0 and bool(example.right[best]))
    x = np.array(rows, dtype=np.float64).reshape(len(rows), len(DECISION_FEATURES))
    y = np.array(right, dtype=bool)
    calibration = fit_calibration(x, y)
    confidence = decision_confidence(calibration, x)
    threshold = choose_threshold(confidence, y, target)
    model = FieldModel(
        scorer=Committee(members=members), calibration=calibration, threshold=threshold
    )
    return FieldFit(model, y, confidence)


def fit_calibration(x: NDArray[np.float64], y: NDArray[np.bool_]) -> Linear:
    """The probability that a decision is right, from its :data:`DECISION_FEATURES`: a
    logistic regression that keeps the classes' shares, refitted without each feature whose
    weight comes out against its :data:`DECISION_SIGNS`."""
    kept = list(range(len(DECISION_FEATURES)))
    while True:
        if not kept:  # every feature pointed the wrong way: the share of right decisions
            size = len(DECISION_FEATURES)
            return _constant(DECISION_FEATURES, [0.0] * size, [1.0] * size, y)
        names = [DECISION_FEATURES[i] for i in kept]
        scales = [DECISION_MIN_SCALE[i] for i in kept]
        fitted = fit_linear(x[:, kept], y, names, balanced=False, min_scale=scales)
        wrong = [i for i, c in zip(kept, fitted.coef, strict=True) if c * DECISION_SIGNS[i] < 0]
        if not wrong:
            break
        kept = [i for i in kept if i not in wrong]
    coef = dict(zip(names, fitted.coef, strict=True))
    mean = dict(zip(names, fitted.mean, strict=True))
    scale = dict(zip(names, fitted.scale, strict=True))
    return Linear(
        features=list(DECISION_FEATURES),
        mean=[mean.get(name, 0.0) for name in DECISION_FEATURES],
        scale=[scale.get(name, 1.0) for name in DECISION_FEATURES],
        coef=[coef.get(name, 0.0) for name in DECISION_FEATURES],
        intercept=fitted.intercept,
    )


def _folds(examples: Sequence[Example], folds: int) -> list[int]:
    """Each example's fold: groups dealt round-robin in order of first appearance (an
    example without a group is a group of its own). With fewer groups than folds, every
    example is its own group: the folds could not all train otherwise."""
    order: dict[str, int] = {}
    keys = [example.group or f"#{i}" for i, example in enumerate(examples)]
    if len(set(keys)) < folds:
        keys = [f"#{i}" for i in range(len(examples))]
    for key in keys:
        order.setdefault(key, len(order))
    return [order[key] % folds for key in keys]


def figures(
    right: NDArray[np.bool_], confidence: NDArray[np.float64], threshold: float
) -> dict[str, float]:
    """Accuracy, the share marked ok, and the share of ok that is wrong."""
    ok = confidence >= threshold
    n = max(len(right), 1)
    return {
        "accuracy": float(right.sum()) / n,
        "share_ok": float(ok.sum()) / n,
        "ok_wrong": float((ok & ~right).sum()) / max(int(ok.sum()), 1),
        "documents": float(len(right)),
    }


def dump(model: TypeModel) -> str:
    return json.dumps(model.model_dump(), indent=1)
