"""Choose each field's value among its candidates; say how sure, and why a person should look.

The highest-scoring candidate wins. Its confidence is the type model's calibrated probability
of the decision being right (score, margin over the runner-up, OCR of its lines, checks).
``ok`` needs that confidence at or above the field's threshold, a plausible value, lines read
at or above ``min_confidence`` and no failed cross-field check; otherwise the field is
``needs_review`` with its value, raw text and a reason.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ocrflow.ocr_tasks.fields.candidates import (
    FEATURES,
    Candidate,
    CandidateSet,
    adds_up,
    field_candidates,
)
from ocrflow.ocr_tasks.fields.checks import cross_field_checks
from ocrflow.ocr_tasks.fields.layout import Line
from ocrflow.ocr_tasks.fields.localise import is_total
from ocrflow.ocr_tasks.fields.rounding import rounding_adjustments
from ocrflow.ocr_tasks.fields.rules import extract_declared
from ocrflow.ocr_tasks.fields.scorer import (
    Example,
    FieldModel,
    TypeModel,
    decision_confidence,
    decision_row,
    load_model,
)
from ocrflow.ocr_tasks.fields.tender import read_tender
from ocrflow.ocr_tasks.fields.values import check_value
from ocrflow.schemas.doctypes import BUILT_IN, DocumentType, FieldSpec
from ocrflow.schemas.records import FieldResult, FieldValue, LineRef

MODELS = Path(__file__).with_name("models")
CLOSE_MARGIN = 0.25  # a runner-up this close with another value: the two disagree


def model_path(kind: type[DocumentType]) -> Path:
    """Where a type's fitted model lives: in the package for built-in types, beside the
    module that declares the type otherwise."""
    name = kind.type_name or kind.__name__.lower()
    if BUILT_IN.get(kind.type_name) is kind:
        return MODELS / f"{name}.json"
    return Path(inspect.getfile(kind)).with_name(f"{name}.fields.json")


def type_model(kind: type[DocumentType]) -> TypeModel | None:
    path = model_path(kind)
    if not path.exists():
        return None
    return _load(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=16)
def _load(path: Path, mtime: int) -> TypeModel:  # mtime: a refitted file is read again
    return load_model(path)


# --- candidates of a document ------------------------------------------------------------


def document_candidates(specs: Sequence[FieldSpec], lines: Sequence[Line]) -> list[CandidateSet]:
    """Each declared field's candidates; the hand rules' choice is one of the features."""
    rules = {result.name: result for result in extract_declared(specs, lines)}
    return [field_candidates(spec, lines, rules) for spec in specs]


def as_example(found: CandidateSet, right: np.ndarray | None = None) -> Example:
    n = len(found.candidates)
    ocr = np.array([_ocr(c) for c in found.candidates], dtype=np.float64)
    failed = np.array(
        [float(check_value(c.value, found.spec.rule) is not None) for c in found.candidates]
    )
    confidences = [_char_confidences(c) for c in found.candidates]
    chars = np.array([_char_min(c) for c in confidences], dtype=np.float64)
    every_char = np.array([_char_all(c) for c in confidences], dtype=np.float64)
    truth = right if right is not None else np.zeros(n, dtype=bool)
    ids: dict[str, int] = {}
    value_ids = np.array([ids.setdefault(_key(c.value), len(ids)) for c in found.candidates])
    return Example(found.features, truth.astype(bool), ocr, chars, every_char, failed, value_ids)


def _key(value: FieldValue) -> str:
    return "".join(str(value).casefold().split())


def _ocr(candidate: Candidate) -> float:
    return min((line.line.confidence for line in candidate.lines), default=0.0)


def _char_confidences(candidate: Candidate) -> list[float]:
    """The confidence of each letter and digit of the value's text, and of each mark beside a
    digit (of its lines, for a value that spans lines; the line's confidence for each of a
    line whose characters were not kept). Other punctuation is left out: a doubtful bracket
    does not make a name wrong, a doubtful letter does, and so does a doubtful mark that
    stands where a digit was (``NO.5: 55,57`` printed ``NO.53 55,57``, the colon at 0.73)."""
    found: list[float] = []
    for line in candidate.lines:
        chars = line.line.char_confidences
        if len(chars) != len(line.text):
            counted = sum(_may_be_misread(line.text, i) for i in range(len(line.text)))
            found += [line.line.confidence] * max(counted, 1)
            continue
        at = line.text.find(candidate.raw) if len(candidate.lines) == 1 else -1
        start, end = (at, at + len(candidate.raw)) if at >= 0 else (0, len(chars))
        found += [chars[i] for i in range(start, end) if _may_be_misread(line.text, i)]
    return found


def _may_be_misread(text: str, index: int) -> bool:
    """Whether a misreading of this character would change the value: a letter or digit, or
    a mark touching a digit."""
    char = text[index]
    if char.isalnum():
        return True
    if char.isspace():
        return False
    return any(0 <= i < len(text) and text[i].isdigit() for i in (index - 1, index + 1))


def _char_min(confidences: Sequence[float]) -> float:
    """The least confident letter or digit."""
    return min(confidences, default=1.0)


def _char_all(confidences: Sequence[float]) -> float:
    """Log of the chance that every letter and digit was read right: a long address with
    one doubtful letter in forty is less sure than a short name with one."""
    return float(np.sum(np.log(np.clip(confidences, CHAR_FLOOR, 1.0))))


CHAR_FLOOR = 1e-3  # a character read at nothing counts as one read at this


# --- the decision ------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    spec: FieldSpec
    chosen: Candidate | None
    confidence: float
    threshold: float
    runner_up: Candidate | None
    # A total that nothing else on the document adds up to (see :func:`adds_up`).
    unsupported: bool = False


def decide(found: CandidateSet, model: FieldModel) -> Decision:
    example = as_example(found)
    scores = model.scorer.predict(found.features, FEATURES)
    best, row = decision_row(scores, example)
    if best < 0:
        return Decision(found.spec, None, 0.0, model.threshold, None)
    # By name: a model fitted with fewer decision features reads just those.
    confidence = float(decision_confidence(model.calibration, np.array([row]))[0])
    order = np.argsort(-scores, kind="stable")
    runner_up = None
    for index in order[1:]:
        other = found.candidates[int(index)]
        close = scores[best] - scores[index] < CLOSE_MARGIN and scores[index] >= 0.5
        if close and other.value != found.candidates[best].value:
            runner_up = other
            break
    unsupported = is_total(found.spec) and not adds_up(found.features[best])
    chosen = found.candidates[best]
    return Decision(found.spec, chosen, confidence, model.threshold, runner_up, unsupported)


def extract_learned(
    specs: Sequence[FieldSpec], lines: Sequence[Line], model: TypeModel
) -> list[FieldResult]:
    """One result per declared field, chosen by the type's model (the hand rules for a
    field the model does not know)."""
    rules = {result.name: result for result in extract_declared(specs, lines)}
    results: list[FieldResult] = []
    for spec in specs:
        field_model = model.fields.get(spec.name)
        if field_model is None:
            if spec.name in rules:
                results.append(rules[spec.name])
            continue
        found = field_candidates(spec, lines, rules)
        by_rules = rules.get(spec.name)
        result = to_result(decide(found, field_model), by_rules)
        if model.needs_rules_agreement and result is not None:
            result = _agreed(result, by_rules)
        if result is not None:
            results.append(result)
    return results


def to_result(decision: Decision, by_rules: FieldResult | None = None) -> FieldResult | None:
    """The decision as a result; with no candidate, what the rules found (text that did not
    parse, say), for review."""
    spec, chosen = decision.spec, decision.chosen
    if chosen is None:
        if by_rules is not None:
            why = by_rules.reason or "no candidate"
            update = {"status": "needs_review", "confidence": 0.0, "reason": why}
            return by_rules.model_copy(update=update)
        if not spec.rule.required:
            return None
        return FieldResult(name=spec.name, raw_text="", confidence=0.0, status="needs_review",
                           reason="not found")  # fmt: skip
    refs = [LineRef(page=line.page, order=line.line.order) for line in chosen.lines]
    problem = check_value(chosen.value, spec.rule)  # implausible: kept as text, for review
    reason = problem or _review_reason(decision)
    return FieldResult(
        name=spec.name, raw_text=chosen.raw, value=None if problem else chosen.value,
        confidence=round(decision.confidence, 4), lines=refs,
        status="ok" if reason is None else "needs_review", reason=reason,
    )  # fmt: skip


def _agreed(result: FieldResult, by_rules: FieldResult | None) -> FieldResult:
    """The result, sent to review when the hand rules chose another value (or none)."""
    if result.status != "ok":
        return result
    theirs = None if by_rules is None else by_rules.value
    if theirs is not None and result.value is not None and _key(theirs) == _key(result.value):
        return result
    shown = "nothing" if by_rules is None else repr(by_rules.raw_text)
    reason = f"the model chose {result.raw_text!r}, the rules {shown}"
    return result.model_copy(update={"status": "needs_review", "reason": reason})


def _review_reason(decision: Decision) -> str | None:
    chosen, other = decision.chosen, decision.runner_up
    if decision.confidence >= decision.threshold:
        if decision.unsupported and chosen is not None:
            return (
                f"nothing on the document adds up to {decision.spec.name} {_shown(chosen.value)}"
                " (no items, two amounts or a rounding give it)"
            )
        return None
    if chosen is not None and other is not None:
        return (
            f"two {decision.spec.name} values disagree: {_shown(chosen.value)} on page "
            f"{_page(chosen)}, {_shown(other.value)} on page {_page(other)}"
        )
    return (
        f"confidence {decision.confidence:.2f} is under the {decision.spec.name} "
        f"threshold {min(decision.threshold, 1.0):.2f}"
    )


def _page(candidate: Candidate) -> int:
    return candidate.lines[0].page if candidate.lines else 1


def _shown(value: FieldValue) -> str:
    return str(value)


def cross_checked(
    results: Sequence[FieldResult], lines: Sequence[Line] = (), locale: str = "auto"
) -> list[FieldResult]:
    """Fields in a failed cross-field check (net + tax = total, due ≥ issue, cash paid less
    change = total, ...) go to review with the check's reason."""
    values: dict[str, object] = {
        ("issue_date" if r.name == "date" else r.name): r.value
        for r in results
        if r.value is not None
    }
    tender = read_tender(lines, locale) if "total" in values else None
    if tender is not None:
        values |= {"asked": tender.asked(), "roundings": rounding_adjustments(lines, locale)}
    failed = [check for check in cross_field_checks(values) if check.passed is False]
    out = []
    for result in results:
        name = "issue_date" if result.name == "date" else result.name
        check = next((c for c in failed if name in c.fields), None)
        if check is not None and result.status == "ok":
            result = result.model_copy(update={"status": "needs_review", "reason": check.reason})
        out.append(result)
    return out
